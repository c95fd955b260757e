// The engine's census of the task list (api.exclusive) and the orphans of in-doubt POSTs. See
// engine.hpp, and the README's "Census" for why the rule is sound.
//
// With a key no other client uses, every task in the list is either in the census taken before
// zefortd first submitted, known to the journal (a POST answered, or a lookup matched), or the
// task of one of our POSTs whose answer never came. A complete lookup round that no POST in
// flight could have raced therefore holds all the candidates for its unmatched in-doubt runs:
// when there are exactly as many finished unknown tasks as such runs (and no pending unknown
// one), each run is one of those tasks. Otherwise the runs are sent again, marked when a task
// in the list could be theirs, and the unknown tasks are orphans, dismissed once they finish.
#include <algorithm>

#include "core/engine.hpp"

namespace zefortd {
namespace {

// "; 3 tasks nobody owns, shared by 8 runs: at most 3 of them applied twice".
std::string shared_doubt(std::size_t tasks, std::size_t runs) {
  if (tasks == 0 || runs < 2) return {};
  return "; " + std::to_string(tasks) + (tasks == 1 ? " task" : " tasks") +
         " nobody owns, shared by " + std::to_string(runs) + " runs: at most " +
         std::to_string(std::min(tasks, runs)) + " of them applied twice";
}

}  // namespace

void engine::conclude_round(round_state round, bool conclusive, instant now) {
  std::vector<std::string> waiting;  // unmatched in-doubt runs
  for (const auto& run : round.lookup_runs)
    if (auto it = runs_.find(run);
        it != runs_.end() && it->second.machine.state().phase == run_phase::intended)
      waiting.push_back(run);
  if (!cfg_.api.exclusive) {
    for (const auto& run : waiting) resubmit_unfound(run, {}, {}, now);
    return;
  }
  // A held POST that was answered made its task known: no longer a candidate.
  std::vector<std::string> unknown, finished;
  bool pending = false;
  for (const auto& u : round.unknown) {
    if (state_.task_known(u.id) || run_of_task_.count(u.id) || state_.task_orphaned(u.id) ||
        state_.task_censused(u.id))
      continue;
    unknown.push_back(u.id);
    if (u.finished)
      finished.push_back(u.id);
    else
      pending = true;
  }
  if (round.unknown.size() >= max_unknown_tasks) conclusive = false;
  census_needed_ = false;
  if (!state_.has_census()) {
    // The first read of the list with this key: whatever it holds was there before zefortd
    // submitted anything under `exclusive`, as far as it can tell.
    commit_then({census_record{unknown, now.wall}}, {});
    for (const auto& run : waiting) resubmit_unfound(run, unknown, {}, now);
    return;
  }
  if (!conclusive) {
    // A POST that failed while the list was read may own one of these tasks: nobody is adopted,
    // and nothing is an orphan yet. The next round, which looks for that POST's task too, weighs
    // them all again; a run put off too often is sent again.
    for (const auto& run : waiting) {
      if (++deferred_[run] <= max_deferrals) {
        lookup_next_.push_back(run);
        continue;
      }
      deferred_.erase(run);
      resubmit_unfound(run, unknown, {}, now);
    }
    return;
  }
  for (const auto& run : waiting) deferred_.erase(run);
  // A conclusive round has weighed every unknown task, the first tasks of the runs sent again
  // before it among them: none is left for a sweep to find.
  std::vector<std::string> unswept(unswept_.begin(), unswept_.end());
  unswept_.clear();
  if (!waiting.empty() && unswept.empty() && !pending && finished.size() == waiting.size()) {
    // Which is whose cannot be told once the bodies are gone: the oldest intent gets the first
    // task listed. Each of these jobs was applied once. (With a run sent again still unswept,
    // one of these tasks could be its first one, and counting proves nothing.)
    std::sort(waiting.begin(), waiting.end(), [&](const std::string& a, const std::string& b) {
      return runs_.at(a).machine.state().intent.at < runs_.at(b).machine.state().intent.at;
    });
    for (std::size_t i = 0; i < waiting.size(); ++i) adopt(waiting[i], finished[i], now);
    return;
  }
  // Every run marked below shares the same unattributed tasks: each is a real duplicate of at
  // most one of them, so the reason says how many of the marked runs can have been applied twice.
  const std::string shared = shared_doubt(unknown.size(), waiting.size() + unswept.size());
  for (const auto& run : waiting) resubmit_unfound(run, unknown, shared, now);
  // Their first POSTs' tasks, if any, are among the unknown ones, which become orphans now.
  unswept_.clear();
  if (unknown.empty()) return;
  std::vector<journal_record> records;
  for (const auto& t : unknown) records.push_back(orphan_record{t, false, now.wall});
  // Write-ahead, as for every task: polled only once the journal says it is ours.
  commit_then(std::move(records), [this, unknown](instant n) {
    for (const auto& t : unknown) watch_orphan(t, n);
  });
  // A run sent again earlier could own one of these tasks: it may have been applied twice.
  for (const auto& run : unswept)
    mark_duplicate(run,
                   "sent again after a doubt; an unattributed task of ours appeared later" + shared,
                   unknown, now);
}

void engine::on_post_settled(std::uint64_t request, const std::string& run, instant now) {
  // A POST that went in doubt while a lookup round pages the list, or after the round ended but
  // while it waits for that POST: the unknown tasks of the round may be its own, and the round
  // cannot attribute them.
  const bool went_in_doubt =
      std::find(lookup_next_.begin(), lookup_next_.end(), run) != lookup_next_.end();
  if (went_in_doubt && round_ && round_->lookup) round_->raced = true;
  if (held_posts_.erase(request)) {
    if (went_in_doubt) held_in_doubt_ = true;
    if (held_posts_.empty() && concluding_) {
      round_state round = std::move(*concluding_);
      concluding_.reset();
      const bool conclusive = !held_in_doubt_;
      held_in_doubt_ = false;
      conclude_round(std::move(round), conclusive, now);
    }
  }
}

void engine::adopt(const std::string& run, const std::string& task_id, instant now) {
  auto it = runs_.find(run);
  if (it == runs_.end()) return;
  auto& m = it->second.machine;
  run_of_task_[task_id] = run;
  emit(events::submitted{run, m.state().intent.job, task_id, true});
  task t;
  t.id = task_id;
  advance(run, m.on_lookup(&t, now), now);
}

void engine::mark_duplicate(const std::string& run, std::string reason,
                            std::vector<std::string> tasks, instant now) {
  const run_state* known = state_.find_run(run);
  if (!known) return;
  std::string job = known->intent.job;
  // Both task ids where they are known; a handful of candidates at most, never a whole list.
  if (tasks.size() > max_duplicate_tasks) tasks.resize(max_duplicate_tasks);
  if (auto it = runs_.find(run); it != runs_.end())
    it->second.machine.mark_duplicate(reason, tasks);
  for (auto& r : reports_)
    if (r.run == run) {
      r.possible_duplicate = true;
      r.duplicate_reason = reason;
      for (const auto& t : tasks)
        if (std::find(r.duplicate_tasks.begin(), r.duplicate_tasks.end(), t) ==
            r.duplicate_tasks.end())
          r.duplicate_tasks.push_back(t);
    }
  emit(events::possible_duplicate{run, job, reason});
  commit_then({duplicate_record{run, std::move(reason), std::move(tasks), now.wall}}, {});
}

// ---- orphans: polled one by one, dismissed once finished, bounded by give_up_after

void engine::watch_known_orphans(instant now) {
  // A list round comes before this process's first submission, whether or not the journal has
  // a census: the first one is taken then, and a later one attributes what an earlier process's
  // in-doubt POSTs left (their runs resume waiting for a lookup) before anything new is sent.
  census_needed_ = cfg_.api.exclusive;
  for (const auto& t : std::vector<std::string>(state_.orphans().begin(), state_.orphans().end()))
    watch_orphan(t, now);
}

void engine::watch_orphan(const std::string& task_id, instant now) {
  if (stopping_ || !safe_task_id(task_id)) return;
  auto [it, fresh] = orphan_watches_.try_emplace(task_id);
  if (!fresh) return;
  it->second.give_up_at = now.steady + cfg_.polling.give_up_after.count();
  it->second.delay = cfg_.polling.initial_delay.count();
  emit(events::orphan{task_id, false, {}});
  enqueue(request_class::poll, http_method::get, task_target(task_id), {}, '\x01' + task_id);
}

void engine::on_orphan_timer(const std::string& task_id, instant now) {
  auto it = orphan_watches_.find(task_id);
  if (it == orphan_watches_.end() || stopping_) return;
  if (now.steady > it->second.give_up_at) {
    orphan_watches_.erase(it);
    emit(events::orphan{task_id, false, "still pending after give_up_after; left in the list"});
    return;
  }
  enqueue(request_class::poll, http_method::get, task_target(task_id), {}, '\x01' + task_id);
}

void engine::on_orphan_answer(const request_info& info, const transport_result& result,
                              instant now) {
  const std::string task_id = info.key.substr(1);
  auto it = orphan_watches_.find(task_id);
  if (it == orphan_watches_.end()) return;
  auto gone = [&] {
    orphan_watches_.erase(task_id);
    emit(events::orphan{task_id, true, {}});
    commit_then({orphan_record{task_id, true, now.wall}}, {});
  };
  auto later = [&] {
    waits_.push(wait_entry{now.steady + it->second.delay, info.key});
    it->second.delay = std::min<steady_ms>(it->second.delay * 2, cfg_.polling.max_delay.count());
  };
  const std::string what = std::string(to_string(info.method)) + " " + info.target;
  if (info.method == http_method::get) {
    auto answer = poll_answer(result, task_id, what, wall(now));
    if (!answer) {
      // A task just listed can still be unknown to the server that answers for it (a replica
      // behind): gone only after as many 404s in a row as a run's poll tolerates.
      if (answer.error().status == 404 && ++it->second.not_found > run_machine::not_found_tolerated)
        return gone();
      return later();
    }
    it->second.not_found = 0;
    if (answer->state() == backend_state::running) return later();
    enqueue(request_class::dismiss, http_method::patch, info.target,
            R"({"frontend_status":"done"})", info.key);
    return;
  }
  auto answer = dismiss_answer(result, what, wall(now));
  if (answer || answer.error().status == 404) return gone();
  later();
}

}  // namespace zefortd
