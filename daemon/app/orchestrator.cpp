// See orchestrator.hpp.
#include "app/orchestrator.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <csignal>
#include <set>

#include "core/failpoint.hpp"
#include "core/log.hpp"
#include "core/payload_template.hpp"
#include "net/tls_context.hpp"

namespace zefortd {

// One fetch of the task list shared by every in-doubt lookup that asked before it started.
struct orchestrator::list_round {
  explicit list_round(asio::any_io_executor ex) : done(ex, asio::steady_timer::time_point::max()) {}
  asio::steady_timer done;
  std::optional<api_result<std::vector<task>>> result;
};

namespace {

pool_options pool_options_of(const config& cfg) {
  pool_options o;
  o.host = cfg.api.base_url.host_address();
  o.port = cfg.api.base_url.has_port() ? std::string(cfg.api.base_url.port()) : "443";
  o.timeout = cfg.api.timeout;
  o.max_connections = cfg.api.connections;
  o.rate_limit = cfg.api.rate_limit;
  return o;
}

}  // namespace

orchestrator::orchestrator(config cfg, secret key, journal_file file)
    : cfg_(std::move(cfg)),
      key_(std::move(key)),
      tls_(make_tls_client_context(cfg_.api.ca_file)),
      submits_(ioc_.get_executor(), cfg_.api.connections),
      signals_(ioc_, SIGINT, SIGTERM),
      hup_(ioc_),
      rng_(std::random_device{}()) {
  pool_ = std::make_unique<https_pool>(ioc_.get_executor(), tls_, pool_options_of(cfg_));
  client_ = std::make_unique<api_client>(*pool_, cfg_.api.base_url, key_);
  journal_ = std::make_unique<journal>(ioc_.get_executor(), std::move(file));
}

orchestrator::~orchestrator() = default;

unix_ms orchestrator::now_ms() const {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string orchestrator::new_id(std::string_view prefix) {
  static const char digits[] = "0123456789abcdef";
  std::string id(prefix);
  id += '-';
  for (int i = 0; i < 12; ++i) id += digits[rng_() % 16];
  return id;
}

intent_record orchestrator::new_intent(const job_config& job, const std::string& batch) {
  intent_record r;
  r.run = new_id("r");
  r.job = job.name;
  r.revision = job.revision();
  r.batch = batch;
  r.endpoint = job.endpoint;
  r.body = resolve_templates(job.payload, std::chrono::system_clock::now(), job.timezone);
  r.dismiss = job.dismiss;
  r.at = now_ms();
  return r;
}

void orchestrator::start_run(run_machine machine, bool resumed) {
  ++active_;
  const std::string id = machine.state().intent.run;
  auto on_done = [this, id](std::exception_ptr e) {
    if (e) {
      try {
        std::rethrow_exception(e);
      } catch (const journal_error& err) {
        // The journal can no longer promise anything: stop before another request leaves.
        log_error(err.what());
        if (!fatal_) fatal_ = e;
        stop(false);
      } catch (const std::exception& err) {
        log_error("run ", id, ": internal error: ", err.what());
      }
    }
    if (--active_ == 0 && on_idle_) on_idle_();
  };
  asio::co_spawn(ioc_, drive(std::move(machine), resumed), std::move(on_done));
}

asio::awaitable<void> orchestrator::drive(run_machine machine, bool resumed) {
  auto step = machine.start(now_ms());
  for (;;) {
    std::optional<semaphore_permit> permit;
    if (step.action.kind == action_kind::submit) {
      // Hold a slot from the intent's fsync until the answer: a crash leaves few in doubt.
      co_await submits_.acquire();
      permit.emplace(submits_);
      if (stopping_) break;  // the intent was never written: nothing happened
    }
    co_await journal_->commit(std::move(step.records));
    if (step.action.kind == action_kind::finish || stopping_) break;
    step = co_await perform(machine, step.action);
  }
  on_run_finished(machine, resumed);
}

asio::awaitable<run_step> orchestrator::perform(run_machine& machine, const run_action& action) {
  const auto& s = machine.state();
  const auto& job = s.intent.job;
  switch (action.kind) {
    case action_kind::submit: {
      failpoint(failpoints::after_intent);
      auto r = co_await client_->submit(s.intent.endpoint, s.intent.body);
      failpoint(failpoints::after_post);
      if (!r) {
        log_warning("job ", job, ": submit failed: ", r.error().message);
        co_return machine.on_submit_failed(r.error(), now_ms());
      }
      log_info("job ", job, ": submitted, task ", r->id);
      co_return machine.on_submitted(*r, now_ms());
    }
    case action_kind::lookup: {
      log_notice("job ", job, ": submission in doubt; looking it up in the task list");
      auto shared = co_await fresh_task_list();
      if (!shared->has_value()) {
        api_failure f;
        f.message = "task list fetch was interrupted";
        co_return machine.on_lookup_failed(f, now_ms());
      }
      const auto& listed = **shared;
      if (!listed) {
        log_warning("job ", job, ": task list failed: ", listed.error().message);
        co_return machine.on_lookup_failed(listed.error(), now_ms());
      }
      const task* found = match_in_doubt(*listed, s.intent);
      if (found)
        log_notice("job ", job, ": found the in-doubt submission as task ", found->id);
      else
        log_notice("job ", job, ": in-doubt submission not in the task list; submitting again");
      co_return machine.on_lookup(found, now_ms());
    }
    case action_kind::poll: {
      // Many open tasks: one paged list per round tells the state of all of them at once.
      if (cfg_.polling.list_above > 0 && active_ > cfg_.polling.list_above) {
        auto shared = co_await status_round();
        if (shared->has_value() && **shared) {
          for (const auto& t : ***shared) {
            if (t.id != s.task) continue;
            log_debug("job ", job, ": task ", s.task, " is ", t.backend_status, " (list)");
            co_return polled(machine, t);
          }
        }
        // Not in the list (dismissed elsewhere, or the list failed): ask for the task itself.
      }
      auto r = co_await client_->poll(s.task);
      if (!r) {
        log_warning("job ", job, ": poll of task ", s.task, " failed: ", r.error().message);
        co_return machine.on_poll_failed(r.error(), now_ms());
      }
      log_debug("job ", job, ": task ", s.task, " is ", r->backend_status);
      co_return polled(machine, *r);
    }
    case action_kind::dismiss: {
      // A dismissal shifts the pages of the task list: none may run while a lookup lists.
      for (auto gate = list_gate_; gate && !stopping_; gate = list_gate_) {
        auto [ec] = co_await gate->async_wait(use_tuple);
      }
      ++dismissing_;
      auto r = co_await client_->dismiss(s.task);
      failpoint(failpoints::after_dismiss);
      if (--dismissing_ == 0 && dismissals_drained_) dismissals_drained_->cancel();
      if (!r) {
        log_warning("job ", job, ": dismiss of task ", s.task, " failed: ", r.error().message);
        co_return machine.on_dismiss_failed(r.error(), now_ms());
      }
      log_info("job ", job, ": task ", s.task, " dismissed");
      co_return machine.on_dismissed(now_ms());
    }
    case action_kind::wait: {
      asio::steady_timer timer(ioc_, action.delay);
      waits_.insert(&timer);
      auto [ec] = co_await timer.async_wait(use_tuple);
      waits_.erase(&timer);
      co_return machine.on_timer(now_ms());
    }
    case action_kind::finish:
      break;
  }
  co_return run_step{};
}

run_step orchestrator::polled(run_machine& machine, const task& t) {
  if (t.state() != backend_state::running)
    log_info("job ", machine.state().intent.job, ": task ", t.id, " finished: ", t.backend_status,
             t.backend_status_info.empty() ? "" : " (" + t.backend_status_info + ")", ", ",
             t.contracts_touched(), " contracts");
  return machine.on_polled(t, now_ms());
}

asio::awaitable<orchestrator::shared_list> orchestrator::status_round() {
  // Rounds start at most once per initial_delay: every poll that falls due meanwhile joins.
  co_return co_await join_round(round_kind::status);
}

asio::awaitable<orchestrator::shared_list> orchestrator::join_round(round_kind kind) {
  auto& slot = kind == round_kind::status ? next_status_round_ : next_round_;
  // Take the round before spawning: co_spawn may run the fetch at once, and the fetch clears
  // the slot when it starts listing.
  auto round = slot;
  if (!round) {
    round = std::make_shared<list_round>(ioc_.get_executor());
    slot = round;
    if (kind == round_kind::status)
      asio::co_spawn(ioc_, fetch_status(round), asio::detached);
    else
      asio::co_spawn(ioc_, fetch_list(round), asio::detached);
  }
  if (!round->result) {
    auto [ec] = co_await round->done.async_wait(use_tuple);
  }
  co_return std::make_shared<std::optional<api_result<std::vector<task>>>>(round->result);
}

asio::awaitable<void> orchestrator::fetch_status(std::shared_ptr<list_round> round) {
  // One status listing at a time, and initial_delay between the end of one and the next start:
  // a list longer than initial_delay must not make listings pile up on the connections.
  for (;;) {
    if (auto running = running_status_round_) {
      auto [ec] = co_await running->done.async_wait(use_tuple);
      continue;
    }
    auto start = last_status_round_ + cfg_.polling.initial_delay;
    if (std::chrono::steady_clock::now() >= start || stopping_) break;
    asio::steady_timer timer(ioc_, start);
    waits_.insert(&timer);
    auto [ec] = co_await timer.async_wait(use_tuple);
    waits_.erase(&timer);
  }
  running_status_round_ = round;
  if (next_status_round_ == round) next_status_round_.reset();
  auto l = co_await client_->list();
  if (l && cfg_.polling.dismiss_foreign) dismiss_foreign(*l);
  running_status_round_.reset();
  last_status_round_ = std::chrono::steady_clock::now();
  round->result.emplace(std::move(l));
  round->done.cancel();
}

void orchestrator::dismiss_foreign(const std::vector<task>& tasks) {
  for (const auto& t : tasks) {
    if (t.state() == backend_state::running || journal_->state().task_known(t.id)) continue;
    if (!foreign_dismissing_.insert(t.id).second) continue;
    auto id = t.id;
    auto go = [](orchestrator* self, std::string id) -> asio::awaitable<void> {
      auto r = co_await self->client_->dismiss(id);
      if (r)
        log_info("dismissed finished task ", id, " left by another client (dismiss_foreign)");
      else
        log_warning("dismissing foreign task ", id, " failed: ", r.error().message);
      self->foreign_dismissing_.erase(id);
    };
    asio::co_spawn(ioc_, go(this, id), asio::detached);
  }
}

asio::awaitable<orchestrator::shared_list> orchestrator::fresh_task_list() {
  // A round not yet started serves every lookup that asks before it starts: the submissions in
  // doubt were all sent before the round fetches, so the list it gets can hold them.
  co_return co_await join_round(round_kind::lookup);
}

asio::awaitable<void> orchestrator::fetch_list(std::shared_ptr<list_round> round) {
  co_await asio::post(ioc_, asio::use_awaitable);  // let the lookups of this turn join
  if (next_round_ == round) next_round_.reset();
  // Offset pagination skips entries when earlier ones disappear, and a skipped in-doubt task
  // would be submitted twice: hold our own dismissals until the list is read.
  if (listing_++ == 0)
    list_gate_ = std::make_shared<asio::steady_timer>(ioc_, asio::steady_timer::time_point::max());
  if (dismissing_ > 0) {
    if (!dismissals_drained_)
      dismissals_drained_ =
          std::make_shared<asio::steady_timer>(ioc_, asio::steady_timer::time_point::max());
    auto drained = dismissals_drained_;  // shared by every round waiting; cancel wakes all
    auto [ec] = co_await drained->async_wait(use_tuple);
    if (dismissals_drained_ == drained) dismissals_drained_.reset();
  }
  auto l = co_await client_->list();
  if (l && cfg_.polling.dismiss_foreign) dismiss_foreign(*l);
  if (--listing_ == 0) {
    list_gate_->cancel();
    list_gate_.reset();
  }
  round->result.emplace(std::move(l));
  round->done.cancel();
}

const task* orchestrator::match_in_doubt(const std::vector<task>& tasks,
                                         const intent_record& intent) const {
  // details.data holds the submitted body while the task is pending. A task this journal
  // already knows belongs to another run, even when its body is the same.
  for (const auto& t : tasks) {
    if (journal_->state().task_known(t.id)) continue;
    if (t.data.is_object() && t.data.get_object() == intent.body) return &t;
  }
  return nullptr;
}

void orchestrator::on_run_finished(const run_machine& machine, bool resumed) {
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
  r.ended = s.ended_at ? s.ended_at : now_ms();
  r.resumed = resumed;
  switch (r.outcome) {
    case run_outcome::none:
      break;  // interrupted: resumes on the next start
    case run_outcome::dismissed:
    case run_outcome::finished:
      break;
    case run_outcome::stalled:
      log_error("job ", r.job, ": stopped tracking task ", r.task.empty() ? "(none)" : r.task, ": ",
                r.detail, "; it stays open in the journal and resumes on the next start");
      break;
    default:
      log_error("job ", r.job, ": ", to_string(r.outcome), r.detail.empty() ? "" : ": ", r.detail);
  }
  reports_.push_back(std::move(r));
  // This run's coroutine still counts in active_ until it returns.
  if (serving_) notifier_.status(status_line(active_ - 1));
}

void orchestrator::watch_signals() {
  signals_.async_wait([this](boost::system::error_code ec, int signo) {
    if (ec) return;
    log_notice("received ", signo == SIGINT ? "SIGINT" : "SIGTERM", ", stopping");
    stop(true);
  });
}

void orchestrator::stop(bool interrupted) {
  if (stopping_) return;
  stopping_ = true;
  interrupted_ = interrupted;
  notifier_.stopping();
  boost::system::error_code ec;
  signals_.cancel(ec);
  hup_.cancel(ec);
  for (auto* t : waits_) t->cancel();
  // Wake whatever waits on a list round or a dismissal gate: nothing may hold the loop open.
  if (list_gate_) list_gate_->cancel();
  if (dismissals_drained_) dismissals_drained_->cancel();
  pool_->shutdown();
  submits_.cancel_waiters();
}

asio::awaitable<void> orchestrator::begin_batch(std::vector<std::string> jobs) {
  ++active_;  // keeps on_idle_ from firing while runs are being started
  const auto& st = journal_->state();
  std::set<std::string> covered;
  for (const batch_state* b : st.open_batches()) {
    log_notice("resuming interrupted batch ", b->record.batch, " (", b->record.jobs.size(),
               " jobs)");
    std::set<std::string> with_intent;
    for (const run_state* s : st.runs_of_batch(b->record.batch)) {
      with_intent.insert(s->intent.job);
      if (s->open())
        start_run(run_machine::resume(*s, cfg_.polling, rng_()), true);
      else {
        run_machine done = run_machine::resume(*s, cfg_.polling, rng_());
        done.start(now_ms());
        on_run_finished(done, true);
      }
    }
    for (const auto& name : b->record.jobs) {
      covered.insert(name);
      if (with_intent.count(name)) continue;
      // The batch began but this job's intent never became durable: nothing was sent.
      if (const job_config* job = cfg_.find_job(name))
        start_run(run_machine::fresh(new_intent(*job, b->record.batch), cfg_.polling, rng_()),
                  false);
      else
        log_warning("job ", name, " of interrupted batch ", b->record.batch,
                    " is no longer configured; skipped");
    }
  }
  std::vector<std::string> fresh;
  for (const auto& name : jobs)
    if (!covered.count(name)) fresh.push_back(name);
  if (!fresh.empty() && !stopping_) {
    batch_record batch{new_id("b"), fresh, now_ms()};
    std::vector<journal_record> records{batch};
    co_await journal_->commit(std::move(records));
    for (const auto& name : fresh)
      start_run(
          run_machine::fresh(new_intent(*cfg_.find_job(name), batch.batch), cfg_.polling, rng_()),
          false);
  }
  if (--active_ == 0 && on_idle_) on_idle_();
}

asio::awaitable<void> orchestrator::finish_batches() {
  // A batch ends when every job in it has a run and none is open any more.
  std::vector<journal_record> ends;
  for (const batch_state* b : journal_->state().open_batches()) {
    auto runs = journal_->state().runs_of_batch(b->record.batch);
    bool open = runs.size() < b->record.jobs.size();
    for (const run_state* s : runs) open = open || s->open();
    if (!open) ends.push_back(batch_end_record{b->record.batch, now_ms()});
  }
  co_await journal_->commit(std::move(ends));
  journal_->compact_if_larger_than(64 * 1024);
  boost::system::error_code ec;
  signals_.cancel(ec);
  pool_->shutdown();
}

std::vector<run_report> orchestrator::run_batch(const std::vector<std::string>& jobs) {
  on_idle_ = [this]() {
    if (stopping_) return;
    asio::co_spawn(ioc_, finish_batches(), [this](std::exception_ptr e) {
      if (e && !fatal_) fatal_ = e;
    });
  };
  watch_signals();
  asio::co_spawn(ioc_, begin_batch(jobs), [this](std::exception_ptr e) {
    if (e && !fatal_) fatal_ = e;
    if (e) stop(false);
  });
  ioc_.run();
  journal_->flush();
  if (fatal_) std::rethrow_exception(fatal_);
  std::stable_sort(reports_.begin(), reports_.end(),
                   [](const run_report& a, const run_report& b) { return a.started < b.started; });
  return reports_;
}

asio::awaitable<void> orchestrator::begin_serve() {
  std::size_t resumed = 0;
  for (const run_state* s : journal_->state().open_runs())
    if (s->intent.batch.empty()) {
      start_run(run_machine::resume(*s, cfg_.polling, rng_()), true);
      ++resumed;
    }
  if (resumed) log_notice("resuming ", resumed, " open runs from the journal");
  start_new_revisions();
  notifier_.ready(status_line(active_));
  co_return;
}

void orchestrator::start_new_revisions() {
  const auto& st = journal_->state();
  for (const auto& job : cfg_.jobs) {
    if (job.schedule) {
      log_notice("job ", job.name, ": schedule '", *job.schedule,
                 "' is kept but not fired by this version; run it with `zefortd run --job ",
                 job.name, "`");
      continue;
    }
    if (st.revision_seen(job.name, job.revision())) continue;
    if (job.overlap == overlap_policy::skip && st.job_has_open_run(job.name)) {
      log_notice("job ", job.name, ": previous run still open; new revision skipped");
      continue;
    }
    start_run(run_machine::fresh(new_intent(job, ""), cfg_.polling, rng_()), false);
  }
}

std::string orchestrator::status_line(std::size_t open_runs) const {
  return std::to_string(cfg_.jobs.size()) + " jobs, " + std::to_string(open_runs) + " open runs";
}

void orchestrator::watch_reload() {
  hup_.async_wait([this](boost::system::error_code ec, int) {
    if (ec || stopping_) return;
    reload();
    watch_reload();
  });
}

void orchestrator::reload() {
  notifier_.reloading();
  log_notice("SIGHUP: reloading ", cfg_.file.string());
  try {
    config fresh = load_config(cfg_.file);
    // The pool, the key and the journal are built once: those settings need a restart.
    if (fresh.api.base_url.buffer() != cfg_.api.base_url.buffer() ||
        fresh.state.journal != cfg_.state.journal || fresh.api.connections != cfg_.api.connections)
      log_warning("api.* and state.* changes take effect on restart; jobs and polling reload now");
    cfg_.jobs = std::move(fresh.jobs);
    cfg_.included_files = std::move(fresh.included_files);
    cfg_.polling = fresh.polling;
    log_notice("configuration reloaded: ", cfg_.jobs.size(), " jobs");
    start_new_revisions();
  } catch (const config_error& e) {
    // Open tasks go on under the configuration that was good.
    log_error("reload failed, keeping the running configuration: ", e.what());
  }
  notifier_.ready(status_line(active_));
}

asio::awaitable<void> orchestrator::feed_watchdog(std::chrono::microseconds period) {
  asio::steady_timer timer(ioc_);
  waits_.insert(&timer);
  while (!stopping_) {
    notifier_.watchdog();
    timer.expires_after(period);
    auto [ec] = co_await timer.async_wait(use_tuple);
  }
  waits_.erase(&timer);
}

void orchestrator::serve() {
  serving_ = true;
  hup_.add(SIGHUP);
  watch_signals();
  watch_reload();
  asio::co_spawn(ioc_, begin_serve(), [this](std::exception_ptr e) {
    if (e && !fatal_) fatal_ = e;
    if (e) stop(false);
  });
  if (auto period = notifier_.watchdog_period())
    asio::co_spawn(ioc_, feed_watchdog(*period), asio::detached);
  log_info("serving ", cfg_.jobs.size(), " jobs; journal ", journal_->path().string());
  ioc_.run();
  journal_->flush();
  if (fatal_) std::rethrow_exception(fatal_);
}

int exit_status_of(const std::vector<run_report>& reports, bool interrupted) {
  if (interrupted) return 130;
  int status = 0;
  for (const auto& r : reports) {
    int s = 0;
    switch (r.outcome) {
      case run_outcome::dismissed:
      case run_outcome::finished:
        s = 0;
        break;
      case run_outcome::backend_failed:
        s = 1;
        break;
      case run_outcome::gave_up:
        s = 4;
        break;
      case run_outcome::rejected:
      case run_outcome::lost:
      case run_outcome::stalled:
        s = 3;
        break;
      case run_outcome::none:
        s = 130;
        break;
    }
    status = std::max(status, s);
  }
  return status;
}

}  // namespace zefortd
