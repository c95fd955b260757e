// The executor: owns the io_context and wires the edges (HTTPS pool, API transport, journal,
// timer, signals, sd_notify) to the engine. It performs the engine's actions and feeds their
// results back; every decision is the engine's (core/engine.hpp).
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <memory>
#include <string>
#include <vector>

#include "app/journal.hpp"
#include "core/api_key.hpp"
#include "core/config.hpp"
#include "core/engine.hpp"
#include "core/metrics.hpp"
#include "core/service_status.hpp"
#include "net/api_client.hpp"
#include "net/https_pool.hpp"
#include "net/metrics_listener.hpp"
#include "net/sd_notify.hpp"

namespace zefortd {

class orchestrator {
 public:
  orchestrator(config cfg, secret key, journal_file file);
  ~orchestrator();

  // `zefortd run`: resumes interrupted batches, then runs `jobs` once as a new batch; returns
  // when every run has ended, or on SIGINT/SIGTERM/SIGHUP. Reports in the order runs started.
  std::vector<run_report> run_batch(const std::vector<std::string>& jobs);
  // Another subscriber to the engine's events (the progress line).
  void subscribe(event_sink sink) { engine_->subscribe(std::move(sink)); }
  // Calls `tick` every `period` on the event loop until the work ends: the progress line's
  // clock, which must move on while nothing happens (a batch waiting minutes on its polls).
  void every(std::chrono::milliseconds period, std::function<void()> tick);
  // `zefortd serve`: until SIGINT/SIGTERM.
  void serve();

  int exit_status() const { return exit_status_; }
  bool interrupted() const { return engine_->interrupted(); }

 private:
  void loop();
  void drain();
  void perform(actions::commit&);
  void perform(actions::send&);
  void perform(const actions::arm_timer&);
  void perform(const actions::drop_connections&);
  void perform(const actions::compact&);
  void perform(const actions::exit&);
  asio::awaitable<void> sync(std::uint64_t commit, std::uint64_t seq);
  asio::awaitable<void> exchange(transport_request request);
  void on_spawned_failure(std::exception_ptr);
  void on_event(const event&);
  void watch_signals(bool serving);
  void watch_reload();
  void reload();
  asio::awaitable<void> feed_watchdog(std::chrono::microseconds period);
  void shut_edges();
  std::string status_line() const;
  void publish_status();
  void listen_for_metrics(const config& cfg);
  instant now() const;

  std::filesystem::path config_file_;
  secret key_;
  asio::io_context ioc_;  // first: every edge below runs on it
  asio::ssl::context tls_;
  https_pool pool_;
  api_client client_;
  journal journal_;
  std::unique_ptr<engine> engine_;
  asio::steady_timer timer_;         // the engine's one timer
  asio::steady_timer watchdog_;      // sd_notify WATCHDOG=1 from the event loop itself
  asio::steady_timer status_timer_;  // a changed STATUS= held back by the once-a-second limit
  asio::steady_timer ticker_;        // every(): cancelled with the other edges at the end
  std::function<void()> tick_;
  std::chrono::milliseconds tick_period_{0};
  void arm_ticker();
  asio::signal_set signals_;
  asio::signal_set hup_;
  service_notifier notifier_;
  metrics_registry metrics_;  // fed by the engine's events; served by metrics_listener_
  std::unique_ptr<metrics_listener> metrics_listener_;
  bool draining_ = false;
  bool more_ = false;
  bool done_ = false;
  int exit_status_ = 0;
  std::exception_ptr fatal_;
  service_status status_;  // what STATUS= says, fed by the engine's events
  bool status_timer_armed_ = false;
};

}  // namespace zefortd
