// The life of one run (one submission of one job) as a socket-free state machine: it takes an
// event (a server answer, a failure, a timer) and returns the records to make durable and the
// next action. The engine journals the records (fsync) *before* performing the action,
// which is what makes every step write-ahead.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "core/api_answer.hpp"
#include "core/backoff.hpp"
#include "core/config.hpp"
#include "core/instant.hpp"
#include "core/journal_state.hpp"
#include "core/retry.hpp"
#include "core/task.hpp"

namespace zefortd {

enum class action_kind {
  submit,   // POST the intent's body
  lookup,   // look the intent's body up in the task list (in-doubt submission)
  poll,     // GET the task
  dismiss,  // PATCH frontend_status done
  wait,     // sleep `delay`, then call on_timer()
  finish,   // nothing more to do: see outcome()
};

enum class run_outcome {
  none,            // not finished
  dismissed,       // backend done, task dismissed
  finished,        // backend done, dismiss: false
  backend_failed,  // backend failed/error/cancelled (dismissed if the job dismisses)
  rejected,        // the API refused the submission (4xx): nothing was created
  lost,            // the task disappeared (404)
  gave_up,         // still pending after polling.give_up_after
  stalled,         // a permanent error (401/403) while the task is open: resumed next start
};

const char* to_string(run_outcome);

struct run_action {
  action_kind kind = action_kind::finish;
  std::chrono::milliseconds delay{0};
};

struct run_step {
  std::vector<journal_record> records;
  run_action action;
};

class run_machine {
 public:
  // A new run: start() emits the intent record.
  static run_machine fresh(intent_record intent, const polling_config&, std::uint64_t seed);
  // A new run that may have been sent before (its job's intent was among records a repair
  // lost): start() emits the intent record, then looks the task up instead of submitting, as
  // a run resumed in doubt does.
  static run_machine in_doubt(intent_record intent, const polling_config&, std::uint64_t seed);
  // A run replayed from the journal: start() resumes where it stopped.
  static run_machine resume(run_state state, const polling_config&, std::uint64_t seed);

  run_step start(instant now);
  run_step on_submitted(const task&, instant now);
  run_step on_submit_failed(const api_failure&, instant now);
  run_step on_lookup(const task* found, instant now);  // nullptr: not in the task list
  run_step on_lookup_failed(const api_failure&, instant now);
  run_step on_polled(const task&, instant now);
  run_step on_poll_failed(const api_failure&, instant now);
  run_step on_dismissed(instant now);
  run_step on_dismiss_failed(const api_failure&, instant now);
  run_step on_timer(instant now);  // the wait is over: perform the action that waited
  // A run ended by stop(): no record, outcome none (it resumes on the next start).
  void interrupt() { outcome_ = run_outcome::none; }
  // The engine found the job may have been applied twice (it journals the duplicate_record).
  void mark_duplicate(const std::string& reason, const std::vector<std::string>& tasks);

  const run_state& state() const { return state_; }
  run_outcome outcome() const { return outcome_; }
  const std::string& last_error() const { return last_error_; }
  unsigned attempts() const { return attempts_; }

 public:
  // A poll answered 404 this many times in a row is tolerated (a load balancer routing to a
  // replica that has not seen the task yet, a brief backend hiccup); one more and it is lost.
  static constexpr unsigned not_found_tolerated = 3;

 private:
  run_machine(run_state, bool journaled, const polling_config&, std::uint64_t seed);
  run_step retry_later(action_kind what, const api_failure&, instant now);
  run_step finish(run_outcome, std::vector<journal_record> records = {});
  run_step give_up(instant now);  // reported, not dismissed: gave_up record, outcome gave_up
  bool past_give_up(instant now) const;
  std::chrono::milliseconds until_give_up(std::chrono::milliseconds delay, instant now) const;
  void give_up_from(unix_ms since, instant now);

  run_state state_;
  bool journaled_;
  bool look_first_ = false;  // in_doubt(): the first action is a lookup
  polling_config polling_;
  backoff backoff_;
  action_kind pending_ = action_kind::submit;  // what on_timer() performs
  run_outcome outcome_ = run_outcome::none;
  std::string last_error_;
  unsigned attempts_ = 0;                // requests that failed and were retried
  unsigned not_found_ = 0;               // 404s to polls in a row
  steady_ms give_up_at_ = steady_never;  // on the steady clock: NTP steps do not move it
};

}  // namespace zefortd
