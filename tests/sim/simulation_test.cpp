// Deterministic simulation of the engine, after FoundationDB's and TigerBeetle's simulators:
// the engine and its run machines against the sandbox's socket-free API model, with a virtual
// clock, seeded faults (5xx, 429 with Retry-After, drops before and after acting, slow answers,
// pages that shift, tasks that finish before a lookup, a task that answers 404 for a while after
// it was created, a key refused with 401 or 403 halfway, a job the API rejects with 400, a task
// that vanishes so that its polls are 404 for good) and crashes at any step, after which a
// new engine replays only what had become durable. Invariants are checked after every scenario.
//
// A failing scenario prints its seed; ZEFORTD_SIM_SEED=N replays exactly that one, and
// ZEFORTD_SIM_SCENARIOS=N changes how many run (ZEFORTD_SIM_BIG_SEED and _BIG_SCENARIOS likewise
// for the 200-job batches under api.exclusive).
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <boost/url/parse.hpp>
#include <cstdlib>
#include <iostream>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <sstream>

#include "api.hpp"
#include "core/api_key.hpp"
#include "core/engine.hpp"
#include "core/exit_code.hpp"

namespace zefortd {
namespace {

namespace sandbox = zefort_sandbox;
namespace json = boost::json;

constexpr unix_ms wall_epoch = 1'750'000'000'000;

// How often the rarer faults really happened, so that a family that never fires is noticed.
struct fault_counts {
  std::uint64_t unseen_404s = 0;    // polls answered 404 while the task was unseen
  std::uint64_t refusals = 0;       // processes that had a refused key
  std::uint64_t vanished_404s = 0;  // polls and dismissals of a vanished task
  std::uint64_t rejected = 0;       // runs rejected with 400
  std::uint64_t lost = 0;           // runs that ended lost
};
fault_counts& faults_seen() {
  static fault_counts counts;
  return counts;
}

struct scenario {
  std::uint64_t seed = 0;
  int jobs = 20;
  bool long_tasks = false;  // tasks outlast any lookup: nothing may be submitted twice
  int crashes = 0;
  bool stop_once = false;  // a SIGTERM in the middle, then a restart
  unsigned list_above = 0;
  double rate_limit = 0;
  bool exclusive = false;  // api.exclusive: census, adoption of finished tasks, orphans
  unsigned connections = 4;
  steady_ms latency_max = 40;  // the network's delay, each way together, at most
  // A task's own URL answers 404 for this long after it was created (a replica behind); its
  // polls must be tolerated, not end the run as lost. Lists see it at once.
  steady_ms unseen_for = 0;
  // The key is refused (401 or 403, nothing acted on) from a random step of one process, until
  // the next start: `run` stops at once and exits 3, and the restart with the key back finishes.
  unsigned refuse_key = 0;
  // This job's payload has no `search`: the API answers 400 and creates nothing; the run ends
  // rejected, the others go on, and `run` exits 3. -1: none.
  int bad_job = -1;
  // One task of ours vanishes at a random step (deleted by hand in the web UI, say): its URL
  // answers 404 from then on, so the run ends lost after the tolerated 404s, and `run` exits 3.
  // Only where nothing reads it from the list (no list_above, no exclusive): a list that still
  // showed it would contradict the 404s.
  bool vanish = false;
  sandbox::options api;
  std::string describe() const {
    std::ostringstream o;
    o << "seed " << seed << ": " << jobs << " jobs, tasks " << (long_tasks ? "long" : "short")
      << ", " << crashes << " crashes" << (stop_once ? ", a stop" : "") << ", list_above "
      << list_above << ", errors " << api.error_rate
      << (api.error_after_processing ? " (after acting)" : "") << ", 429 " << api.rate_429
      << ", drops " << api.drop_rate << ", submit status " << api.submit_status << ", list "
      << (api.format == sandbox::list_format::pages ? "pages of " + std::to_string(api.page_size)
                                                    : std::string("array"))
      << ", rate_limit " << rate_limit << (exclusive ? ", exclusive" : "") << ", connections "
      << connections << ", latency up to " << latency_max << " ms";
    if (unseen_for) o << ", tasks 404 for " << unseen_for << " ms";
    if (refuse_key) o << ", key refused with " << refuse_key << " once";
    if (bad_job >= 0) o << ", job-" << bad_job << " rejected";
    if (vanish) o << ", a task vanishes";
    return o.str();
  }
};

scenario make_scenario(std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  auto chance = [&](double p) { return std::uniform_real_distribution<>(0, 1)(rng) < p; };
  auto pick = [&](int lo, int hi) { return std::uniform_int_distribution<>(lo, hi)(rng); };
  scenario s;
  s.seed = seed;
  s.jobs = pick(1, 40);
  s.long_tasks = chance(0.5);
  s.crashes = chance(0.6) ? pick(1, 4) : 0;
  s.stop_once = chance(0.2);
  s.list_above = chance(0.3) ? static_cast<unsigned>(pick(1, 10)) : 0;
  s.rate_limit = chance(0.3) ? pick(5, 50) : 0;
  s.exclusive = chance(0.4);
  s.unseen_for = chance(0.2) ? pick(100, 1000) : 0;
  s.refuse_key = chance(0.15) ? (chance(0.5) ? 401 : 403) : 0;
  s.bad_job = chance(0.1) ? pick(0, s.jobs - 1) : -1;
  s.vanish = !s.exclusive && s.list_above == 0 && chance(0.15);
  auto& a = s.api;
  a.api_key = "sim-key";
  a.format = chance(0.8) ? sandbox::list_format::pages : sandbox::list_format::array;
  a.page_size = static_cast<std::size_t>(pick(2, 10));
  a.submit_status = chance(0.5) ? 201 : 202;
  a.error_rate = chance(0.7) ? pick(0, 15) / 100.0 : 0;
  a.error_after_processing = chance(0.5);
  a.rate_429 = chance(0.5) ? pick(0, 10) / 100.0 : 0;
  a.drop_rate = chance(0.7) ? pick(0, 10) / 100.0 : 0;
  a.retry_after = static_cast<unsigned>(pick(1, 3));
  a.slow = std::chrono::milliseconds(chance(0.2) ? pick(0, 300) : 0);
  if (s.long_tasks) {
    a.task_min = std::chrono::seconds(60);
    a.task_max = std::chrono::seconds(120);
  } else {
    a.task_min = std::chrono::milliseconds(50);
    a.task_max = std::chrono::milliseconds(pick(100, 3000));
  }
  return s;
}

// The integration test's batch (Batch.TwoHundredJobsExclusiveWithSubSecondTasks...) at the
// scale where it once failed: 200 jobs under api.exclusive whose tasks finish in under a second,
// through every fault at once, on a network that is sometimes slow (as under a sanitizer).
scenario make_big_exclusive_scenario(std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  auto pick = [&](int lo, int hi) { return std::uniform_int_distribution<>(lo, hi)(rng); };
  scenario s;
  s.seed = seed;
  s.jobs = 200;
  s.exclusive = true;
  s.connections = static_cast<unsigned>(pick(2, 8));
  s.latency_max = pick(20, 400);
  s.crashes = pick(0, 1);
  s.list_above = pick(0, 1) ? 50 : 0;  // the default polls through list rounds
  auto& a = s.api;
  a.api_key = "sim-key";
  a.format = sandbox::list_format::pages;
  a.page_size = 7;
  a.submit_status = 202;
  a.error_rate = 0.05;
  a.error_after_processing = pick(0, 1) == 1;
  a.rate_429 = 0.03;
  a.retry_after = 1;
  a.drop_rate = 0.03;
  a.task_min = std::chrono::milliseconds(100);
  a.task_max = std::chrono::milliseconds(600);
  return s;
}

config make_config(const scenario& s) {
  config cfg;
  cfg.file = "/sim/zefortd.yaml";
  cfg.api.base_url = *boost::urls::parse_uri("https://sim.test/api/");
  cfg.api.connections = s.connections;
  cfg.api.rate_limit = s.rate_limit;
  cfg.api.exclusive = s.exclusive;
  cfg.polling.initial_delay = std::chrono::milliseconds(500);
  cfg.polling.max_delay = std::chrono::seconds(5);
  cfg.polling.give_up_after = std::chrono::hours(6);
  cfg.polling.list_above = s.list_above;
  for (int i = 0; i < s.jobs; ++i) {
    job_config j;
    j.name = "job-" + std::to_string(i);
    j.payload["attributes"] = json::object{{"end_date", "2030-01-01"}, {"n", i}};
    j.payload["status"] = "done";
    if (i != s.bad_job) j.payload["search"] = json::object{{"q_tags", "sim " + std::to_string(i)}};
    cfg.jobs.push_back(std::move(j));
  }
  return cfg;
}

// The world around one engine: the API model, a disk that keeps only what was synced, the
// network's delays, the timer, and the crashes.
class world {
 public:
  explicit world(const scenario& s)
      : s_(s),
        rng_(s.seed ^ 0x9e3779b97f4a7c15ull),
        api_(s.api, s.seed),
        auth_(basic_auth_header(secret(s.api.api_key))) {}

  // Runs `zefortd run` (again after every crash or stop) until a run ends on its own.
  void run() {
    std::vector<std::string> names;
    for (int i = 0; i < s_.jobs; ++i) names.push_back("job-" + std::to_string(i));
    int crashes_left = s_.crashes;
    bool stop_left = s_.stop_once;
    bool refusal_left = s_.refuse_key != 0;
    bool vanish_left = s_.vanish;
    for (int start = 0; start < 20; ++start) {
      boot();
      eng_->start_batch(names, now());
      // A crash or stop lands at a random step of this process's life.
      const std::uint64_t crash_at = crashes_left > 0 ? pick(1, 400) : UINT64_MAX;
      const std::uint64_t stop_at = stop_left && crashes_left == 0 ? pick(1, 400) : UINT64_MAX;
      const std::uint64_t refuse_at =
          refusal_left && crashes_left == 0 && !stop_left ? pick(1, 400) : UINT64_MAX;
      const std::uint64_t vanish_at = vanish_left ? pick(1, 400) : UINT64_MAX;
      refusing_ = refusal_seen_ = false;
      refused_in_flight_ = sent_while_refused_ = 0;
      std::uint64_t steps = 0, steps_at_t = 0;
      steady_ms last_t = t_;
      while (!exited_) {
        drain();
        if (exited_) break;
        if (++steps == crash_at) {
          --crashes_left;
          break;
        }
        if (steps == stop_at) {
          stop_left = false;
          eng_->stop(now());
          continue;
        }
        if (steps == refuse_at) {
          refusal_left = false;
          refusing_ = true;
        }
        if (vanish_left && steps == vanish_at && !durable_tasks_.empty()) {
          vanish_left = false;
          auto it = durable_tasks_.begin();
          std::advance(it, static_cast<std::ptrdiff_t>(pick(0, durable_tasks_.size() - 1)));
          vanished_.insert(*it);
        }
        if (!step()) {
          ADD_FAILURE() << "the engine waits for nothing and does not exit: " << eng_->waiting_on()
                        << " at " << t_;
          return;
        }
        // An engine that keeps itself busy without the clock moving never gets anywhere.
        if (t_ != last_t) {
          last_t = t_;
          steps_at_t = 0;
        } else if (++steps_at_t > 100'000) {
          ADD_FAILURE() << "100000 steps without the clock moving: " << eng_->waiting_on() << " at "
                        << t_;
          return;
        }
        if (t_ > 48LL * 3600 * 1000) {
          ADD_FAILURE() << "not done after two virtual days";
          return;
        }
      }
      if (exited_ && refusal_seen_) {
        // Stopped by the refusal: at once, and as a refusal; the next start has the key back.
        EXPECT_EQ(exit_status_, exit_code::refused) << "a refused key ends `run` with 3";
        EXPECT_EQ(sent_while_refused_, 0u) << "requests sent after the first refusal arrived ("
                                           << refused_in_flight_ << " were in flight then)";
        if (::testing::Test::HasFailure()) return;
        continue;
      }
      if (exited_ && exit_status_ != exit_code::interrupted) return;  // the batch ended
    }
    ADD_FAILURE() << "still not done after 20 starts";
  }

  void check_invariants() {
    auto stats = sandbox_stats();
    const auto submissions = stats.at("submissions").to_number<std::uint64_t>();
    const auto duplicates = stats.at("duplicate_bodies").to_number<std::uint64_t>();
    const auto open = stats.at("open").to_number<std::uint64_t>();
    // Every job was submitted, and nothing else was (the rejected one created nothing).
    const auto accepted = static_cast<std::uint64_t>(s_.jobs - (s_.bad_job >= 0 ? 1 : 0));
    EXPECT_EQ(submissions - duplicates, accepted) << "jobs submitted" << lost_jobs();
    // No job twice unless its run says it was sent again.
    unsigned resubmits = 0;
    for (const auto& r : durable_)
      if (std::holds_alternative<resubmit_record>(r)) ++resubmits;
    EXPECT_LE(duplicates, resubmits) << "a job was submitted twice without a resubmit record";
    if (s_.long_tasks)
      EXPECT_EQ(duplicates, 0u) << "a pending in-doubt task was not found by its body";
    // Every task of ours that finished was dismissed, and none before it finished.
    EXPECT_EQ(stats.at("early_dismissals").to_number<std::uint64_t>(), 0u);
    // (A vanished task stays open in the model: only its URL went away.)
    EXPECT_LE(open, duplicates + vanished_.size())
        << "a task the journal knows was left in the list";
    if (s_.exclusive) {
      // The key is ours alone: every task in the list is ours, and none is left behind.
      EXPECT_EQ(open, 0u) << "an orphan of an in-doubt POST was left in the list";
      // A job applied twice is marked so.
      std::set<std::string> marked;
      for (const auto& r : durable_)
        if (const auto* d = std::get_if<duplicate_record>(&r)) marked.insert(d->run);
      if (duplicates > 0) EXPECT_GE(marked.size(), 1u) << "a duplicate nobody was told of";
      // And each job applied twice is marked itself, across crashes too.
      std::map<std::string, int> applied;
      for (const auto& t : api_.tasks().all()) ++applied[sandbox::canonical_json(t.body)];
      const journal_state after = replayed();
      for (const auto& [id, run] : after.runs())
        if (applied[sandbox::canonical_json(run.intent.body)] > 1)
          EXPECT_TRUE(run.possible_duplicate)
              << run.intent.job << " (" << id << ") was applied twice and not marked";
    }
    journal_state final_state = replayed();
    EXPECT_TRUE(final_state.open_batches().empty()) << "a batch never closed";
    EXPECT_TRUE(final_state.open_runs().empty()) << "a run is still open";
    // A rejected job and a lost task end their runs, not the batch, and make `run` exit 3.
    bool refused = false;
    for (const auto& [id, run] : final_state.runs()) {
      if (run.phase != run_phase::failed) continue;
      refused = true;
      if (run.task.empty()) {
        ++faults_seen().rejected;
        EXPECT_EQ(run.intent.job, "job-" + std::to_string(s_.bad_job)) << "rejected: " << id;
        EXPECT_EQ(run.http_status, 400u) << id;
      } else {
        ++faults_seen().lost;
        EXPECT_EQ(run.http_status, 404u) << id;
        EXPECT_TRUE(vanished_.count(run.task)) << id << " lost a task that never went away";
      }
    }
    if (s_.bad_job >= 0) EXPECT_TRUE(refused) << "the job the API rejects was not reported";
    EXPECT_EQ(exit_status_, refused ? exit_code::refused : exit_code::ok);
    // Memory follows the open work: closed runs are pruned past the recent ones.
    EXPECT_LE(max_runs_in_memory_,
              static_cast<std::size_t>(s_.jobs) + 3 * engine::recent_runs_kept);
  }

  // Runs whose task does not hold their job's body (adopted wrongly, or never sent).
  std::string lost_jobs() const {
    std::ostringstream o;
    const journal_state final_state = replayed();
    for (const auto& [id, run] : final_state.runs()) {
      const auto* t = run.task.empty() ? nullptr : api_.tasks().find(run.task);
      if (t && sandbox::canonical_json(t->body) == sandbox::canonical_json(run.intent.body))
        continue;
      o << "\n  " << run.intent.job << " (" << id << ") ended with task '" << run.task << "'"
        << (run.adopted ? ", adopted" : "") << (t ? ", which holds another body" : "")
        << ", resubmits " << run.resubmits;
    }
    return o.str();
  }

  std::uint64_t pick(std::uint64_t lo, std::uint64_t hi) {
    return std::uniform_int_distribution<std::uint64_t>(lo, hi)(rng_);
  }

 private:
  enum class kind { answer, commit, timer };
  struct pending {
    kind what;
    std::uint64_t id = 0;  // request or commit
    transport_result result;
    std::uint64_t generation = 0;  // which process it belongs to
  };

  instant now() const { return {t_, wall_epoch + t_}; }

  journal_state replayed() const {
    journal_state st;
    for (const auto& r : durable_) {
      auto problem = st.apply(r);
      EXPECT_FALSE(problem) << *problem;
    }
    return st;
  }

  void boot() {
    ++generation_;
    exited_ = false;
    written_.clear();
    in_flight_.clear();
    eng_ = std::make_unique<engine>(make_config(s_), replayed(), s_.seed + generation_);
  }

  void drain() {
    while (auto a = eng_->next_action()) std::visit([this](auto& x) { perform(x); }, *a);
    max_runs_in_memory_ = std::max(max_runs_in_memory_, eng_->state().runs().size());
  }

  void perform(actions::commit& c) {
    for (auto& r : c.records) written_.push_back(std::move(r));
    // Group commit: one fsync makes everything written so far durable.
    schedule(t_ + static_cast<steady_ms>(pick(0, 3)), pending{kind::commit, c.id, {}, generation_});
  }

  void perform(actions::send& s) {
    check_write_ahead(s.request);
    if (refusing_) {
      // Nothing reaches the API: the gateway refuses the key.
      if (refusal_seen_) ++sent_while_refused_;
      return answer_without_the_api(s.request, s_.refuse_key, R"({"detail":"Invalid token."})");
    }
    if (!vanished_.empty() && is_task_url(s.request.target) &&
        vanished_.count(task_of(s.request.target))) {
      ++faults_seen().vanished_404s;
      return answer_without_the_api(s.request, 404, R"({"detail":"Not found."})");
    }
    if (s_.unseen_for > 0 && s.request.method == http_method::get &&
        is_task_url(s.request.target)) {
      const auto* t = api_.tasks().find(task_of(s.request.target));
      const auto at = sandbox::time_point(std::chrono::milliseconds(wall_epoch + t_));
      if (t && at - t->created_at < std::chrono::milliseconds(s_.unseen_for)) {
        ++faults_seen().unseen_404s;
        return answer_without_the_api(s.request, 404, R"({"detail":"Not found."})");
      }
    }
    const std::string method = to_string(s.request.method);
    const std::string host = "sim.test";
    sandbox::api_request req{method, s.request.target,   auth_,
                             host,   "application/json", s.request.body};
    auto reply = api_.handle(req, sandbox::time_point(std::chrono::milliseconds(wall_epoch + t_)));
    transport_result r;
    if (reply.drop) {
      r.ec = make_error_code(boost::system::errc::connection_reset);
      r.stage = transport_stage::read;
      r.maybe_sent = true;
      r.error_text = "Connection reset by peer";
    } else {
      r.status = reply.status;
      r.body = std::move(reply.body);
      for (const auto& [name, value] : reply.headers)
        if (name == "Retry-After") r.retry_after = value;
    }
    const steady_ms latency =
        static_cast<steady_ms>(pick(1, static_cast<std::uint64_t>(s_.latency_max))) +
        std::chrono::duration_cast<std::chrono::milliseconds>(reply.delay).count();
    in_flight_.insert(s.request.id);
    schedule(t_ + latency, pending{kind::answer, s.request.id, std::move(r), generation_});
  }

  // An answer that the API model never saw (a gateway's, or a replica's), after the network's
  // delay.
  void answer_without_the_api(const transport_request& req, unsigned status, std::string body) {
    transport_result r;
    r.status = status;
    r.body = std::move(body);
    in_flight_.insert(req.id);
    schedule(t_ + static_cast<steady_ms>(pick(1, static_cast<std::uint64_t>(s_.latency_max))),
             pending{kind::answer, req.id, std::move(r), generation_});
  }

  void perform(const actions::arm_timer& a) {
    ++timer_generation_;
    if (a.at != steady_never)
      schedule(std::max(a.at, t_), pending{kind::timer, timer_generation_, {}, generation_});
  }

  void perform(const actions::drop_connections&) {
    // Every answer still on its way becomes a broken connection, now.
    for (auto& [at, p] : queue_) {
      if (p.what != kind::answer || p.generation != generation_) continue;
      p.result = transport_result{};
      p.result.ec = make_error_code(boost::system::errc::operation_canceled);
      p.result.stage = transport_stage::read;
      p.result.maybe_sent = true;
    }
    std::multimap<steady_ms, pending> moved;
    for (auto& [at, p] : queue_) moved.emplace(p.what == kind::answer ? t_ : at, std::move(p));
    queue_ = std::move(moved);
  }

  void perform(const actions::compact&) {}
  void perform(const actions::exit& e) {
    exited_ = true;
    exit_status_ = e.status;
  }

  void schedule(steady_ms at, pending p) { queue_.emplace(at, std::move(p)); }

  // One event of the world: the earliest answer, durable commit or timer.
  bool step() {
    while (!queue_.empty()) {
      auto it = queue_.begin();
      pending p = std::move(it->second);
      t_ = std::max(t_, it->first);
      queue_.erase(it);
      if (p.generation != generation_) continue;  // belonged to a process that crashed
      switch (p.what) {
        case kind::commit:
          // Durable in order: everything written up to now.
          for (auto& r : written_) on_durable(std::move(r));
          written_.clear();
          eng_->on_committed(p.id, now());
          return true;
        case kind::answer:
          in_flight_.erase(p.id);
          if (refusing_ && !refusal_seen_ && (p.result.status == 401 || p.result.status == 403)) {
            refusal_seen_ = true;
            refused_in_flight_ = in_flight_.size();  // these may still be answered, and resent
            ++faults_seen().refusals;
          }
          eng_->on_response(p.id, p.result, now());
          return true;
        case kind::timer:
          if (p.id != timer_generation_) continue;
          eng_->on_timer(now());
          return true;
      }
    }
    return false;
  }

  void on_durable(journal_record r) {
    if (const auto* i = std::get_if<intent_record>(&r))
      durable_bodies_.insert(json::serialize(i->body));
    if (const auto* s = std::get_if<submitted_record>(&r)) durable_tasks_.insert(s->task);
    if (const auto* o = std::get_if<orphan_record>(&r)) {
      // An orphan is polled once it is durable, and dismissed once its poll said it finished.
      durable_tasks_.insert(o->task);
      finished_tasks_.insert(o->task);
    }
    if (const auto* f = std::get_if<finished_record>(&r)) {
      for (const auto& d : durable_)
        if (const auto* s = std::get_if<submitted_record>(&d); s && s->run == f->run)
          finished_tasks_.insert(s->task);
    }
    durable_.push_back(std::move(r));
  }

  // Nothing leaves before the record that allows it is durable.
  void check_write_ahead(const transport_request& req) {
    const std::string prefix = "/api/tasks/";
    switch (req.method) {
      case http_method::post:
        EXPECT_TRUE(durable_bodies_.count(req.body)) << "POST before its intent was durable";
        break;
      case http_method::get:
        if (req.target.size() > prefix.size() && req.target.find('?') == std::string::npos &&
            req.target != prefix)
          EXPECT_TRUE(durable_tasks_.count(task_of(req.target)))
              << "poll of " << req.target << " before its task id was durable";
        break;
      case http_method::patch:
        EXPECT_TRUE(finished_tasks_.count(task_of(req.target)))
            << "dismissal of " << req.target << " before its finish was durable";
        break;
    }
  }

  static bool is_task_url(const std::string& target) {
    const std::string prefix = "/api/tasks/";
    return target.size() > prefix.size() && target.rfind(prefix, 0) == 0 &&
           target.find('?') == std::string::npos;
  }

  static std::string task_of(const std::string& target) {
    const std::string prefix = "/api/tasks/";
    return target.substr(prefix.size(), target.size() - prefix.size() - 1);
  }

  json::object sandbox_stats() {
    const std::string host = "sim.test";
    sandbox::api_request req{"GET", "/_sandbox/stats", auth_, host, "", ""};
    auto reply = api_.handle(req, sandbox::time_point(std::chrono::milliseconds(wall_epoch + t_)));
    return json::parse(reply.body).as_object();
  }

  const scenario& s_;
  std::mt19937_64 rng_;
  sandbox::api api_;
  std::string auth_;
  std::unique_ptr<engine> eng_;
  steady_ms t_ = 1'000'000;
  std::multimap<steady_ms, pending> queue_;
  std::uint64_t generation_ = 0;
  std::uint64_t timer_generation_ = 0;
  std::vector<journal_record> written_;  // appended, not yet synced: lost in a crash
  std::vector<journal_record> durable_;
  std::multiset<std::string> durable_bodies_;
  std::set<std::string> durable_tasks_;
  std::set<std::string> finished_tasks_;
  std::set<std::uint64_t> in_flight_;
  bool exited_ = false;
  int exit_status_ = -1;
  std::size_t max_runs_in_memory_ = 0;
  bool refusing_ = false;      // this process's requests are answered 401/403
  bool refusal_seen_ = false;  // the engine has had a refusal
  std::size_t refused_in_flight_ = 0;
  std::size_t sent_while_refused_ = 0;
  std::set<std::string> vanished_;  // tasks whose URL answers 404 for good
};

std::uint64_t env_number(const char* name, std::uint64_t otherwise) {
  const char* v = std::getenv(name);
  return v ? std::strtoull(v, nullptr, 10) : otherwise;
}

// Runs `count` scenarios from seed 1 (or only seed $<seed_var>), stopping at the first that fails.
void run_scenarios(scenario (*make)(std::uint64_t), const char* seed_var, const char* count_var,
                   std::uint64_t count) {
  const char* one = std::getenv(seed_var);
  const std::uint64_t first = one ? std::strtoull(one, nullptr, 10) : 1;
  count = one ? 1 : env_number(count_var, count);
  for (std::uint64_t seed = first; seed < first + count; ++seed) {
    const scenario s = make(seed);
    world w(s);
    w.run();
    w.check_invariants();
    if (::testing::Test::HasFailure()) {
      ADD_FAILURE() << "failing scenario " << s.describe() << "; replay it with " << seed_var << "="
                    << seed;
      return;
    }
  }
}

TEST(Simulation, SeededScenariosKeepEveryInvariant) {
  faults_seen() = {};
  run_scenarios(make_scenario, "ZEFORTD_SIM_SEED", "ZEFORTD_SIM_SCENARIOS", 2000);
  if (std::getenv("ZEFORTD_SIM_SEED") == nullptr &&
      env_number("ZEFORTD_SIM_SCENARIOS", 2000) >= 500) {
    EXPECT_GT(faults_seen().unseen_404s, 100u) << "the 404s of tasks not seen yet never came";
    EXPECT_GT(faults_seen().refusals, 20u) << "no key was ever refused";
    EXPECT_GT(faults_seen().rejected, 20u) << "no job was ever rejected";
    EXPECT_GT(faults_seen().lost, 5u) << "no vanished task was ever reported lost";
  }
  std::cout << "[ sim      ] 404s of unseen tasks " << faults_seen().unseen_404s
            << ", processes with a refused key " << faults_seen().refusals << ", runs rejected "
            << faults_seen().rejected << ", runs lost " << faults_seen().lost << " (of "
            << faults_seen().vanished_404s << " 404s of vanished tasks)\n";
}

TEST(Simulation, BigExclusiveBatchesOfSubSecondTasksLeaveNothingBehind) {
  run_scenarios(make_big_exclusive_scenario, "ZEFORTD_SIM_BIG_SEED", "ZEFORTD_SIM_BIG_SCENARIOS",
                100);
}

}  // namespace
}  // namespace zefortd
