// See status_view.hpp.
#include "core/status_view.hpp"

#include <algorithm>
#include <map>

#include "core/backoff.hpp"
#include "core/schedule.hpp"

namespace zefortd {
namespace {

unix_ms to_unix_ms(std::chrono::system_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

// The run machine waits backoff::next() before each poll, uniform in [c/2, c] for the k-th
// ceiling c: the mean 3c/4 gives the expected schedule of polls since the task id came.
void estimate_polls(open_task_row& row, const polling_config& p, unix_ms now) {
  const backoff shape(backoff_policy{p.initial_delay, p.max_delay, p.multiplier}, 0);
  unix_ms at = row.since;
  unsigned polls = 0;
  // Bounded: a task older than give_up_after is no longer polled, and max_delay at least 1 ms.
  for (unsigned k = 0; polls < 1'000'000; ++k) {
    const auto mean = shape.ceiling(k).count() * 3 / 4;
    if (at + std::max<std::int64_t>(mean, 1) > now) {
      row.next_poll = at + std::max<std::int64_t>(mean, 1);
      break;
    }
    at += std::max<std::int64_t>(mean, 1);
    ++polls;
  }
  row.polls = polls;
}

// What the journal's slot records say of `job` under its current schedule: a slot of another
// schedule says nothing about this one (schedule_book starts such a job afresh too).
const slot_state* slots_of(const journal_state& state, const job_config& job) {
  const auto it = state.slots().find(job.name);
  return it != state.slots().end() && it->second.schedule == *job.schedule ? &it->second : nullptr;
}

}  // namespace

duplicate_info duplicate_of(const run_state& run) {
  duplicate_info d;
  // The engine journals a duplicate_record when a job may have been applied twice: an in-doubt
  // submission sent again that may have acted the first time (README: "Census").
  if (run.possible_duplicate) {
    d.possible = true;
    d.reason = run.duplicate_reason;
    d.tasks = run.duplicate_tasks;
    if (!run.task.empty() &&
        std::find(d.tasks.begin(), d.tasks.end(), run.task) == d.tasks.end())
      d.tasks.insert(d.tasks.begin(), run.task);
  }
  return d;
}

status_view make_status_view(const journal_state& state, const config& cfg,
                             std::chrono::system_clock::time_point now_tp) {
  status_view v;
  const unix_ms now = to_unix_ms(now_tp);

  for (const run_state* s : state.open_runs()) {
    open_task_row row;
    row.job = s->intent.job;
    row.run = s->intent.run;
    row.task = s->task;
    row.outcome = s->outcome();
    row.since = s->submitted_at ? s->submitted_at : s->intent.at;
    row.age = std::chrono::milliseconds(std::max<unix_ms>(0, now - row.since));
    if (s->phase == run_phase::submitted) estimate_polls(row, cfg.polling, now);
    row.possible_duplicate = duplicate_of(*s).possible;
    v.open.push_back(std::move(row));
  }
  std::sort(v.open.begin(), v.open.end(), [](const auto& a, const auto& b) {
    return std::tie(a.since, a.run) < std::tie(b.since, b.run);
  });

  // Closed runs by job, newest first.
  std::map<std::string, std::vector<const run_state*>> closed;
  for (const auto& [id, s] : state.runs())
    if (!s.open()) closed[s.intent.job].push_back(&s);
  std::vector<std::string> order;
  for (const auto& j : cfg.jobs)
    if (closed.count(j.name)) order.push_back(j.name);
  for (const auto& [job, runs] : closed)
    if (std::find(order.begin(), order.end(), job) == order.end()) order.push_back(job);
  for (const auto& job : order) {
    auto runs = closed[job];
    std::sort(runs.begin(), runs.end(), [](const run_state* a, const run_state* b) {
      return std::tie(a->ended_at, a->intent.run) > std::tie(b->ended_at, b->intent.run);
    });
    if (runs.size() > last_runs_per_job) runs.resize(last_runs_per_job);
    for (const run_state* s : runs) {
      run_row row;
      row.job = job;
      row.run = s->intent.run;
      row.task = s->task;
      row.outcome = s->outcome();
      row.backend_status = s->backend_status;
      row.detail = s->failure.empty() ? s->backend_info : s->failure;
      row.ended = s->ended_at;
      row.contracts = s->contracts;
      row.possible_duplicate = duplicate_of(*s).possible;
      v.last_runs.push_back(std::move(row));
    }
  }

  for (const auto& [id, s] : state.runs()) {
    duplicate_info d = duplicate_of(s);
    if (!d.possible) continue;
    v.duplicates.push_back({s.intent.job, s.intent.run, std::move(d.reason), std::move(d.tasks)});
  }

  for (const auto& j : cfg.jobs) {
    if (!j.parsed_schedule || !j.schedule) continue;
    schedule_row row;
    row.job = j.name;
    row.schedule = *j.schedule;
    row.timezone = j.timezone == job_timezone::local ? "local" : "utc";
    const slot_state* slots = slots_of(state, j);
    if (j.parsed_schedule->is_every()) {
      // @every counts from the last slot; none yet: the first fires when serve starts.
      if (slots)
        row.next_fire = next_fire(*j.parsed_schedule,
                                  sys_seconds(std::chrono::floor<std::chrono::seconds>(
                                      std::chrono::milliseconds(slots->last_slot))),
                                  j.timezone);
      else
        row.next_fire_at_start = true;
    } else {
      row.next_fire = next_fire(*j.parsed_schedule, now_tp, j.timezone);
    }
    row.missed = slots ? slots->missed : 0;
    v.schedules.push_back(std::move(row));
  }

  for (const batch_state* b : state.open_batches()) v.open_batches.push_back(b->record.batch);
  return v;
}

}  // namespace zefortd
