// The slot planner of a scheduled job: given its schedule, the last slot the journal holds and
// the time, which slot fires now, which were missed, and when to ask again. No I/O, no clock:
// the engine passes the times in and carries out the answer.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "core/schedule.hpp"
#include "core/time_zone.hpp"

namespace zefortd {

struct slot_query {
  // The last slot journaled for the job (fired, or skipped by `overlap: skip`); none for a job
  // that never had one. Slots at or before it are never offered again.
  std::optional<sys_seconds> last_slot;
  // When the daemon began to watch the job: the start of `serve`, or the reload that added the
  // job. Slots from then on came while it was up and always fire; older ones came while it was
  // down and fire only when younger than catch_up. A job without a last slot has no slots before
  // this (@every: its first slot is this, "fires at start").
  std::chrono::system_clock::time_point started;
  std::chrono::system_clock::time_point now;
};

inline constexpr std::size_t max_missed_sample = 3;
inline constexpr std::uint64_t max_missed_counted = 10'000;

struct slot_decision {
  // The slot to fire now: the latest slot due, once. The engine journals it before the run starts
  // (with `overlap: skip` and the previous run's task still open, it journals it as skipped and
  // logs that instead), and passes it as last_slot from then on.
  std::optional<sys_seconds> fire;
  // Slots due that will not run: older than catch_up when the daemon came up, or superseded by a
  // later due slot (a job fires once however many slots passed). They are logged and counted.
  std::uint64_t missed = 0;
  bool missed_capped = false;              // counting stopped at max_missed_counted
  std::vector<sys_seconds> missed_sample;  // the oldest missed slots, at most max_missed_sample
  // The latest slot due, fired or missed: the one to journal, so that no slot up to it is
  // offered again. nullopt: nothing due.
  std::optional<sys_seconds> latest;
  // The first slot after `now` (after `fire`): when to call plan_slots again. nullopt: never.
  std::optional<sys_seconds> wake;
};

slot_decision plan_slots(const schedule& s, job_timezone tz, std::chrono::milliseconds catch_up,
                         const slot_query& q);

}  // namespace zefortd
