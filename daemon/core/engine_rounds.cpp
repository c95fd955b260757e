// The engine's list rounds: one read of the task list serves every in-doubt lookup that asked
// before it started and every poll due while many tasks are open. See engine.hpp.
#include "core/engine.hpp"

namespace zefortd {

bool engine::dismissals_gated() const {
  // Offset pagination skips entries when earlier ones disappear, and a skipped in-doubt task
  // would be submitted twice: no dismissal (ours or a foreign one) leaves while a lookup waits
  // for a round or pages the list.
  return !lookup_next_.empty() || (round_ && round_->lookup);
}

void engine::maybe_start_round(instant now) {
  if (round_ || stopping_) return;
  const bool lookup = !lookup_next_.empty();
  if (lookup) {
    // The gate is closed; the round starts once the dismissals already sent have answered.
    if (dismissing_ > 0) return;
  } else if (status_next_.empty() ||
             now.steady < last_status_round_ + cfg_.polling.initial_delay.count()) {
    // Status rounds start at most once per initial_delay: every poll due meanwhile joins.
    return;
  }
  round_.emplace(cfg_.api.base_url);
  round_->id = next_round_++;
  round_->lookup = lookup;
  // A lookup joins only a round that starts after its POST failed: the list it reads can hold
  // the task. Polls due now join any round.
  round_->lookup_runs = std::move(lookup_next_);
  lookup_next_.clear();
  round_->status_runs = std::move(status_next_);
  status_next_.clear();
  for (const auto& run : round_->status_runs)
    if (auto it = runs_.find(run); it != runs_.end()) it->second.list_round = round_->id;
  enqueue(lookup ? request_class::lookup_page : request_class::status_page, http_method::get,
          round_->pager.target(), {}, {});
}

void engine::on_page_answer(const request_info& info, const transport_result& result, instant now) {
  if (!round_) return;  // stopped meanwhile
  auto answer = page_answer(result, "GET " + info.target, wall(now));
  list_pager::step step;
  if (answer) {
    route_page(*answer, now);
    if (!round_) return;
    step = round_->pager.on_page(*answer, now);
  } else {
    step = round_->pager.on_failure(cleaned(answer.error()), now);
  }
  switch (step.what) {
    case list_pager::verdict::next_page:
      enqueue(round_->lookup ? request_class::lookup_page : request_class::status_page,
              http_method::get, round_->pager.target(), {}, {});
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
  const bool census = state_.has_lingering();
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
    // details.data holds the submitted body while the task is pending.
    bool matched = false;
    if (t.data.is_object()) {
      auto& waiting = round_->lookup_runs;
      for (auto i = waiting.begin(); i != waiting.end(); ++i) {
        auto slot = runs_.find(*i);
        if (slot == runs_.end() || slot->second.machine.state().intent.body != t.data.get_object())
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
  if (complete && state_.has_lingering()) state_.keep_lingering(round.listed);
  for (const auto& run : round.lookup_runs) {
    auto it = runs_.find(run);
    if (it == runs_.end()) continue;
    auto& m = it->second.machine;
    if (!complete) {
      advance(run, m.on_lookup_failed(*failure, now), now);
      continue;
    }
    auto step = m.on_lookup(nullptr, now);
    for (const auto& r : step.records)
      if (const auto* again = std::get_if<resubmit_record>(&r))
        emit(events::resubmitted{run, m.state().intent.job, again->reason});
    advance(run, std::move(step), now);
  }
  // Polls the list did not answer (the task left it, or the list failed): ask the task itself.
  for (const auto& run : round.status_runs) {
    auto it = runs_.find(run);
    if (it == runs_.end() || it->second.list_round != round.id) continue;
    it->second.list_round = 0;
    poll_now(run);
  }
}

}  // namespace zefortd
