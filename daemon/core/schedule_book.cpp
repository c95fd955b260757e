// Which slots of the scheduled jobs are due; see schedule_book.hpp.
#include "core/schedule_book.hpp"

#include <set>

namespace zefortd {
namespace {

using namespace std::chrono;

unix_ms to_unix_ms(sys_seconds t) {
  return duration_cast<milliseconds>(t.time_since_epoch()).count();
}

}  // namespace

std::vector<slot_due> schedule_book::take_due(const std::vector<job_config>& jobs,
                                              const journal_state& state, time_point now) {
  std::vector<slot_due> out;
  std::set<std::string> configured;
  next_.reset();
  for (const job_config& job : jobs) {
    if (!job.parsed_schedule || !job.schedule) continue;
    configured.insert(job.name);
    auto [w, fresh] = watched_.try_emplace(job.name, watched{*job.schedule, now});
    if (!fresh && w->second.schedule != *job.schedule) w->second = watched{*job.schedule, now};

    slot_query q;
    q.started = w->second.since;
    q.now = now;
    // A slot of another schedule says nothing about this one: the job starts afresh.
    const auto known = state.slots().find(job.name);
    if (known != state.slots().end() && known->second.schedule == *job.schedule)
      q.last_slot = sys_seconds(floor<seconds>(milliseconds(known->second.last_slot)));
    const slot_decision d = plan_slots(*job.parsed_schedule, job.timezone, job.catch_up, q);
    if (d.wake && (!next_ || *d.wake < *next_)) next_ = d.wake;
    if (!d.latest) continue;

    slot_due due;
    due.record.job = job.name;
    due.record.schedule = *job.schedule;
    due.record.slot = to_unix_ms(*d.latest);
    due.record.missed = d.missed;
    due.record.at = duration_cast<milliseconds>(now.time_since_epoch()).count();
    if (!d.fire)
      due.record.outcome = slot_outcome::missed;
    else if (job.overlap == overlap_policy::skip && state.job_has_open_run(job.name))
      due.record.outcome = slot_outcome::skipped;
    else
      due.record.outcome = slot_outcome::fired;
    due.missed_sample = d.missed_sample;
    due.missed_capped = d.missed_capped;
    out.push_back(std::move(due));
  }
  // A job no longer scheduled is watched afresh if it comes back.
  for (auto it = watched_.begin(); it != watched_.end();)
    it = configured.count(it->first) ? std::next(it) : watched_.erase(it);
  return out;
}

}  // namespace zefortd
