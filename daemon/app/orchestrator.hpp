// The one wiring place: owns the io_context, the HTTPS pool, the API client and the journal,
// spawns one coroutine per run (submit, poll with backoff, dismiss) and routes their results.
// `zefortd run` and `zefortd serve` are two ways of feeding it runs.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "app/journal.hpp"
#include "core/api_key.hpp"
#include "core/config.hpp"
#include "core/run_machine.hpp"
#include "net/api_client.hpp"
#include "net/async_semaphore.hpp"
#include "net/https_pool.hpp"
#include "net/sd_notify.hpp"

namespace zefortd {

// How one run ended, for the summary and the exit status.
struct run_report {
  std::string run;
  std::string job;
  std::string task;
  run_outcome outcome = run_outcome::none;
  std::string backend_status;
  std::string detail;  // backend_status_info or the last error
  std::uint64_t contracts = 0;
  unix_ms started = 0;
  unix_ms ended = 0;
  bool resumed = false;
};

class orchestrator {
 public:
  orchestrator(config cfg, secret key, journal_file file);
  ~orchestrator();

  // `zefortd run`: resumes interrupted batches, then runs `jobs` once as a new batch, and
  // returns when every run has ended (or on SIGINT/SIGTERM). Reports are in journal order.
  std::vector<run_report> run_batch(const std::vector<std::string>& jobs);
  // `zefortd serve`: resumes open runs and runs each unscheduled job once per revision, until
  // SIGINT/SIGTERM.
  void serve();

  bool interrupted() const { return interrupted_; }
  const journal& journal_ref() const { return *journal_; }

 private:
  struct list_round;

  asio::awaitable<void> begin_batch(std::vector<std::string> jobs);
  asio::awaitable<void> finish_batches();
  asio::awaitable<void> begin_serve();
  asio::awaitable<void> fetch_list(std::shared_ptr<list_round> round);
  void start_run(run_machine machine, bool resumed);
  asio::awaitable<void> drive(run_machine machine, bool resumed);
  asio::awaitable<run_step> perform(run_machine& machine, const run_action& action);
  // A task list shared by every coroutine that joined the round that fetched it.
  using shared_list = std::shared_ptr<std::optional<api_result<std::vector<task>>>>;
  enum class round_kind { lookup, status };
  asio::awaitable<shared_list> join_round(round_kind kind);
  asio::awaitable<shared_list> fresh_task_list();
  asio::awaitable<shared_list> status_round();
  asio::awaitable<void> fetch_status(std::shared_ptr<list_round> round);
  run_step polled(run_machine& machine, const task& t);
  void dismiss_foreign(const std::vector<task>& tasks);
  const task* match_in_doubt(const std::vector<task>& tasks, const intent_record& intent) const;
  intent_record new_intent(const job_config& job, const std::string& batch);
  void on_run_finished(const run_machine& machine, bool resumed);
  void watch_signals();
  void watch_reload();
  void reload();
  void start_new_revisions();
  std::string status_line(std::size_t open_runs) const;
  asio::awaitable<void> feed_watchdog(std::chrono::microseconds period);
  void stop(bool interrupted);
  unix_ms now_ms() const;
  std::string new_id(std::string_view prefix);

  config cfg_;
  secret key_;
  asio::io_context ioc_;
  asio::ssl::context tls_;
  std::unique_ptr<https_pool> pool_;
  std::unique_ptr<api_client> client_;
  std::unique_ptr<journal> journal_;
  async_semaphore submits_;  // intents in flight: what a crash can leave in doubt
  asio::signal_set signals_;
  asio::signal_set hup_;  // SIGHUP (serve only): reload the configuration
  service_notifier notifier_;
  std::shared_ptr<list_round> next_round_;         // in-doubt lookups (gate dismissals)
  std::shared_ptr<list_round> next_status_round_;  // polls when more than list_above are open
  std::shared_ptr<list_round> running_status_round_;
  std::chrono::steady_clock::time_point last_status_round_{};  // when the last one ended
  std::set<std::string> foreign_dismissing_;
  std::mt19937_64 rng_;

  std::size_t active_ = 0;
  bool stopping_ = false;
  bool interrupted_ = false;
  bool serving_ = false;
  std::vector<run_report> reports_;
  std::function<void()> on_idle_;
  std::set<asio::steady_timer*> waits_;  // cancelled on stop
  std::exception_ptr fatal_;
  std::shared_ptr<asio::steady_timer> list_gate_;           // set while a lookup lists tasks
  std::shared_ptr<asio::steady_timer> dismissals_drained_;  // fires when dismissing_ hits 0
  std::size_t dismissing_ = 0;
  std::size_t listing_ = 0;  // list rounds in progress
};

// Exit status of `zefortd run` for a set of reports (documented in the README and --help).
int exit_status_of(const std::vector<run_report>& reports, bool interrupted);

}  // namespace zefortd
