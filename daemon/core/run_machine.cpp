// The run state machine; see run_machine.hpp.
#include "core/run_machine.hpp"

#include <algorithm>
#include <utility>

namespace zefortd {
namespace {

backoff_policy policy_of(const polling_config& p) {
  return backoff_policy{p.initial_delay, p.max_delay, p.multiplier};
}

}  // namespace

const char* to_string(run_outcome o) {
  switch (o) {
    case run_outcome::none:
      return "running";
    case run_outcome::dismissed:
      return "done";
    case run_outcome::finished:
      return "done (not dismissed)";
    case run_outcome::backend_failed:
      return "failed";
    case run_outcome::rejected:
      return "rejected";
    case run_outcome::lost:
      return "lost";
    case run_outcome::gave_up:
      return "gave up";
    case run_outcome::stalled:
      return "stalled";
  }
  return "?";
}

run_machine::run_machine(run_state state, bool journaled, const polling_config& polling,
                         std::uint64_t seed)
    : state_(std::move(state)),
      journaled_(journaled),
      polling_(polling),
      backoff_(policy_of(polling), seed) {
  // The body is the journal state's to keep (a resumed run's is there already, a fresh one's
  // leaves with the intent record start() emits): one copy per open run.
  if (journaled_) state_.intent.body = {};
}

run_machine run_machine::fresh(intent_record intent, const polling_config& polling,
                               std::uint64_t seed) {
  run_state s;
  s.intent = std::move(intent);
  return run_machine(std::move(s), false, polling, seed);
}

run_machine run_machine::in_doubt(intent_record intent, const polling_config& polling,
                                  std::uint64_t seed) {
  run_machine m = fresh(std::move(intent), polling, seed);
  m.look_first_ = true;
  return m;
}

run_machine run_machine::resume(run_state state, const polling_config& polling,
                                std::uint64_t seed) {
  return run_machine(std::move(state), true, polling, seed);
}

run_step run_machine::start(instant now) {
  if (!journaled_) {
    journaled_ = true;
    give_up_from(now.wall, now);
    auto body = std::exchange(state_.intent.body, {});
    intent_record record = state_.intent;
    record.body = std::move(body);
    return {{std::move(record)}, {look_first_ ? action_kind::lookup : action_kind::submit}};
  }
  // Resumed: the time already spent counts (read from the journal's wall times, once).
  give_up_from(state_.submitted_at ? state_.submitted_at : state_.intent.at, now);
  switch (state_.phase) {
    // An intent without a task id: the POST may or may not have reached the server.
    case run_phase::intended:
      return {{}, {action_kind::lookup}};
    case run_phase::submitted:
      return {{}, {action_kind::poll}};
    case run_phase::finished:
      if (state_.intent.dismiss) return {{}, {action_kind::dismiss}};
      return finish(state_.backend_failed() ? run_outcome::backend_failed : run_outcome::finished);
    case run_phase::dismissed:
      return finish(state_.backend_failed() ? run_outcome::backend_failed : run_outcome::dismissed);
    case run_phase::failed:
      // A 404 to the POST (a wrong endpoint) is a rejection; only a task we had can be lost.
      return finish(state_.http_status == 404 && !state_.task.empty() ? run_outcome::lost
                                                                      : run_outcome::rejected);
    case run_phase::gave_up:
      return finish(run_outcome::gave_up);
  }
  return finish(run_outcome::stalled);
}

run_step run_machine::on_submitted(const task& t, instant now) {
  state_.phase = run_phase::submitted;
  state_.task = t.id;
  state_.submitted_at = now.wall;
  give_up_from(now.wall, now);
  backoff_.reset();
  pending_ = action_kind::poll;
  return {{submitted_record{state_.intent.run, t.id, false, now.wall}},
          {action_kind::wait, backoff_.next()}};
}

run_step run_machine::on_submit_failed(const api_failure& f, instant now) {
  if (f.verdict == retry_verdict::permanent) {
    state_.phase = run_phase::failed;
    state_.http_status = f.status;
    state_.failure = f.message;
    state_.ended_at = now.wall;
    last_error_ = f.message;
    return finish(run_outcome::rejected,
                  {failed_record{state_.intent.run, f.status, f.message, now.wall}});
  }
  // A 500/502/504 or a broken connection after sending: the task may exist. Never resend blind,
  // and look at once: the body is only recognisable in the list while the task is pending.
  if (f.verdict == retry_verdict::retry_in_doubt) {
    ++attempts_;
    last_error_ = f.message;
    return {{}, {action_kind::lookup}};
  }
  return retry_later(action_kind::submit, f, now);
}

run_step run_machine::on_lookup(const task* found, instant now) {
  if (found) {
    state_.phase = run_phase::submitted;
    state_.task = found->id;
    state_.adopted = true;
    state_.submitted_at = now.wall;
    give_up_from(now.wall, now);
    backoff_.reset();
    return {{submitted_record{state_.intent.run, found->id, true, now.wall}}, {action_kind::poll}};
  }
  const resubmit_record resubmit{state_.intent.run, "in doubt and not in the task list", now.wall};
  // Resumed after a crash: nothing has failed yet, send at once.
  if (attempts_ == 0) {
    ++state_.resubmits;
    return {{resubmit}, {action_kind::submit}};
  }
  // After a POST that failed in doubt: a retry like any other, so it backs off and ends at
  // give_up_after (nothing was created, so stopping is safe); otherwise a POST that always
  // fails in doubt would loop submit, lookup, resubmit without a pause or an end.
  if (past_give_up(now)) {
    return give_up(now);
  }
  ++state_.resubmits;
  pending_ = action_kind::submit;
  return {{resubmit}, {action_kind::wait, until_give_up(backoff_.next(), now)}};
}

run_step run_machine::on_lookup_failed(const api_failure& f, instant now) {
  if (f.verdict == retry_verdict::permanent) {
    last_error_ = f.message;
    return finish(run_outcome::stalled);
  }
  return retry_later(action_kind::lookup, f, now);
}

run_step run_machine::on_polled(const task& t, instant now) {
  not_found_ = 0;
  switch (t.state()) {
    case backend_state::running:
      if (past_give_up(now)) {
        return give_up(now);
      }
      pending_ = action_kind::poll;
      return {{}, {action_kind::wait, until_give_up(backoff_.next(), now)}};
    case backend_state::done:
    case backend_state::failed:
      break;
  }
  state_.phase = run_phase::finished;
  state_.backend_status = t.backend_status;
  state_.backend_info = t.backend_status_info;
  state_.contracts = t.contracts_touched();
  state_.ended_at = now.wall;
  std::vector<journal_record> records{finished_record{
      state_.intent.run, t.backend_status, t.backend_status_info, state_.contracts, now.wall}};
  if (state_.intent.dismiss) {
    backoff_.reset();
    return {std::move(records), {action_kind::dismiss}};
  }
  return finish(state_.backend_failed() ? run_outcome::backend_failed : run_outcome::finished,
                std::move(records));
}

run_step run_machine::on_poll_failed(const api_failure& f, instant now) {
  if (f.verdict == retry_verdict::permanent) {
    last_error_ = f.message;
    if (f.status == 404 && ++not_found_ <= not_found_tolerated) {
      api_failure again = f;
      again.verdict = retry_verdict::retry;
      return retry_later(action_kind::poll, again, now);
    }
    if (f.status == 404) {
      state_.phase = run_phase::failed;
      state_.http_status = 404;
      state_.failure = "task " + state_.task + " no longer exists";
      state_.ended_at = now.wall;
      return finish(run_outcome::lost,
                    {failed_record{state_.intent.run, 404, state_.failure, now.wall}});
    }
    return finish(run_outcome::stalled);
  }
  return retry_later(action_kind::poll, f, now);
}

run_step run_machine::on_dismissed(instant now) {
  state_.phase = run_phase::dismissed;
  return finish(state_.backend_failed() ? run_outcome::backend_failed : run_outcome::dismissed,
                {dismissed_record{state_.intent.run, now.wall}});
}

run_step run_machine::on_dismiss_failed(const api_failure& f, instant now) {
  if (f.verdict == retry_verdict::permanent) {
    // Gone from the API: nothing is left to dismiss, which is what dismissing wanted.
    if (f.status == 404) return on_dismissed(now);
    last_error_ = f.message;
    return finish(run_outcome::stalled);
  }
  return retry_later(action_kind::dismiss, f, now);
}

run_step run_machine::on_timer(instant) {
  return {{}, {pending_}};
}

run_step run_machine::retry_later(action_kind what, const api_failure& f, instant now) {
  ++attempts_;
  last_error_ = f.message;
  // Retrying forever would hang an unattended batch: the same bound as a pending task.
  if (past_give_up(now)) {
    return give_up(now);
  }
  pending_ = what;
  auto delay = backoff_.next();
  if (f.retry_after && *f.retry_after > delay) delay = *f.retry_after;
  return {{}, {action_kind::wait, until_give_up(delay, now)}};
}

run_step run_machine::finish(run_outcome o, std::vector<journal_record> records) {
  outcome_ = o;
  return {std::move(records), {action_kind::finish}};
}

run_step run_machine::give_up(instant now) {
  state_.phase = run_phase::gave_up;
  state_.ended_at = now.wall;
  return finish(run_outcome::gave_up, {gave_up_record{state_.intent.run, now.wall}});
}

bool run_machine::past_give_up(instant now) const {
  return now.steady > give_up_at_;
}

// A wait never outlasts give_up_after: with max_delay (or a Retry-After) longer than what is
// left, the run would otherwise give up a whole delay late. It wakes just past the bound.
std::chrono::milliseconds run_machine::until_give_up(std::chrono::milliseconds delay,
                                                     instant now) const {
  if (give_up_at_ == steady_never) return delay;
  const steady_ms left = std::max<steady_ms>(0, give_up_at_ - now.steady) + 1;
  return std::min(delay, std::chrono::milliseconds(left));
}

void run_machine::give_up_from(unix_ms since, instant now) {
  const steady_ms spent = std::max<steady_ms>(0, now.wall - since);
  give_up_at_ =
      now.steady + polling_.give_up_after.count() - std::min(spent, polling_.give_up_after.count());
}

void run_machine::mark_duplicate(const std::string& reason, const std::vector<std::string>& tasks) {
  state_.possible_duplicate = true;
  state_.duplicate_reason = reason;
  for (const auto& t : tasks)
    if (std::find(state_.duplicate_tasks.begin(), state_.duplicate_tasks.end(), t) ==
        state_.duplicate_tasks.end())
      state_.duplicate_tasks.push_back(t);
}

}  // namespace zefortd
