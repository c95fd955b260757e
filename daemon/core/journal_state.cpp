// Replay of journal records into run states; see journal_state.hpp.
#include "core/journal_state.hpp"

#include <algorithm>
#include <type_traits>
#include <utility>

#include "core/task.hpp"

namespace zefortd {

const char* to_string(run_phase p) {
  switch (p) {
    case run_phase::intended:
      return "submitting";
    case run_phase::submitted:
      return "pending";
    case run_phase::finished:
      return "finished";
    case run_phase::dismissed:
      return "dismissed";
    case run_phase::failed:
      return "failed";
    case run_phase::gave_up:
      return "gave-up";
  }
  return "?";
}

bool run_state::open() const {
  switch (phase) {
    case run_phase::intended:
    case run_phase::submitted:
      return true;
    case run_phase::finished:
      return intent.dismiss;
    default:
      return false;
  }
}

bool run_state::backend_failed() const {
  return !backend_status.empty() &&
         classify_backend_status(backend_status) == backend_state::failed;
}

const char* run_state::outcome() const {
  switch (phase) {
    case run_phase::finished:
      if (open()) return to_string(phase);  // the dismissal is still to come
      return backend_failed() ? "failed" : "done (not dismissed)";
    case run_phase::dismissed:
      return backend_failed() ? "failed" : "done";
    case run_phase::failed:
      // Both end in a failed record; only a lost task had an id.
      return task.empty() ? "rejected" : "lost";
    case run_phase::gave_up:
      return "gave up";
    default:
      return to_string(phase);
  }
}

run_state* journal_state::run(const std::string& id) {
  if (last_.valid && last_.it->first == id) return &last_.it->second;
  auto it = runs_.find(id);
  if (it == runs_.end()) return nullptr;
  last_.it = it;
  last_.valid = true;
  return &it->second;
}

const run_state* journal_state::find_run(const std::string& id) const {
  auto it = runs_.find(id);
  return it == runs_.end() ? nullptr : &it->second;
}

namespace {

// A field of the record being applied: moved when the record was passed as an rvalue.
template <class Record, class T>
decltype(auto) pass(T& field) {
  if constexpr (std::is_lvalue_reference_v<Record>)
    return static_cast<const T&>(field);
  else
    return std::move(field);
}

}  // namespace

template <class Record>
std::optional<std::string> journal_state::apply_record(Record&& record) {
  auto unknown = [](const std::string& id) -> std::optional<std::string> {
    return "record for unknown run '" + id + "'";
  };
  if (auto* r = std::get_if<intent_record>(&record)) {
    auto [it, inserted] = runs_.try_emplace(r->run);
    if (!inserted) return "duplicate intent for run '" + r->run + "'";
    // Only `serve` runs a revision once; `run` batches submit anew each time.
    if (r->batch.empty() &&
        !revisions_.contains(std::pair<std::string_view, std::string_view>(r->job, r->revision)))
      revisions_.emplace(r->job, r->revision);
    it->second.intent = pass<Record>(*r);
    last_.it = it;  // its submitted record comes next
    last_.valid = true;
  } else if (auto* r = std::get_if<submitted_record>(&record)) {
    auto* s = run(r->run);
    if (!s) return unknown(r->run);
    s->phase = run_phase::submitted;
    tasks_.insert(r->task);
    s->task = pass<Record>(r->task);
    s->adopted = r->adopted;
    s->submitted_at = r->at;
  } else if (auto* r = std::get_if<resubmit_record>(&record)) {
    auto* s = run(r->run);
    if (!s) return unknown(r->run);
    ++s->resubmits;
  } else if (auto* r = std::get_if<finished_record>(&record)) {
    auto* s = run(r->run);
    if (!s) return unknown(r->run);
    s->phase = run_phase::finished;
    s->backend_status = pass<Record>(r->status);
    s->backend_info = pass<Record>(r->info);
    s->contracts = r->contracts;
    s->ended_at = r->at;
  } else if (auto* r = std::get_if<dismissed_record>(&record)) {
    auto* s = run(r->run);
    if (!s) return unknown(r->run);
    s->phase = run_phase::dismissed;
  } else if (auto* r = std::get_if<failed_record>(&record)) {
    auto* s = run(r->run);
    if (!s) return unknown(r->run);
    s->phase = run_phase::failed;
    s->http_status = r->status;
    s->failure = pass<Record>(r->message);
    s->ended_at = r->at;
  } else if (auto* r = std::get_if<gave_up_record>(&record)) {
    auto* s = run(r->run);
    if (!s) return unknown(r->run);
    s->phase = run_phase::gave_up;
    s->ended_at = r->at;
  } else if (auto* r = std::get_if<batch_record>(&record)) {
    std::string id = r->batch;  // before the record may be moved from
    batches_[std::move(id)] = batch_state{pass<Record>(*r), false};
  } else if (auto* r = std::get_if<batch_end_record>(&record)) {
    auto it = batches_.find(r->batch);
    if (it == batches_.end()) return "end of unknown batch '" + r->batch + "'";
    it->second.ended = true;
  } else if (auto* r = std::get_if<revision_seen_record>(&record)) {
    revisions_.emplace(r->job, r->revision);
  } else if (auto* r = std::get_if<task_seen_record>(&record)) {
    lingering_.insert(r->task);
    tasks_.insert(pass<Record>(r->task));
  } else if (auto* r = std::get_if<lost_record>(&record)) {
    lost_at_ = std::max(lost_at_, r->at);
  } else if (auto* r = std::get_if<census_record>(&record)) {
    census_taken_ = true;
    for (auto& t : r->tasks) census_.insert(pass<Record>(t));
  } else if (auto* r = std::get_if<orphan_record>(&record)) {
    if (r->dismissed) {
      // Still listed for a while, perhaps: never an orphan again, nor anyone's task.
      orphans_.erase(r->task);
      census_.insert(pass<Record>(r->task));
    } else {
      orphans_.insert(pass<Record>(r->task));
    }
  } else if (auto* r = std::get_if<duplicate_record>(&record)) {
    auto* s = run(r->run);
    if (!s) return unknown(r->run);
    s->possible_duplicate = true;
    s->duplicate_reason = pass<Record>(r->reason);
    for (auto& t : r->tasks)
      if (std::find(s->duplicate_tasks.begin(), s->duplicate_tasks.end(), t) ==
          s->duplicate_tasks.end())
        s->duplicate_tasks.push_back(pass<Record>(t));
  } else if (auto* r = std::get_if<slot_record>(&record)) {
    slot_state& s = slots_[r->job];
    // A changed schedule starts afresh (schedule_book): what the old one missed is history.
    if (s.schedule != r->schedule) s.missed = 0;
    s.schedule = r->schedule;
    s.last_slot = r->slot;
    s.last_outcome = r->outcome;
    s.missed += r->missed;
  }
  return std::nullopt;
}

std::optional<std::string> journal_state::apply(const journal_record& record) {
  return apply_record(record);
}

std::optional<std::string> journal_state::apply(journal_record&& record) {
  return apply_record(std::move(record));
}

std::string replay_check::operator()(std::string_view payload) {
  std::string error;
  const std::optional<journal_record> record = decode_record(payload, error);
  if (!record) return error.empty() ? "not a journal record" : error;
  const std::string* needs_task = nullptr;
  if (auto* r = std::get_if<finished_record>(&*record)) needs_task = &r->run;
  if (auto* r = std::get_if<dismissed_record>(&*record)) needs_task = &r->run;
  if (auto* r = std::get_if<gave_up_record>(&*record)) needs_task = &r->run;
  if (needs_task) {
    const run_state* s = state_.find_run(*needs_task);
    if (s && s->task.empty())
      return "an end of run '" + *needs_task + "', whose task id was lost: the run stays in doubt";
  }
  if (auto problem = state_.apply(*record)) return *problem;
  return {};
}

std::vector<const run_state*> journal_state::open_runs() const {
  std::vector<const run_state*> out;
  for (const auto& [id, s] : runs_)
    if (s.open()) out.push_back(&s);
  return out;
}

std::vector<const run_state*> journal_state::runs_of_batch(const std::string& batch) const {
  std::vector<const run_state*> out;
  for (const auto& [id, s] : runs_)
    if (s.intent.batch == batch) out.push_back(&s);
  return out;
}

std::vector<const batch_state*> journal_state::open_batches() const {
  std::vector<const batch_state*> out;
  for (const auto& [id, b] : batches_)
    if (!b.ended) out.push_back(&b);
  return out;
}

bool journal_state::revision_seen(const std::string& job, const std::string& revision) const {
  return revisions_.count({job, revision}) != 0;
}

bool journal_state::job_has_open_run(const std::string& job) const {
  return std::any_of(runs_.begin(), runs_.end(), [&](const auto& kv) {
    return kv.second.intent.job == job && kv.second.open();
  });
}

std::vector<journal_record> journal_state::live_records(std::size_t keep_recent) const {
  std::vector<journal_record> out;
  for (const auto& [job, rev] : revisions_) out.push_back(revision_seen_record{job, rev});
  // One record per scheduled job: its last slot, and the missed slots in total.
  for (const auto& [job, s] : slots_)
    out.push_back(slot_record{job, s.schedule, s.last_slot, s.last_outcome, s.missed, 0});
  std::set<std::string> open_batch_ids;
  bool lost_matters = false;
  for (const auto& [id, b] : batches_)
    if (!b.ended) {
      open_batch_ids.insert(id);
      out.push_back(b.record);
      lost_matters = lost_matters || may_have_lost_intents(b.record);
    }
  // Kept while a batch it concerns is open.
  if (lost_matters) out.push_back(lost_record{0, lost_at_});

  // Closed runs outside open batches are history: keep only the most recent ones.
  std::vector<const run_state*> keep;
  std::vector<const run_state*> closed;
  std::set<std::string> lingering_out = lingering_;
  for (const auto& [id, s] : runs_) {
    if (s.open() || open_batch_ids.count(s.intent.batch))
      keep.push_back(&s);
    else
      closed.push_back(&s);
  }
  std::sort(closed.begin(), closed.end(),
            [](const run_state* a, const run_state* b) { return a->ended_at > b->ended_at; });
  if (closed.size() > keep_recent) {
    // History beyond keep_recent goes, but a task still in the API's list stays known.
    for (std::size_t i = keep_recent; i < closed.size(); ++i) {
      const run_state* s = closed[i];
      bool listed =
          s->phase == run_phase::gave_up || (s->phase == run_phase::finished && !s->intent.dismiss);
      if (listed && !s->task.empty()) lingering_out.insert(s->task);
    }
    closed.resize(keep_recent);
  }
  for (const auto& t : lingering_out) out.push_back(task_seen_record{t});
  if (census_taken_) {
    census_record census{{census_.begin(), census_.end()}, 0};
    std::sort(census.tasks.begin(), census.tasks.end());
    out.push_back(std::move(census));
  }
  for (const auto& t : orphans_) out.push_back(orphan_record{t, false, 0});
  keep.insert(keep.end(), closed.begin(), closed.end());
  std::sort(keep.begin(), keep.end(), [](const run_state* a, const run_state* b) {
    return a->intent.at < b->intent.at ||
           (a->intent.at == b->intent.at && a->intent.run < b->intent.run);
  });

  for (const run_state* s : keep) {
    out.push_back(s->intent);
    const auto& id = s->intent.run;
    if (!s->task.empty()) out.push_back(submitted_record{id, s->task, s->adopted, s->submitted_at});
    switch (s->phase) {
      case run_phase::finished:
      case run_phase::dismissed:
        out.push_back(
            finished_record{id, s->backend_status, s->backend_info, s->contracts, s->ended_at});
        if (s->phase == run_phase::dismissed) out.push_back(dismissed_record{id, s->ended_at});
        break;
      case run_phase::failed:
        out.push_back(failed_record{id, s->http_status, s->failure, s->ended_at});
        break;
      case run_phase::gave_up:
        out.push_back(gave_up_record{id, s->ended_at});
        break;
      default:
        break;
    }
    if (s->possible_duplicate)
      out.push_back(duplicate_record{id, s->duplicate_reason, s->duplicate_tasks, s->ended_at});
  }
  return out;
}

namespace {

// Still in the API's task list after its run ends: gave up, or finished and not dismissed.
bool still_listed(const run_state& s) {
  return !s.task.empty() &&
         (s.phase == run_phase::gave_up || (s.phase == run_phase::finished && !s.intent.dismiss));
}

}  // namespace

void journal_state::prune(std::size_t keep_recent) {
  std::set<std::string> open_batch_ids;
  for (auto it = batches_.begin(); it != batches_.end();) {
    if (it->second.ended) {
      it = batches_.erase(it);
    } else {
      open_batch_ids.insert(it->first);
      ++it;
    }
  }
  std::vector<const run_state*> closed;
  for (const auto& [id, s] : runs_)
    if (!s.open() && !open_batch_ids.count(s.intent.batch)) closed.push_back(&s);
  if (closed.size() <= keep_recent) return;
  std::sort(closed.begin(), closed.end(),
            [](const run_state* a, const run_state* b) { return a->ended_at > b->ended_at; });
  std::vector<std::string> gone;
  for (std::size_t i = keep_recent; i < closed.size(); ++i) gone.push_back(closed[i]->intent.run);
  for (const auto& id : gone) {
    auto it = runs_.find(id);
    const run_state& s = it->second;
    if (still_listed(s))
      lingering_.insert(s.task);
    else if (!s.task.empty())
      tasks_.erase(s.task);
    runs_.erase(it);
    last_.valid = false;  // it may have pointed at this run
  }
}

void journal_state::keep_lingering(const std::unordered_set<std::string>& listed) {
  for (auto it = census_.begin(); it != census_.end();)
    it = listed.count(*it) ? std::next(it) : census_.erase(it);
  for (auto it = lingering_.begin(); it != lingering_.end();) {
    if (listed.count(*it)) {
      ++it;
      continue;
    }
    // A run still kept may own it: then it stays known through the run.
    bool owned = false;
    for (const auto& [id, s] : runs_) owned = owned || s.task == *it;
    if (!owned) tasks_.erase(*it);
    it = lingering_.erase(it);
  }
}

std::optional<replay_error> replay_frames(std::span<const journal_frame> frames,
                                          journal_state& state) {
  std::string error;
  for (const journal_frame& frame : frames) {
    auto record = decode_record(frame.payload, error);
    if (record) {
      if (auto problem = state.apply(std::move(*record))) error = std::move(*problem);
    }
    if (!error.empty()) return replay_error{frame.seq, frame.offset, std::move(error)};
  }
  return std::nullopt;
}

}  // namespace zefortd
