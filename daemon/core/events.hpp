// The typed events the engine emits as it works. The log, sd_notify STATUS, and later metrics
// and the progress line subscribe to them; none of them is called from inside a decision.
// String views are valid only during the call to the subscriber.
#pragma once

#include <cstdint>
#include <functional>
#include <string_view>
#include <variant>

#include "core/instant.hpp"
#include "core/run_report.hpp"
#include "core/transport.hpp"

namespace zefortd {

namespace events {

struct submitted {  // the API gave a task id (or an in-doubt lookup found the task)
  std::string_view run, job, task;
  bool adopted = false;
};
struct polled {  // a task's status was read while it still runs (or at its end)
  std::string_view run, job, task, backend_status;
  bool from_list = false;
};
struct finished {  // the backend finished a task of ours
  std::string_view run, job, task, backend_status, info;
  std::uint64_t contracts = 0;
};
struct dismissed {
  std::string_view run, job, task;
};
struct in_doubt {  // a submission's fate is unknown: looked up in the task list
  std::string_view run, job;
};
struct resubmitted {  // an in-doubt submission the list did not hold: sent again
  std::string_view run, job, reason;
};
struct retry {  // a request failed and will be tried again (or the run ends)
  std::string_view run, job, what, message;  // what: submit, poll, dismiss, list
  steady_ms delay = 0;
};
struct request_done {  // one exchange with the API, whatever its result
  http_method method = http_method::get;
  std::string_view target;
  unsigned status = 0;  // 0: no HTTP answer
  steady_ms latency = 0;
};
struct run_ended {
  const run_report& report;
};
struct batch_resumed {
  std::string_view batch;
  std::size_t jobs = 0;
};
struct job_skipped {  // a job the engine did not start, and why
  std::string_view job, reason;
};
struct foreign_dismissed {       // dismiss_foreign: a finished task left by another client
  std::string_view task, error;  // error empty on success
};
struct reloaded {  // SIGHUP: jobs and polling settings replaced
  std::size_t jobs = 0;
  bool restart_needed = false;  // api.* or state.* changed: those apply on restart
};
struct stopping {
  bool interrupted = true;  // false: a fatal error stops the work
};
struct possible_duplicate {  // the run's job may have been applied twice
  std::string_view run, job, reason;
};
struct orphan {  // api.exclusive: a task of an in-doubt POST that no run owns
  std::string_view task;
  bool dismissed = false;
  std::string_view error;  // why it is left alone, when it is
};
struct slot_fired {  // serve: a scheduled slot was journaled and its run started
  std::string_view job, run;
  unix_ms slot = 0;
};
struct slot_skipped {  // serve, overlap: skip: the job's previous run still has an open task
  std::string_view job;
  unix_ms slot = 0;
};
struct slots_missed {  // serve: slots that passed while the daemon was down, older than catch_up
  std::string_view job;
  std::uint64_t count = 0;
  unix_ms first = 0;    // the oldest of them
  bool capped = false;  // counting stopped (so many that the count is a lower bound)
};

struct pacing_changed {  // the pacer slowed down after 429/503, or grew back
  double rate_per_second = 0;  // 0: no limit
  unsigned concurrency = 0;
  bool slower = false;  // a decrease (429/503), else growing back
};
struct key_refused {  // 401/403: every request stops until the key is accepted again
  std::string_view message;
  steady_ms retry_in = 0;  // serve: the next probe; 0 under run, which stops
};
struct key_accepted {};  // serve: a probe after key_refused was answered: work resumes

}  // namespace events

using event =
    std::variant<events::submitted, events::polled, events::finished, events::dismissed,
                 events::in_doubt, events::resubmitted, events::retry, events::request_done,
                 events::run_ended, events::batch_resumed, events::job_skipped,
                 events::foreign_dismissed, events::reloaded, events::stopping,
                 events::possible_duplicate, events::orphan, events::slot_fired,
                 events::slot_skipped, events::slots_missed, events::pacing_changed,
                 events::key_refused, events::key_accepted>;

using event_sink = std::function<void(const event&)>;

}  // namespace zefortd
