// What `zefortd status` shows, built from the journal's state, the configuration and the time:
// open tasks, the last runs of each job, possible duplicates and schedules. No I/O and no clock:
// report.cpp renders it as text or JSON, and the unit tests feed it states and times.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/config.hpp"
#include "core/journal_state.hpp"
#include "core/time_zone.hpp"

namespace zefortd {

struct open_task_row {
  std::string job, run, task, outcome;  // task empty while the submission is unsettled
  unix_ms since = 0;                    // submitted (or intended, before a task id)
  std::chrono::milliseconds age{0};
  // The journal records no polls: these follow the backoff of polling.* from `since`, with the
  // mean jitter, so they are estimates ("~5"). None before a task id or after the backend ended.
  std::optional<unsigned> polls;
  std::optional<unix_ms> next_poll;
  bool possible_duplicate = false;
};

struct run_row {
  std::string job, run, task, outcome, backend_status, detail;
  unix_ms ended = 0;
  std::uint64_t contracts = 0;
  bool possible_duplicate = false;
};

struct duplicate_row {
  std::string job, run, reason;
  std::vector<std::string> tasks;  // the tasks that may carry the same update
};

struct schedule_row {
  std::string job, schedule, timezone;
  std::optional<sys_seconds> next_fire;  // nullopt: never (or beyond the search horizon)
  bool next_fire_at_start = false;       // @every that never fired: it fires when serve starts
  // Slots that passed unrun (the daemon was down longer than catch_up), in total, under the
  // job's current schedule: the journal's slot records count them.
  std::uint64_t missed = 0;
};

struct status_view {
  std::vector<open_task_row> open;
  std::vector<run_row> last_runs;  // per job (configuration order, then others), newest first
  std::vector<duplicate_row> duplicates;
  std::vector<schedule_row> schedules;
  std::vector<std::string> open_batches;
};

inline constexpr std::size_t last_runs_per_job = 3;

status_view make_status_view(const journal_state& state, const config& cfg,
                             std::chrono::system_clock::time_point now);

// What the journal says about a run possibly having been submitted twice.
struct duplicate_info {
  bool possible = false;
  std::string reason;
  std::vector<std::string> tasks;
};
duplicate_info duplicate_of(const run_state& run);

}  // namespace zefortd
