// How one run ended, for the summary, `run --json` and the exit status of `zefortd run`.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/run_machine.hpp"

namespace zefortd {

struct run_report {
  std::string run;
  std::string job;
  std::string task;
  run_outcome outcome = run_outcome::none;
  std::string backend_status;
  std::string detail;  // backend_status_info or the last error
  std::uint64_t contracts = 0;
  unix_ms started = 0;
  unix_ms ended = 0;
  bool resumed = false;
  unsigned resubmits = 0;  // in-doubt submissions sent again
  // The job may have been applied twice: why, and the tasks that could be its own.
  bool possible_duplicate = false;
  std::string duplicate_reason;
  std::vector<std::string> duplicate_tasks;
};

// The report of a machine as it stands (outcome none when it has not finished).
run_report report_of(const run_machine&, bool resumed, unix_ms now);

// Exit status of `zefortd run` for a set of reports: the largest that applies.
int exit_status_of(const std::vector<run_report>& reports, bool interrupted);

}  // namespace zefortd
