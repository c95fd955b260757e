// The engine's list rounds: one read of the task list serves every in-doubt lookup that asked
// before it started and every poll due while many tasks are open. See engine.hpp.
#include "core/engine.hpp"

namespace zefortd {

bool engine::dismissals_gated() const {
  // Offset pagination skips entries when earlier ones disappear, and a skipped in-doubt task
  // would be submitted twice: no dismissal (ours or a foreign one) leaves while a lookup waits
  // for a round or pages the list.
  return !lookup_next_.empty() || census_needed_ || (round_ && round_->lookup) ||
         (concluding_ && concluding_->lookup);
}

void engine::maybe_start_round(instant now) {
  if ((round_ && round_->lookup) || concluding_ || stopping_) return;
  // The census and the sweep are lookups too: they must not miss a task because a dismissal
  // shifted a page.
  const bool may_read = now.steady >= sweep_not_before_;
  const bool census = census_needed_ && may_read;
  const bool sweep = sweep_needed() && may_read && submits_in_flight_ == 0 &&
                     pending_starts_.empty() && submit_waiters_.empty();
  // A lookup starts at once, except under api.exclusive after a round failed (see finish_round).
  const bool lookups = !lookup_next_.empty() && (may_read || !cfg_.api.exclusive);
  const bool lookup = lookups || census || sweep;
  if (lookup) {
    // The gate is closed; the round starts once the dismissals already sent have answered.
    if (dismissing_ > 0) return;
  } else if (round_ || status_next_.empty() ||
             now.steady < last_status_round_ + cfg_.polling.initial_delay.count()) {
    // Status rounds start at most once per initial_delay: every poll due meanwhile joins.
    return;
  }
  // A status round in progress gives way to a lookup, which starts over from the first page:
  // its pages wait behind submissions, and a lookup that waited for it to end could read the
  // list after its task had finished and no longer showed the body (seen: 22 s behind a batch).
  // The polls it had not answered yet join the lookup's round.
  std::vector<std::string> carried = round_ ? abandon_round() : std::vector<std::string>{};
  // No round pages for longer than polling.give_up_after: its lookups are older than the round,
  // so they give up, and its polls are asked of each task.
  round_.emplace(cfg_.api.base_url, now.steady, cfg_.polling.give_up_after);
  round_->id = next_round_++;
  round_->lookup = lookup;
  round_->census = census;
  round_->sweep = sweep;
  // A lookup joins only a lookup round that starts after its POST failed: the list it reads
  // can hold the task. (A status round, started while reads wait after a failed one, leaves
  // them waiting.) Polls due now join any round.
  if (lookup) {
    round_->lookup_runs = std::move(lookup_next_);
    lookup_next_.clear();
  }
  round_->status_runs = std::move(carried);
  round_->status_runs.insert(round_->status_runs.end(), status_next_.begin(), status_next_.end());
  status_next_.clear();
  for (const auto& run : round_->status_runs)
    if (auto it = runs_.find(run); it != runs_.end()) it->second.list_round = round_->id;
  enqueue_page(false);
}

void engine::enqueue_page(bool retry) {
  const auto id = enqueue(round_->lookup ? request_class::lookup_page : request_class::status_page,
                          http_method::get, round_->pager.target(), {}, {}, retry);
  requests_.at(id).round = round_->id;
}

std::vector<std::string> engine::abandon_round() {
  round_state old = std::move(*round_);
  round_.reset();
  // Its page not sent yet never leaves; the answer to one in flight is ignored (on_page_answer).
  std::erase_if(requests_,
                [&](const auto& r) { return !r.second.sent && r.second.round == old.id; });
  std::vector<std::string> waiting;
  for (auto& run : old.status_runs)
    if (auto it = runs_.find(run); it != runs_.end() && it->second.list_round == old.id)
      waiting.push_back(std::move(run));
  return waiting;
}

void engine::on_page_answer(const request_info& info, const transport_result& result, instant now) {
  if (!round_ || info.round != round_->id) return;  // stopped, or the round was abandoned
  auto answer = page_answer(result, "GET " + info.target, wall(now));
  list_pager::step step;
  if (answer) {
    route_page(*answer, now);
    if (!round_) return;
    step = round_->pager.on_page(*answer, now);
  } else {
    step = round_->pager.on_failure(answer.error(), now);
  }
  // A next link is the server's text: one that carries our key (or what cleaning would change)
  // is neither requested nor logged, and every message names the target cleaned.
  if (step.what == list_pager::verdict::next_page &&
      clean(round_->pager.target()) != round_->pager.target()) {
    step.what = list_pager::verdict::failed;
    step.failure = {};
    step.failure.verdict = retry_verdict::permanent;
    step.failure.message = "GET " + info.target + ": next link carries the API key; not following";
  }
  step.failure = cleaned(std::move(step.failure));
  switch (step.what) {
    case list_pager::verdict::next_page:
      enqueue_page(false);
      return;
    case list_pager::verdict::retry_later:
      round_->retry_at = step.retry_at;
      emit(events::retry{{}, {}, "list", step.failure.message, step.retry_at - now.steady});
      return;
    case list_pager::verdict::complete:
      finish_round(true, nullptr, now);
      return;
    case list_pager::verdict::failed:
      emit(events::retry{{}, {}, "list", step.failure.message, 0});
      finish_round(false, &step.failure, now);
      return;
  }
}

void engine::route_page(const task_page& page, instant now) {
  const bool exclusive = cfg_.api.exclusive;
  const bool census = state_.has_lingering() || exclusive;
  for (const task& t : page.tasks) {
    if (census) round_->listed.insert(t.id);
    if (auto it = run_of_task_.find(t.id); it != run_of_task_.end()) {
      const std::string run = it->second;
      auto slot = runs_.find(run);
      if (slot != runs_.end() && slot->second.list_round == round_->id) {
        slot->second.list_round = 0;
        deliver_polled(run, t, true, now);
      }
      continue;
    }
    // A task the journal knows belongs to one of our runs, even when its body is the same.
    if (state_.task_known(t.id) || !safe_task_id(t.id)) continue;
    // Orphans are watched one by one; what the census saw is not ours.
    if (exclusive && (state_.task_orphaned(t.id) || state_.task_censused(t.id))) continue;
    // details.data holds the submitted body while the task is pending.
    bool matched = false;
    if (t.data.is_object()) {
      auto& waiting = round_->lookup_runs;
      for (auto i = waiting.begin(); i != waiting.end(); ++i) {
        auto slot = runs_.find(*i);
        const run_state* journaled = state_.find_run(*i);  // the one copy of the body
        if (slot == runs_.end() || !journaled || journaled->intent.body != t.data.get_object())
          continue;
        const std::string run = *i;
        waiting.erase(i);
        run_of_task_[t.id] = run;
        emit(events::submitted{run, slot->second.machine.state().intent.job, t.id, true});
        advance(run, slot->second.machine.on_lookup(&t, now), now);
        matched = true;
        break;
      }
    }
    if (matched) continue;
    if (exclusive) {
      // Ours by exclusivity, whose run is not known yet: the round's end decides (census.cpp).
      if (round_->lookup && round_->unknown.size() < max_unknown_tasks)
        round_->unknown.push_back({t.id, t.state() != backend_state::running});
      continue;
    }
    if (cfg_.polling.dismiss_foreign && t.state() != backend_state::running &&
        foreign_pending_.size() < max_foreign_dismissals && foreign_pending_.insert(t.id).second)
      enqueue(request_class::foreign_dismiss, http_method::patch, task_target(t.id),
              R"({"frontend_status":"done"})", t.id);
  }
}

void engine::finish_round(bool complete, const api_failure* failure, instant now) {
  round_state round = std::move(*round_);
  round_.reset();
  if (!round.status_runs.empty()) last_status_round_ = now.steady;
  // A task id kept only because it was still listed, and listed no more, can be forgotten.
  if (complete && (state_.has_lingering() || cfg_.api.exclusive))
    state_.keep_lingering(round.listed);
  // Polls the list did not answer (the task left it, or the list failed): ask the task itself.
  for (const auto& run : round.status_runs) {
    auto it = runs_.find(run);
    if (it == runs_.end() || it->second.list_round != round.id) continue;
    it->second.list_round = 0;
    poll_now(run);
  }
  round.status_runs.clear();
  // A status round weighs no unknown task: only a lookup (census, sweep) may conclude anything.
  if (!round.lookup) return;
  if (!complete) {
    for (const auto& run : round.lookup_runs) {
      auto it = runs_.find(run);
      if (it == runs_.end()) continue;
      auto step = it->second.machine.on_lookup_failed(*failure, now);
      // api.exclusive: a run in doubt must be among the lookups of every round that weighs
      // unknown tasks, or a round that it sat out would take its task for an orphan. It waits
      // for the next round (after the pause below) rather than in a backoff of its own; giving
      // up and permanent failures still end it.
      if (cfg_.api.exclusive && step.records.empty() && step.action.kind == action_kind::wait) {
        lookup_next_.push_back(run);
        continue;
      }
      advance(run, std::move(step), now);
    }
    // A census, sweep or exclusive lookup still needed is tried again, after a pause: a list
    // that keeps failing is not read in a loop.
    if (round.census || round.sweep || (cfg_.api.exclusive && round.lookup))
      sweep_not_before_ = now.steady + cfg_.polling.initial_delay.count();
    return;
  }
  if (cfg_.api.exclusive && round.lookup) {
    // A POST in flight may have created a task this list holds: its answer decides whether the
    // task is known, or whether the round cannot tell whose the unknown tasks are.
    held_posts_.clear();
    held_in_doubt_ = false;
    for (const auto& [id, info] : requests_)
      if (info.cls == request_class::submit && info.sent) held_posts_.insert(id);
    if (!held_posts_.empty() && !round.raced) {
      concluding_ = std::move(round);
      return;
    }
  }
  const bool conclusive = !round.raced;
  conclude_round(std::move(round), conclusive, now);
}

void engine::resubmit_unfound(const std::string& run, const std::vector<std::string>& could_be,
                              const std::string& shared, instant now) {
  auto it = runs_.find(run);
  if (it == runs_.end()) return;
  auto& m = it->second.machine;
  auto step = m.on_lookup(nullptr, now);
  bool again = false;
  for (const auto& r : step.records)
    if (const auto* resubmit = std::get_if<resubmit_record>(&r)) {
      again = true;
      emit(events::resubmitted{run, m.state().intent.job, resubmit->reason});
    }
  if (again) {
    if (cfg_.api.exclusive) unswept_.insert(run);
    if (!cfg_.api.exclusive)
      mark_duplicate(run,
                     "in doubt and not in the task list, where a task that has finished no "
                     "longer shows its body: it may have been applied before",
                     {}, now);
    else if (!could_be.empty())
      mark_duplicate(
          run, "in doubt; tasks in the list that zefortd cannot attribute could be its" + shared,
          could_be, now);
  }
  advance(run, std::move(step), now);
}

}  // namespace zefortd
