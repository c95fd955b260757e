// The slots of every scheduled job under `serve`: given the jobs, what the journal holds and the
// time, which slots fire, which are skipped (overlap) or missed, and when to look again. No I/O
// and no clock: the engine passes the time in, journals the records it gets (before the run a
// fired slot starts) and arms its timer for the wake-up.
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/config.hpp"
#include "core/journal_state.hpp"
#include "core/schedule_plan.hpp"

namespace zefortd {

struct slot_due {
  slot_record record;                      // to journal; outcome fired: start a run in its commit
  std::vector<sys_seconds> missed_sample;  // the oldest missed slots, for the log
  bool missed_capped = false;
};

class schedule_book {
 public:
  using time_point = std::chrono::system_clock::time_point;

  // The slots due at `now`, at most one record per job, in the order of `jobs`. A job seen for
  // the first time (the start of serve, a reload that added it) or whose schedule changed is
  // watched from `now`: slots before that count as passed while the daemon was down.
  std::vector<slot_due> take_due(const std::vector<job_config>& jobs, const journal_state& state,
                                 time_point now);

  // The earliest next slot over all jobs, as of the last take_due: when to call it again, and
  // the "next fire" that `status` and STATUS= show. nullopt: no slot to come.
  std::optional<sys_seconds> next_fire() const { return next_; }

 private:
  struct watched {
    std::string schedule;
    time_point since;
  };
  std::map<std::string, watched> watched_;
  std::optional<sys_seconds> next_;
};

}  // namespace zefortd
