// See run_report.hpp.
#include "core/run_report.hpp"

#include <algorithm>

#include "core/exit_code.hpp"

namespace zefortd {

run_report report_of(const run_machine& machine, bool resumed, unix_ms now) {
  const auto& s = machine.state();
  run_report r;
  r.run = s.intent.run;
  r.job = s.intent.job;
  r.task = s.task;
  r.outcome = machine.outcome();
  r.backend_status = s.backend_status;
  r.detail = !s.backend_info.empty() ? s.backend_info : machine.last_error();
  r.contracts = s.contracts;
  r.started = s.intent.at;
  r.ended = s.ended_at ? s.ended_at : now;
  r.resumed = resumed;
  r.resubmits = s.resubmits;
  r.possible_duplicate = s.possible_duplicate;
  r.duplicate_reason = s.duplicate_reason;
  r.duplicate_tasks = s.duplicate_tasks;
  return r;
}

int exit_status_of(const std::vector<run_report>& reports, bool interrupted) {
  if (interrupted) return exit_code::interrupted;
  int status = exit_code::ok;
  for (const auto& r : reports) {
    int s = exit_code::ok;
    switch (r.outcome) {
      case run_outcome::dismissed:
      case run_outcome::finished:
        break;
      case run_outcome::backend_failed:
        s = exit_code::task_failed;
        break;
      case run_outcome::gave_up:
        s = exit_code::gave_up;
        break;
      case run_outcome::rejected:
      case run_outcome::lost:
      case run_outcome::stalled:
        s = exit_code::refused;
        break;
      case run_outcome::none:
        s = exit_code::interrupted;
        break;
    }
    status = std::max(status, s);
  }
  return status;
}

}  // namespace zefortd
