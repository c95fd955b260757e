// Which slot of a job fires now, which were missed, when to wake; see schedule_plan.hpp.
#include "core/schedule_plan.hpp"

#include <algorithm>

namespace zefortd {
namespace {

using namespace std::chrono;
using time_point = system_clock::time_point;

// Whether a due slot runs: always when it came while the daemon was up, else when younger than
// catch_up.
bool runs(sys_seconds slot, milliseconds catch_up, const slot_query& q) {
  return slot >= floor<seconds>(q.started) || q.now - slot <= catch_up;
}

void add_missed(slot_decision& d, sys_seconds slot) {
  ++d.missed;
  if (d.missed_sample.size() < max_missed_sample) d.missed_sample.push_back(slot);
}

slot_decision plan_every(seconds interval, milliseconds catch_up, const slot_query& q) {
  slot_decision d;
  const bool fired_before = q.last_slot.has_value();
  // Without a journaled slot the first one is the start itself.
  const sys_seconds anchor = fired_before ? *q.last_slot : floor<seconds>(q.started);
  const std::int64_t first = fired_before ? 1 : 0;  // index of the first slot still to come
  if (q.now < anchor + first * interval) {
    d.wake = anchor + first * interval;
    return d;
  }
  const std::int64_t latest = duration_cast<seconds>(q.now - anchor) / interval;
  const sys_seconds slot = anchor + latest * interval;
  const bool fire = runs(slot, catch_up, q);
  d.latest = slot;
  if (fire) d.fire = slot;
  const std::uint64_t missed = static_cast<std::uint64_t>(latest - first + (fire ? 0 : 1));
  for (std::int64_t i = first;
       d.missed_sample.size() < std::min<std::uint64_t>(missed, max_missed_sample); ++i)
    d.missed_sample.push_back(anchor + i * interval);
  d.missed = missed;
  d.wake = slot + interval;
  return d;
}

slot_decision plan_cron(const schedule& s, job_timezone tz, milliseconds catch_up,
                        const slot_query& q) {
  slot_decision d;
  // Slots strictly after `from` are due once they are not after `now`.
  const time_point from = q.last_slot ? time_point(*q.last_slot) : q.started - nanoseconds{1};
  const auto next = [&](time_point after) { return next_fire(s, after, tz); };
  const auto first = next(from);
  if (!first || *first > q.now) {
    d.wake = next(std::max(from, q.now));
    return d;
  }
  // The latest due slot, by bisection on "the first slot after x is due": slots are whole,
  // distinct minutes, so a minute-wide bracket holds at most one.
  time_point low = from;
  time_point high = q.now;  // the first slot after now is not due
  while (high - low > minutes{1}) {
    const time_point mid = low + (high - low) / 2;
    const auto slot = next(mid);
    (slot && *slot <= q.now ? low : high) = mid;
  }
  const sys_seconds latest = *next(low);
  const bool fire = runs(latest, catch_up, q);
  d.latest = latest;
  if (fire) d.fire = latest;
  for (auto slot = first; slot && *slot < latest; slot = next(*slot)) {
    if (d.missed == max_missed_counted) {
      d.missed_capped = true;
      break;
    }
    add_missed(d, *slot);
  }
  if (!fire && !d.missed_capped) add_missed(d, latest);
  d.wake = next(q.now);
  return d;
}

}  // namespace

slot_decision plan_slots(const schedule& s, job_timezone tz, milliseconds catch_up,
                         const slot_query& q) {
  if (const schedule::every* e = s.if_every()) return plan_every(e->interval, catch_up, q);
  return plan_cron(s, tz, catch_up, q);
}

}  // namespace zefortd
