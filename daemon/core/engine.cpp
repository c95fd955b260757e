// The engine's runs, requests, commits and stop; what it does with answers is in
// engine_answers.cpp, list rounds in engine_rounds.cpp, batches and revisions in
// engine_batches.cpp. See engine.hpp.
#include "core/engine.hpp"

#include <algorithm>
#include <boost/json/serialize.hpp>
#include <stdexcept>
#include <utility>

#include "core/api_answer.hpp"
#include "core/exit_code.hpp"
#include "core/payload_template.hpp"
#include "core/redact.hpp"

namespace zefortd {

engine::engine(config cfg, journal_state replayed, std::uint64_t seed)
    : cfg_(std::move(cfg)),
      state_(std::move(replayed)),
      rng_(seed),
      queue_(cfg_.api.connections, cfg_.api.rate_limit) {}

// ---- plumbing

std::string engine::clean(std::string_view server_text) const {
  return sanitize_server_text(server_text, key_);
}

api_failure engine::cleaned(api_failure f) const {
  f.message = clean(f.message);
  return f;
}

void engine::emit(const event& e) {
  for (const auto& sink : sinks_) sink(e);
}

std::chrono::system_clock::time_point engine::wall(instant now) const {
  return std::chrono::system_clock::time_point(std::chrono::milliseconds(now.wall));
}

std::string engine::new_id(std::string_view prefix) {
  static const char digits[] = "0123456789abcdef";
  std::string id(prefix);
  id += '-';
  for (int i = 0; i < 12; ++i) id += digits[rng_() % 16];
  return id;
}

void engine::apply(journal_record record) {
  // The state answers queries (known tasks, open runs) as soon as a record is decided; the
  // action that depends on it waits for the commit.
  if (auto problem = state_.apply(record)) throw std::logic_error("engine: " + *problem);
  pending_records_.push_back(std::move(record));
}

void engine::commit_then(std::vector<journal_record> records, continuation next) {
  if (records.empty()) {
    if (next) next_continuations_.push_back(std::move(next));
    return;
  }
  for (auto& r : records) apply(std::move(r));
  if (next) next_continuations_.push_back(std::move(next));
}

std::optional<engine_action> engine::next_action() {
  if (actions_.empty()) return std::nullopt;
  engine_action a = std::move(actions_.front());
  actions_.pop_front();
  return a;
}

void engine::settle(instant now) {
  if (exited_) return;
  admit_starts(now);
  maybe_start_round(now);
  check_idle(now);
  if (exited_) return;

  // Everything decided in this step shares one commit (and one fsync).
  if (!pending_records_.empty()) {
    const auto id = next_commit_++;
    after_commit_[id] = std::move(next_continuations_);
    next_continuations_.clear();
    ++commits_in_flight_;
    actions_.push_back(actions::commit{id, std::move(pending_records_)});
    pending_records_.clear();
  } else if (!next_continuations_.empty()) {
    // Nothing to make durable, but work waits on "after what came before": run it now.
    auto ready = std::move(next_continuations_);
    next_continuations_.clear();
    for (auto& c : ready) c(now);
    settle(now);
    return;
  }

  while (may_send(now)) {
    const auto id = queue_.pop(now.steady, dismissals_gated());
    if (!id) break;
    auto it = requests_.find(*id);
    if (it == requests_.end()) {
      queue_.done(load_signal::neutral, now.steady, now.steady);
      continue;
    }
    if (key_paused_) key_probe_ = *id;  // the one request that asks whether the key works again
    auto& info = it->second;
    info.sent_at = now.steady;
    info.sent = true;
    if (info.cls == request_class::dismiss || info.cls == request_class::foreign_dismiss)
      ++dismissing_;
    // The body is copied, not moved: a request refused for its key is sent again (serve).
    actions_.push_back(actions::send{transport_request{*id, info.method, info.target, info.body}});
  }

  steady_ms at = waits_.empty() ? steady_never : waits_.top().at;
  at = std::min(at, queue_.wake_at());
  at = std::min(at, schedule_wake_);
  if (round_) at = std::min(at, round_->retry_at);
  if (key_paused_ && key_probe_ == 0) at = std::min(at, key_probe_at_);
  if (!round_ && !concluding_ &&
      (census_needed_ || sweep_needed() || (cfg_.api.exclusive && !lookup_next_.empty())) &&
      sweep_not_before_ > now.steady)
    at = std::min(at, sweep_not_before_);
  // A round that waits for the POSTs in flight to conclude holds the next one back: its end
  // settles again, and no timer is needed meanwhile.
  // A time already past needs no timer: the round did not start because a lookup waits for the
  // dismissals in flight, whose answers settle again (a timer there would spin).
  if (!round_ && !concluding_ && !status_next_.empty() &&
      last_status_round_ + cfg_.polling.initial_delay.count() > now.steady)
    at = std::min(at, last_status_round_ + cfg_.polling.initial_delay.count());
  if (at != armed_) {
    armed_ = at;
    actions_.push_back(actions::arm_timer{at});
  }
}

std::string engine::waiting_on() const {
  std::string out =
      std::to_string(runs_.size()) + " runs, " + std::to_string(requests_.size()) + " requests (" +
      std::to_string(dismissing_) + " dismissals in flight), " + std::to_string(waits_.size()) +
      " waits, " + std::to_string(lookup_next_.size()) + " lookups next, " +
      std::to_string(status_next_.size()) + " polls next, " + std::to_string(submits_in_flight_) +
      " submits in flight, " + std::to_string(submit_waiters_.size()) + " submit waiters, " +
      std::to_string(pending_starts_.size()) + " starts, " +
      std::to_string(orphan_watches_.size()) + " orphans, " + std::to_string(unswept_.size()) +
      " unswept";
  if (round_)
    out += std::string(", round ") + (round_->lookup ? "lookup" : "status") + " with " +
           std::to_string(round_->lookup_runs.size()) + " lookups";
  if (concluding_) out += ", concluding on " + std::to_string(held_posts_.size()) + " POSTs";
  if (census_needed_) out += ", census needed";
  out += ", armed " + std::to_string(armed_) + ", reads not before " +
         std::to_string(sweep_not_before_);
  return out;
}

// ---- inputs

void engine::on_committed(std::uint64_t commit, instant now) {
  if (exited_) return;
  if (commits_in_flight_ > 0) --commits_in_flight_;
  // Commits become durable in the order they were handed out.
  while (!after_commit_.empty() && after_commit_.begin()->first <= commit) {
    auto ready = std::move(after_commit_.begin()->second);
    after_commit_.erase(after_commit_.begin());
    for (auto& c : ready) c(now);
  }
  settle(now);
}

void engine::on_commit_failed(instant) {
  if (exited_) return;
  emit(events::stopping{false});
  stopping_ = true;
  actions_.push_back(actions::drop_connections{});
  finish(exit_code::journal);
}

void engine::on_timer(instant now) {
  if (exited_) return;
  armed_ = steady_never;
  while (!waits_.empty() && waits_.top().at <= now.steady) {
    std::string run = waits_.top().run;
    waits_.pop();
    if (is_orphan_key(run)) {
      on_orphan_timer(run.substr(1), now);
      continue;
    }
    auto it = runs_.find(run);
    if (it != runs_.end() && !stopping_) advance(run, it->second.machine.on_timer(now), now);
  }
  if (round_ && round_->retry_at <= now.steady) {
    round_->retry_at = steady_never;
    // A status page that failed waits for the retry budget; a lookup page never does.
    enqueue_page(!round_->lookup);
  }
  if (schedule_wake_ <= now.steady) fire_due_slots(now);
  settle(now);
}

void engine::stop(instant now) {
  if (stopping_ || exited_) return;
  stopping_ = true;
  interrupted_ = true;
  emit(events::stopping{true});
  // What has not left yet never will: no intent was written for a pending start, a queued
  // request was never sent, and every open run resumes from the journal on the next start.
  pending_starts_.clear();
  pending_jobs_.clear();
  submit_waiters_.clear();
  lookup_next_.clear();
  status_next_.clear();
  round_.reset();
  concluding_.reset();
  held_posts_.clear();
  deferred_.clear();
  census_needed_ = false;
  unswept_.clear();
  orphan_watches_.clear();  // still orphans in the journal: watched again on the next start
  waits_ = {};
  schedule_wake_ = steady_never;
  foreign_pending_.clear();
  queue_.clear();
  for (auto it = requests_.begin(); it != requests_.end();)
    it = it->second.sent ? std::next(it) : requests_.erase(it);
  actions_.push_back(actions::drop_connections{});
  settle(now);
}

// ---- runs

void engine::take_submit_slot(run_slot& slot) {
  if (slot.holds_submit) return;
  slot.holds_submit = true;
  ++submits_in_flight_;
}

void engine::release_submit_slot(run_slot& slot) {
  if (!slot.holds_submit) return;
  slot.holds_submit = false;
  --submits_in_flight_;
}

intent_record engine::new_intent(const job_config& job, const std::string& batch, instant now) {
  intent_record r;
  r.run = new_id("r");
  r.job = job.name;
  r.revision = job.revision();
  r.batch = batch;
  r.endpoint = job.endpoint;
  r.body = resolve_templates(job.payload, wall(now), job.timezone);
  r.dismiss = job.dismiss;
  r.at = now.wall;
  return r;
}

void engine::admit_starts(instant now) {
  // At most `connections` intents without an answer: a crash leaves few submissions in doubt.
  const unsigned slots = std::max(1u, cfg_.api.connections);
  while (!stopping_ && submits_in_flight_ < slots && !submit_waiters_.empty()) {
    std::string run = std::move(submit_waiters_.front());
    submit_waiters_.pop_front();
    auto it = runs_.find(run);
    if (it == runs_.end()) continue;
    take_submit_slot(it->second);
    perform(run, run_action{action_kind::submit}, now);
  }
  // api.exclusive: nothing new is submitted before the census has read the list.
  while (!stopping_ && !census_needed_ && submits_in_flight_ < slots && !pending_starts_.empty()) {
    pending_start p = std::move(pending_starts_.front());
    pending_starts_.pop_front();
    pending_jobs_.erase(p.job);
    const job_config* job = cfg_.find_job(p.job);
    if (!job) {
      emit(events::job_skipped{p.job, "no longer configured; not started"});
      continue;
    }
    if (p.in_doubt) {
      // Like a run resumed in doubt: no submit slot, since its first request is a lookup.
      start_run(run_machine::in_doubt(new_intent(*job, p.batch, now), cfg_.polling, rng_()), true,
                false, now);
      continue;
    }
    start_run(run_machine::fresh(new_intent(*job, p.batch, now), cfg_.polling, rng_()), false, true,
              now);
  }
}

std::string engine::add_run(run_machine machine, bool resumed, bool holds_submit) {
  std::string id = machine.state().intent.run;
  auto [it, fresh] = runs_.emplace(id, run_slot{std::move(machine), resumed});
  if (!fresh) throw std::logic_error("engine: run " + id + " started twice");
  auto& slot = it->second;
  if (holds_submit) take_submit_slot(slot);
  if (!slot.machine.state().task.empty()) run_of_task_[slot.machine.state().task] = id;
  return id;
}

void engine::start_run(run_machine machine, bool resumed, bool holds_submit, instant now) {
  const std::string id = add_run(std::move(machine), resumed, holds_submit);
  advance(id, runs_.at(id).machine.start(now), now);
}

void engine::resume_runs(std::vector<run_state> states, instant now) {
  // All of them count before any polls: how many are open decides per-task polls or lists.
  std::vector<std::string> ids;
  for (auto& s : states)
    ids.push_back(add_run(run_machine::resume(std::move(s), cfg_.polling, rng_()), true, false));
  for (const auto& id : ids)
    if (auto it = runs_.find(id); it != runs_.end())
      advance(id, it->second.machine.start(now), now);
}

void engine::advance(const std::string& run, run_step step, instant now) {
  if (step.records.empty()) {
    perform(run, step.action, now);
    return;
  }
  // Write-ahead: the action waits until its records are durable.
  commit_then(std::move(step.records),
              [this, run, action = step.action](instant n) { perform(run, action, n); });
}

bool engine::list_mode() const {
  return cfg_.polling.list_above > 0 && runs_.size() > cfg_.polling.list_above;
}

std::string engine::api_path(std::string_view relative) const {
  std::string t(cfg_.api.base_url.encoded_path());
  if (t.empty() || t.back() != '/') t += '/';
  t += relative;
  return t;
}

std::string engine::task_target(std::string_view task) const {
  std::string t = api_path("tasks/");
  t += task;
  t += '/';
  return t;
}

void engine::poll_now(const std::string& run) {
  auto it = runs_.find(run);
  if (it == runs_.end()) return;
  enqueue(request_class::poll, http_method::get, task_target(it->second.machine.state().task), {},
          run, std::exchange(it->second.retrying, false));
}

void engine::perform(const std::string& run, const run_action& action, instant now) {
  auto it = runs_.find(run);
  if (it == runs_.end()) return;
  auto& slot = it->second;
  const auto& s = slot.machine.state();
  if (action.kind == action_kind::finish) {
    finish_run(run, now);
    return;
  }
  if (stopping_) return;  // nothing new leaves; the run resumes from the journal
  switch (action.kind) {
    case action_kind::submit: {
      if (!slot.holds_submit) {
        if (submits_in_flight_ >= std::max(1u, cfg_.api.connections)) {
          submit_waiters_.push_back(run);
          return;
        }
        take_submit_slot(slot);
      }
      // The body is kept once, in the journal state (the machine does not hold it): serialised
      // here, it is the same bytes the journal's intent holds.
      const run_state* journaled = state_.find_run(run);
      if (!journaled) throw std::logic_error("engine: run " + run + " submits before its intent");
      enqueue(request_class::submit, http_method::post, api_path(s.intent.endpoint),
              boost::json::serialize(journaled->intent.body), run,
              std::exchange(slot.retrying, false));
      return;
    }
    case action_kind::lookup:
      slot.retrying = false;  // a lookup is never held by the retry budget
      emit(events::in_doubt{run, s.intent.job});
      lookup_next_.push_back(run);
      return;
    case action_kind::poll:
      // Many open tasks: one paged list per round tells the state of all of them at once.
      if (list_mode()) {
        slot.list_round = next_status_round;
        status_next_.push_back(run);
      } else {
        poll_now(run);
      }
      return;
    case action_kind::dismiss:
      enqueue(request_class::dismiss, http_method::patch, task_target(s.task),
              R"({"frontend_status":"done"})", run, std::exchange(slot.retrying, false));
      return;
    case action_kind::wait:
      waits_.push(wait_entry{now.steady + action.delay.count(), run});
      return;
    case action_kind::finish:
      return;
  }
}

void engine::finish_run(const std::string& run, instant now) {
  auto it = runs_.find(run);
  if (it == runs_.end()) return;
  release_submit_slot(it->second);
  run_report report = report_of(it->second.machine, it->second.resumed, now.wall);
  if (!report.task.empty()) run_of_task_.erase(report.task);
  runs_.erase(it);
  emit(events::run_ended{report});
  if (mode_ == mode::batch) reports_.push_back(std::move(report));
  // Closed runs beyond the recent ones are history: memory follows the open work.
  if (state_.runs().size() > prune_above_) {
    state_.prune(recent_runs_kept);
    const std::size_t kept = state_.runs().size();
    prune_above_ = kept + std::max(kept / 2, 2 * recent_runs_kept);
  }
}

// ---- requests

std::uint64_t engine::enqueue(request_class cls, http_method method, std::string target,
                              std::string body, std::string key, bool retry) {
  const auto id = next_request_++;
  requests_.emplace(
      id, request_info{cls, method, std::move(target), std::move(body), std::move(key), 0, false});
  queue_.push(cls, id, retry);
  return id;
}

}  // namespace zefortd
