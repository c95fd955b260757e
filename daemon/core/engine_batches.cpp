// The engine's batches (`zefortd run`), serve revisions, reload, and the end of the work. See
// engine.hpp.
#include <set>

#include "core/engine.hpp"
#include "core/exit_code.hpp"

namespace zefortd {
namespace {

// `--job X --job X` is one job: a batch lists each name once, or it could never close.
std::vector<std::string> distinct(const std::vector<std::string>& names) {
  std::vector<std::string> out;
  std::set<std::string> seen;
  for (const auto& n : names)
    if (seen.insert(n).second) out.push_back(n);
  return out;
}

}  // namespace

void engine::start_batch(const std::vector<std::string>& jobs, instant now) {
  mode_ = mode::batch;
  started_ = true;
  watch_known_orphans(now);
  std::set<std::string> covered;
  std::vector<run_state> resumed;
  std::vector<batch_record> open;
  for (const batch_state* b : state_.open_batches()) open.push_back(b->record);
  for (const auto& b : open) {
    const auto names = distinct(b.jobs);
    emit(events::batch_resumed{b.batch, names.size()});
    std::set<std::string> with_intent;
    std::vector<run_state> runs;
    for (const run_state* s : state_.runs_of_batch(b.batch)) runs.push_back(*s);
    for (auto& s : runs) {
      with_intent.insert(s.intent.job);
      if (s.open()) {
        resumed.push_back(std::move(s));
      } else {
        auto m = run_machine::resume(std::move(s), cfg_.polling, rng_());
        m.start(now);  // a closed run only reports how it ended
        run_report report = report_of(m, true, now.wall);
        emit(events::run_ended{report});
        reports_.push_back(std::move(report));
      }
    }
    for (const auto& name : names) {
      covered.insert(name);
      if (with_intent.count(name)) continue;
      // The batch began but this job's intent never became durable: nothing was sent. Unless a
      // repair lost records since the batch began: then it may have been, and is looked up.
      if (cfg_.find_job(name))
        pending_starts_.push_back({name, b.batch, state_.may_have_lost_intents(b)});
      else
        emit(
            events::job_skipped{name, "of the interrupted batch is no longer configured; skipped"});
    }
  }
  resume_runs(std::move(resumed), now);
  std::vector<std::string> fresh;
  for (const auto& name : distinct(jobs))
    if (!covered.count(name)) fresh.push_back(name);
  if (!fresh.empty() && !stopping_) {
    batch_record batch{new_id("b"), fresh, now.wall};
    for (const auto& name : fresh) pending_starts_.push_back({name, batch.batch});
    // The batch record precedes its intents in the same or an earlier commit.
    apply(std::move(batch));
  }
  settle(now);
}

void engine::start_serve(instant now) {
  mode_ = mode::serve;
  started_ = true;
  watch_known_orphans(now);
  std::vector<run_state> resumed;
  for (const run_state* s : state_.open_runs())
    if (s->intent.batch.empty()) resumed.push_back(*s);  // batches resume under `run`
  resume_runs(std::move(resumed), now);
  start_new_revisions(now);
  settle(now);
}

void engine::start_new_revisions(instant now) {
  fire_due_slots(now);  // a scheduled job fires from its slots, not once per revision
  for (const auto& job : cfg_.jobs) {
    if (job.schedule) continue;
    if (pending_jobs_.count(job.name) || state_.revision_seen(job.name, job.revision())) continue;
    if (job.overlap == overlap_policy::skip && state_.job_has_open_run(job.name)) {
      emit(events::job_skipped{job.name, "previous run still open; new revision skipped"});
      continue;
    }
    pending_jobs_.insert(job.name);
    pending_starts_.push_back({job.name, ""});
  }
}

void engine::reload(config fresh, instant now) {
  if (stopping_ || exited_) return;
  // The pool, the key and the journal are built once: those settings need a restart.
  const bool restart =
      fresh.api.base_url.buffer() != cfg_.api.base_url.buffer() ||
      fresh.state.journal != cfg_.state.journal || fresh.api.connections != cfg_.api.connections ||
      fresh.api.rate_limit != cfg_.api.rate_limit || fresh.api.exclusive != cfg_.api.exclusive;
  cfg_.jobs = std::move(fresh.jobs);
  cfg_.included_files = std::move(fresh.included_files);
  cfg_.polling = fresh.polling;
  emit(events::reloaded{cfg_.jobs.size(), restart});
  start_new_revisions(now);
  settle(now);
}

void engine::check_idle(instant now) {
  if (!started_ || finishing_ || exited_) return;
  if (stopping_) {
    // Stopped: leave once every request in flight has failed and every commit is durable.
    if (!requests_.empty() || commits_in_flight_ > 0 || !pending_records_.empty()) return;
    if (mode_ == mode::batch) {
      for (const auto& [id, slot] : runs_) {
        run_report report = report_of(slot.machine, slot.resumed, now.wall);
        report.outcome = run_outcome::none;
        reports_.push_back(std::move(report));
      }
      finish_batch(true);
    } else {
      finish(exit_code::ok);
    }
    return;
  }
  if (mode_ != mode::batch) return;
  if (!runs_.empty() || !pending_starts_.empty() || !submit_waiters_.empty() ||
      !requests_.empty() || !orphan_watches_.empty() || concluding_ || round_ || sweep_needed())
    return;
  finishing_ = true;
  // A batch ends when no run of it is open any more; every job of it has had a run (or is no
  // longer configured, and was skipped).
  std::vector<journal_record> ends;
  for (const batch_state* b : state_.open_batches()) {
    bool open = false;
    for (const run_state* s : state_.runs_of_batch(b->record.batch)) open = open || s->open();
    if (!open) ends.push_back(batch_end_record{b->record.batch, now.wall});
  }
  commit_then(std::move(ends), [this](instant) {
    actions_.push_back(actions::compact{});
    finish_batch(false);
  });
}

void engine::finish_batch(bool interrupted) {
  // The summary lists runs in the order they started, resumed ones among them.
  std::stable_sort(reports_.begin(), reports_.end(),
                   [](const run_report& a, const run_report& b) { return a.started < b.started; });
  // A refused key stopped the batch: its runs resume once the key is right, and scripts see
  // the refusal rather than an interruption.
  finish(key_stopped_ ? exit_code::refused : exit_status_of(reports_, interrupted));
}

void engine::finish(int status) {
  if (exited_) return;
  exited_ = true;
  actions_.push_back(actions::exit{status});
}

}  // namespace zefortd
