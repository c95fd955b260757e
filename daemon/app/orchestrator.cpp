// See orchestrator.hpp.
#include "app/orchestrator.hpp"

#include <boost/asio/co_spawn.hpp>
#include <csignal>
#include <random>

#include "core/event_log.hpp"
#include "core/exit_code.hpp"
#include "core/failpoint.hpp"
#include "core/log.hpp"
#include "net/tls_context.hpp"

namespace zefortd {
namespace {

pool_options pool_options_of(const config& cfg) {
  pool_options o;
  o.host = cfg.api.base_url.host_address();
  o.port = cfg.api.base_url.has_port() ? std::string(cfg.api.base_url.port()) : "443";
  o.timeout = cfg.api.timeout;
  o.max_connections = cfg.api.connections;
  return o;
}

}  // namespace

orchestrator::orchestrator(config cfg, secret key, journal_file file)
    : config_file_(cfg.file),
      key_(std::move(key)),
      tls_(make_tls_client_context(cfg.api.ca_file)),
      pool_(ioc_.get_executor(), tls_, pool_options_of(cfg)),
      client_(pool_, key_),
      journal_(ioc_.get_executor(), std::move(file)),
      timer_(ioc_),
      watchdog_(ioc_),
      status_timer_(ioc_),
      ticker_(ioc_),
      signals_(ioc_, SIGINT, SIGTERM),
      hup_(ioc_),
      metrics_(ZEFORTD_VERSION) {
  metrics_.set_pacing(cfg.api.rate_limit, cfg.api.connections);
  listen_for_metrics(cfg);
  engine_ = std::make_unique<engine>(std::move(cfg), journal_.take_state(), std::random_device{}());
  engine_->set_key(key_);
  engine_->subscribe(log_event);
  engine_->subscribe([this](const event& e) { on_event(e); });
  engine_->subscribe([this](const event& e) { metrics_.on_event(e, now().steady); });
}

void orchestrator::listen_for_metrics(const config& cfg) {
  if (!cfg.metrics.listen) return;
  const listen_address address = split_listen_address(*cfg.metrics.listen);
  if (!is_loopback_host(address.host))
    log_warning("metrics.listen ", *cfg.metrics.listen,
                " is not a loopback address: /metrics is served to the network without "
                "authentication");
  metrics_listener_ = std::make_unique<metrics_listener>(
      ioc_.get_executor(),
      [this] {
        metrics_.set_open_tasks(engine_->open_runs());
        return metrics_.render();
      },
      metrics_listener_options{});
  if (auto ec = metrics_listener_->start(address)) {
    log_warning("metrics.listen ", *cfg.metrics.listen, ": ", ec.message(),
                "; carrying on without /metrics");
    metrics_listener_.reset();
    return;
  }
  const auto at = metrics_listener_->local_endpoint();
  log_info("metrics at http://",
           at.address().is_v6() ? "[" + at.address().to_string() + "]" : at.address().to_string(),
           ":", at.port(), "/metrics");
}

orchestrator::~orchestrator() {
  // Coroutine frames still suspended would be destroyed by ~io_context after the pool and the
  // journal they point into: let them finish first, while every member is alive.
  shut_edges();
  ioc_.restart();
  ioc_.run_for(std::chrono::seconds(5));
}

instant orchestrator::now() const {
  using namespace std::chrono;
  return {duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count(),
          duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count()};
}

std::vector<run_report> orchestrator::run_batch(const std::vector<std::string>& jobs) {
  watch_signals(false);
  engine_->start_batch(jobs, now());
  loop();
  return engine_->reports();
}

void orchestrator::serve() {
  watch_signals(true);
  hup_.add(SIGHUP);
  watch_reload();
  if (auto period = notifier_.watchdog_period())
    asio::co_spawn(ioc_, feed_watchdog(*period),
                   [this](std::exception_ptr e) { on_spawned_failure(std::move(e)); });
  log_info("serving ", engine_->configuration().jobs.size(), " jobs; journal ",
           journal_.path().string());
  engine_->start_serve(now());
  if (!done_) notifier_.ready(status_line());
  loop();
}

void orchestrator::loop() {
  drain();
  ioc_.run();
  // After a failed write or sync the journal refuses everything: what reached the disk is what
  // the next start recovers.
  if (exit_status_ != exit_code::journal) journal_.flush();
  if (fatal_) std::rethrow_exception(fatal_);
}

void orchestrator::drain() {
  // An action can complete at once and feed the engine again: one loop takes them all.
  if (draining_) {
    more_ = true;
    return;
  }
  draining_ = true;
  do {
    more_ = false;
    while (auto a = engine_->next_action()) std::visit([this](auto& x) { perform(x); }, *a);
  } while (more_);
  draining_ = false;
}

void orchestrator::perform(actions::commit& c) {
  std::uint64_t seq = 0;
  try {
    seq = journal_.append(c.records);
  } catch (const journal_error& e) {
    log_error(e.what());
    engine_->on_commit_failed(now());
    return;
  }
  asio::co_spawn(ioc_, sync(c.id, seq),
                 [this](std::exception_ptr e) { on_spawned_failure(std::move(e)); });
}

asio::awaitable<void> orchestrator::sync(std::uint64_t commit, std::uint64_t seq) {
  co_await journal_.sync_to(seq);
  journal_.maybe_compact(engine_->state());
  engine_->on_committed(commit, now());
  drain();
}

void orchestrator::perform(actions::send& s) {
  asio::co_spawn(ioc_, exchange(std::move(s.request)),
                 [this](std::exception_ptr e) { on_spawned_failure(std::move(e)); });
}

asio::awaitable<void> orchestrator::exchange(transport_request request) {
  const auto id = request.id;
  const auto method = request.method;
  if (method == http_method::post) failpoint(failpoints::after_intent);
  auto result = co_await client_.send(std::move(request));
  if (method == http_method::post) failpoint(failpoints::after_post);
  if (method == http_method::patch) failpoint(failpoints::after_dismiss);
  engine_->on_response(id, result, now());
  drain();
}

void orchestrator::on_spawned_failure(std::exception_ptr e) {
  if (!e) return;
  try {
    std::rethrow_exception(e);
  } catch (const journal_error& err) {
    // The journal can no longer promise anything: stop before another request leaves.
    log_error(err.what());
    engine_->on_commit_failed(now());
    drain();
  } catch (...) {
    // A bug: nothing decided after it can be trusted. Stop, and let the command report it.
    if (!fatal_) fatal_ = std::current_exception();
    engine_->on_commit_failed(now());
    drain();
  }
}

void orchestrator::perform(const actions::arm_timer& a) {
  if (a.at == steady_never) {
    timer_.cancel();
    return;
  }
  timer_.expires_at(std::chrono::steady_clock::time_point(std::chrono::milliseconds(a.at)));
  timer_.async_wait([this](boost::system::error_code ec) {
    if (ec || done_) return;  // re-armed or stopped
    engine_->on_timer(now());
    drain();
  });
}

void orchestrator::perform(const actions::drop_connections&) {
  pool_.shutdown();
}

void orchestrator::perform(const actions::compact&) {
  journal_.compact_if_larger_than(64 * 1024, engine_->state());
}

void orchestrator::perform(const actions::exit& e) {
  exit_status_ = e.status;
  done_ = true;
  shut_edges();
}

void orchestrator::every(std::chrono::milliseconds period, std::function<void()> tick) {
  tick_ = std::move(tick);
  tick_period_ = period;
  arm_ticker();
}

void orchestrator::arm_ticker() {
  if (done_ || !tick_) return;
  ticker_.expires_after(tick_period_);
  ticker_.async_wait([this](boost::system::error_code ec) {
    if (ec || done_ || !tick_) return;
    tick_();
    arm_ticker();
  });
}

void orchestrator::shut_edges() {
  boost::system::error_code ec;
  signals_.cancel(ec);
  hup_.cancel(ec);
  timer_.cancel();
  watchdog_.cancel();
  status_timer_.cancel();
  ticker_.cancel();
  tick_ = nullptr;
  pool_.shutdown();
  if (metrics_listener_) metrics_listener_->stop();
}

void orchestrator::on_event(const event& e) {
  if (std::holds_alternative<events::stopping>(e)) {
    notifier_.stopping();
    return;
  }
  if (!notifier_.active()) return;
  // The busiest events change nothing the Status: line says.
  if (std::holds_alternative<events::request_done>(e) ||
      std::holds_alternative<events::polled>(e) ||
      std::holds_alternative<events::pacing_changed>(e))
    return;
  status_.on_event(e, now().wall);
  publish_status();
}

std::string orchestrator::status_line() const {
  const service_facts facts{engine_->configuration().jobs.size(), engine_->open_runs(),
                            engine_->next_fire()};
  return status_.line(facts, now().wall);
}

void orchestrator::publish_status() {
  if (!notifier_.active() || done_) return;
  const instant t = now();
  if (auto line = status_.due(status_line(), t.steady)) notifier_.status(*line);
  const steady_ms retry = status_.retry_at();
  if (retry == steady_never || status_timer_armed_) return;
  // At most once a second: the newest line goes when its second has passed.
  status_timer_armed_ = true;
  status_timer_.expires_after(std::chrono::milliseconds(std::max<steady_ms>(0, retry - t.steady)));
  status_timer_.async_wait([this](boost::system::error_code ec) {
    status_timer_armed_ = false;
    if (!ec) publish_status();
  });
}

void orchestrator::watch_signals(bool serving) {
  // Under `run`, SIGHUP (a closed terminal) stops like SIGTERM: the summary still prints.
  if (!serving) signals_.add(SIGHUP);
  signals_.async_wait([this](boost::system::error_code ec, int signo) {
    if (ec) return;
    log_notice("received ",
               signo == SIGINT   ? "SIGINT"
               : signo == SIGHUP ? "SIGHUP"
                                 : "SIGTERM",
               ", stopping");
    engine_->stop(now());
    drain();
  });
}

void orchestrator::watch_reload() {
  hup_.async_wait([this](boost::system::error_code ec, int) {
    if (ec || done_) return;
    reload();
    watch_reload();
  });
}

void orchestrator::reload() {
  notifier_.reloading();
  log_notice("SIGHUP: reloading ", config_file_.string());
  try {
    config fresh = load_config(config_file_);
    engine_->reload(std::move(fresh), now());
    drain();
  } catch (const std::exception& e) {
    // Whatever went wrong, open tasks go on under the configuration that was good.
    log_error("reload failed, keeping the running configuration: ", e.what());
  }
  notifier_.ready(status_line());
}

asio::awaitable<void> orchestrator::feed_watchdog(std::chrono::microseconds period) {
  while (!done_) {
    notifier_.watchdog();
    publish_status();  // "today" and the next fire move on without an event
    watchdog_.expires_after(period);
    auto [ec] = co_await watchdog_.async_wait(use_tuple);
  }
}

}  // namespace zefortd
