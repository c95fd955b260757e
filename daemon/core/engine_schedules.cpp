// The engine's scheduled jobs under `serve`: the schedule book decides which slots are due, the
// engine journals each decision and starts the fired slots' runs. A fired slot's record and its
// run's intent share one commit, so a slot is durable before its POST leaves and never fires
// twice, across crashes and restarts too. See engine.hpp and schedule_book.hpp.
#include <algorithm>

#include "core/engine.hpp"

namespace zefortd {

void engine::fire_due_slots(instant now) {
  schedule_wake_ = steady_never;
  if (mode_ != mode::serve || stopping_ || exited_) return;
  for (slot_due& due : schedules_.take_due(cfg_.jobs, state_, wall(now))) {
    const std::string job_name = due.record.job;
    const unix_ms slot = due.record.slot;
    if (due.record.missed > 0) {
      const unix_ms first = due.missed_sample.empty()
                                ? slot
                                : std::chrono::duration_cast<std::chrono::milliseconds>(
                                      due.missed_sample.front().time_since_epoch())
                                      .count();
      emit(events::slots_missed{job_name, due.record.missed, first, due.missed_capped});
    }
    const slot_outcome outcome = due.record.outcome;
    apply(std::move(due.record));  // before the intent, in the same commit
    if (outcome == slot_outcome::skipped) {
      emit(events::slot_skipped{job_name, slot});
    } else if (outcome == slot_outcome::fired) {
      const job_config* job = cfg_.find_job(job_name);
      if (!job) continue;
      intent_record intent = new_intent(*job, "", now);
      const std::string run = intent.run;
      // Logged once durable: a slot said to have fired is one that a restart will not fire.
      commit_then({}, [this, job_name, run, slot](instant) {
        emit(events::slot_fired{job_name, run, slot});
      });
      // Not through pending_starts_: the intent joins the slot's commit now; the POST still
      // waits for a submission slot (perform queues it).
      start_run(run_machine::fresh(std::move(intent), cfg_.polling, rng_()), false, false, now);
    }
  }
  if (const auto next = schedules_.next_fire()) {
    // The timer runs on the steady clock; look again at least once a minute, so that a wall
    // clock that was stepped (NTP, a suspend) is caught up with soon.
    const std::int64_t wall_next =
        std::chrono::duration_cast<std::chrono::milliseconds>(next->time_since_epoch()).count();
    const std::int64_t wait = std::clamp<std::int64_t>(wall_next - now.wall, 0, 60'000);
    schedule_wake_ = now.steady + wait;
  }
}

}  // namespace zefortd
