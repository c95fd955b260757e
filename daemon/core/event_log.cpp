// See event_log.hpp.
#include "core/event_log.hpp"

#include "core/log.hpp"
#include "core/time_zone.hpp"

namespace zefortd {
namespace {

struct line_for {
  void operator()(const events::submitted& e) const {
    if (e.adopted)
      log_notice("job ", e.job, ": found the in-doubt submission as task ", e.task);
    else
      log_info("job ", e.job, ": submitted, task ", e.task);
  }
  void operator()(const events::polled& e) const {
    log_debug("job ", e.job, ": task ", e.task, " is ", e.backend_status,
              e.from_list ? " (list)" : "");
  }
  void operator()(const events::finished& e) const {
    if (e.info.empty())
      log_info("job ", e.job, ": task ", e.task, " finished: ", e.backend_status, ", ", e.contracts,
               e.contracts == 1 ? " contract" : " contracts");
    else
      log_info("job ", e.job, ": task ", e.task, " finished: ", e.backend_status, " (", e.info,
               "), ", e.contracts, e.contracts == 1 ? " contract" : " contracts");
  }
  void operator()(const events::dismissed& e) const {
    log_info("job ", e.job, ": task ", e.task, " dismissed");
  }
  void operator()(const events::in_doubt& e) const {
    log_notice("job ", e.job, ": submission in doubt; looking it up in the task list");
  }
  void operator()(const events::resubmitted& e) const {
    log_notice("job ", e.job, ": in-doubt submission not in the task list; submitting again");
  }
  void operator()(const events::retry& e) const {
    if (e.job.empty())
      log_warning("task ", e.what, " failed: ", e.message);
    else
      log_warning("job ", e.job, ": ", e.what, " failed: ", e.message);
  }
  void operator()(const events::request_done& e) const {
    log_debug(to_string(e.method), " ", e.target, " -> ",
              e.status ? std::to_string(e.status) : std::string("no answer"), " in ", e.latency,
              " ms");
  }
  void operator()(const events::run_ended& e) const {
    const auto& r = e.report;
    switch (r.outcome) {
      case run_outcome::none:  // interrupted: resumes on the next start
      case run_outcome::dismissed:
      case run_outcome::finished:
        break;
      case run_outcome::stalled:
        log_error("job ", r.job, ": stopped tracking task ", r.task.empty() ? "(none)" : r.task,
                  ": ", r.detail, "; it stays open in the journal and resumes on the next start");
        break;
      default:
        log_error("job ", r.job, ": ", to_string(r.outcome), r.detail.empty() ? "" : ": ",
                  r.detail);
    }
  }
  void operator()(const events::batch_resumed& e) const {
    log_notice("resuming interrupted batch ", e.batch, " (", e.jobs,
               e.jobs == 1 ? " job)" : " jobs)");
  }
  void operator()(const events::job_skipped& e) const { log_notice("job ", e.job, ": ", e.reason); }
  void operator()(const events::foreign_dismissed& e) const {
    if (e.error.empty())
      log_info("dismissed finished task ", e.task, " left by another client (dismiss_foreign)");
    else
      log_warning("dismissing foreign task ", e.task, " failed: ", e.error);
  }
  void operator()(const events::reloaded& e) const {
    if (e.restart_needed)
      log_warning("api.* and state.* changes take effect on restart; jobs and polling reload now");
    log_notice("configuration reloaded: ", e.jobs, e.jobs == 1 ? " job" : " jobs");
  }
  void operator()(const events::stopping&) const {}
  void operator()(const events::possible_duplicate& e) const {
    log_warning("run ", e.run, " of job ", e.job, " may have been applied twice: ", e.reason);
  }
  void operator()(const events::orphan& e) const {
    if (!e.error.empty())
      log_warning("task ", e.task, " of an in-doubt submission: ", e.error);
    else if (e.dismissed)
      log_info("dismissed task ", e.task, " of an in-doubt submission that no run owns");
    else
      log_notice("task ", e.task, " comes from an in-doubt submission that no run owns; "
                 "dismissing it once it finishes");
  }
  void operator()(const events::slot_fired& e) const {
    log_info("job ", e.job, ": slot ", slot_time(e.slot), " fired (run ", e.run, ")");
  }
  void operator()(const events::slot_skipped& e) const {
    log_notice("job ", e.job, ": slot ", slot_time(e.slot),
               " skipped: the previous run's task is still open (overlap: skip)");
  }
  void operator()(const events::slots_missed& e) const {
    log_warning("job ", e.job, ": ", e.count, e.capped ? " or more" : "",
                e.count == 1 ? " slot" : " slots", " passed unrun, from ", slot_time(e.first),
                " (older than catch_up when zefortd came up, or superseded by a later slot)");
  }
  void operator()(const events::pacing_changed& e) const {
    const std::string rate =
        e.rate_per_second > 0 ? std::to_string(static_cast<long>(e.rate_per_second)) + " req/s"
                              : std::string("no rate limit");
    if (e.slower)
      log_info("the API asked to slow down (429/503): pacing at ", rate, ", ", e.concurrency,
               e.concurrency == 1 ? " request" : " requests", " in flight");
    else
      log_debug("pacing back up: ", rate, ", ", e.concurrency, " in flight");
  }
  void operator()(const events::key_refused& e) const {
    if (e.retry_in > 0)
      log_error("the API key was refused: ", e.message, "; all work is paused, state kept; ",
                "trying again in ", e.retry_in / 1000, " s (fix the key and reload, or wait)");
    else
      log_error("the API key was refused: ", e.message, "; stopping all work");
  }
  void operator()(const events::key_accepted&) const {
    log_notice("the API key is accepted again; work resumes");
  }

  static std::string slot_time(unix_ms t) {
    return format_utc(std::chrono::sys_seconds(
        std::chrono::floor<std::chrono::seconds>(std::chrono::milliseconds(t))));
  }
};

}  // namespace

void log_event(const event& e) {
  std::visit(line_for{}, e);
}

}  // namespace zefortd
