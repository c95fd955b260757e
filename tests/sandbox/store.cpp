// The sandbox's tasks and counters; see store.hpp.
#include "store.hpp"

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <iterator>

namespace zefort_sandbox {
namespace {

constexpr std::string_view id_alphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

const char* backend_status_text(backend_state s) {
  switch (s) {
    case backend_state::pending:
      return "pending";
    case backend_state::done:
      return "done";
    case backend_state::failed:
      return "failed";
  }
  return "pending";
}

json::object render_with(const task& t, backend_state state) {
  json::object details;
  details["query_params"] = json::object();
  if (state == backend_state::pending) {
    details["data"] = t.body;
  } else {
    json::array contracts;
    for (const auto& c : t.contracts) contracts.emplace_back(c);
    json::object data;
    data["contracts"] = std::move(contracts);
    details["data"] = std::move(data);
  }
  json::object out;
  out["id"] = t.id;
  out["details"] = std::move(details);
  out["backend_status"] = backend_status_text(state);
  out["backend_status_info"] = state == backend_state::failed ? "sandbox: failure requested" : "";
  out["frontend_status"] = t.dismissed ? "done" : "pending";
  out["description"] = "Contract Bulk operation";
  // Not in the reference on purpose: clients must ignore fields they do not know.
  out["created_at"] = iso_time(t.created_at);
  return out;
}

void write_canonical(const json::value& v, std::string& out) {
  if (const json::object* obj = v.if_object()) {
    std::vector<const json::key_value_pair*> members;
    members.reserve(obj->size());
    for (const auto& kv : *obj) members.push_back(&kv);
    std::sort(members.begin(), members.end(),
              [](const auto* a, const auto* b) { return a->key() < b->key(); });
    out += '{';
    for (std::size_t i = 0; i < members.size(); ++i) {
      if (i) out += ',';
      out += json::serialize(json::value(members[i]->key()));
      out += ':';
      write_canonical(members[i]->value(), out);
    }
    out += '}';
  } else if (const json::array* arr = v.if_array()) {
    out += '[';
    for (std::size_t i = 0; i < arr->size(); ++i) {
      if (i) out += ',';
      write_canonical((*arr)[i], out);
    }
    out += ']';
  } else {
    out += json::serialize(v);
  }
}

}  // namespace

store::store(duration min_duration, duration max_duration, std::uint64_t seed)
    : min_duration_(min_duration), max_duration_(max_duration), rng_(seed) {}

std::string store::random_id(std::string_view prefix) {
  std::uniform_int_distribution<std::size_t> pick(0, id_alphabet.size() - 1);
  std::string id(prefix);
  for (int i = 0; i < 18; ++i) id += id_alphabet[pick(rng_)];
  return id;
}

const task& store::submit(json::object body, time_point now) {
  task t;
  do {
    t.id = random_id("task_");
  } while (by_id_.contains(t.id));

  std::uniform_int_distribution<duration::rep> length(min_duration_.count(), max_duration_.count());
  t.created_at = now;
  t.finishes_at = now + duration(length(rng_));

  const json::value* fail = nullptr;
  if (const json::object* search = body.at("search").if_object())
    fail = search->if_contains("sandbox_fail");
  t.fail_requested = fail && fail->is_bool() && fail->get_bool();
  if (!t.fail_requested) {
    std::uniform_int_distribution<int> how_many(1, 5);
    for (int n = how_many(rng_); n > 0; --n) t.contracts.push_back(random_id("ct_"));
  }

  ++counters_.submissions;
  if (!bodies_seen_.insert(canonical_json(body)).second) ++counters_.duplicate_bodies;

  t.body = std::move(body);
  const std::size_t index = tasks_.size();
  by_id_.emplace(t.id, index);
  open_.insert(index);
  tasks_.push_back(std::move(t));
  return tasks_.back();
}

const task* store::find(std::string_view id) const {
  const auto it = by_id_.find(std::string(id));
  return it == by_id_.end() ? nullptr : &tasks_[it->second];
}

store::dismiss_outcome store::dismiss(std::string_view id, time_point now) {
  const auto it = by_id_.find(std::string(id));
  if (it == by_id_.end()) return dismiss_outcome::not_found;
  task& t = tasks_[it->second];
  if (t.dismissed) {
    ++counters_.double_dismissals;
    return dismiss_outcome::already_dismissed;
  }
  t.dismissed = true;
  open_.erase(it->second);
  ++counters_.dismissals;
  if (state_at(t, now) == backend_state::pending) ++counters_.early_dismissals;
  return dismiss_outcome::dismissed;
}

std::vector<const task*> store::open_tasks(std::size_t offset, std::size_t limit) const {
  std::vector<const task*> out;
  if (offset >= open_.size()) return out;
  auto it = std::next(open_.begin(), static_cast<std::ptrdiff_t>(offset));
  for (; it != open_.end() && out.size() < limit; ++it) out.push_back(&tasks_[*it]);
  return out;
}

backend_state store::state_at(const task& t, time_point now) {
  if (now < t.finishes_at) return backend_state::pending;
  return t.fail_requested ? backend_state::failed : backend_state::done;
}

json::object store::render(const task& t, time_point now) {
  return render_with(t, state_at(t, now));
}

json::object store::render_submitted(const task& t) {
  return render_with(t, backend_state::pending);
}

json::object store::stats(time_point now) const {
  std::uint64_t unfinished = 0;
  for (const auto& t : tasks_)
    if (state_at(t, now) == backend_state::pending) ++unfinished;
  const counters& c = counters_;
  json::object out;
  out["requests"] = c.requests;
  out["submissions"] = c.submissions;
  out["duplicate_bodies"] = c.duplicate_bodies;
  out["polls"] = c.polls;
  out["dismissals"] = c.dismissals;
  out["double_dismissals"] = c.double_dismissals;
  out["early_dismissals"] = c.early_dismissals;
  out["lists"] = c.lists;
  out["open"] = open_.size();
  out["unfinished"] = unfinished;
  out["errors_injected"] = c.errors_injected;
  out["rejected_429"] = c.rejected_429;
  out["rate_limited"] = c.rate_limited;
  out["dropped"] = c.dropped;
  out["in_doubt"] = c.in_doubt;
  out["connections"] = c.connections;
  return out;
}

std::string canonical_json(const json::value& v) {
  std::string out;
  write_canonical(v, out);
  return out;
}

std::string iso_time(time_point t) {
  using namespace std::chrono;
  const auto micros = duration_cast<microseconds>(t.time_since_epoch()).count();
  const std::time_t seconds = static_cast<std::time_t>(micros / 1000000);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char text[40];
  const std::size_t n = std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%S", &utc);
  std::string out(text, n);
  char fraction[16];
  std::snprintf(fraction, sizeof fraction, ".%06dZ", static_cast<int>(micros % 1000000));
  return out + fraction;
}

}  // namespace zefort_sandbox
