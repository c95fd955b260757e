// The socket-free core of everything that spans runs, in the manner of Boost.Redis's
// multiplexer: it owns every run_machine (by run id and by task id), the journal's replayed
// state, the request queue, the list rounds and the timers, and decides everything that is
// not one run's business: batches, serve revisions, when the task list is read and who waits
// on it, the dismissal gate, in-doubt matching, stop and reload.
//
// Events go in (an answer, a durable commit, a timer, stop, reload) with an injected `instant`;
// actions come out of next_action() (commit these records, send this request, arm the timer,
// drop the connections, compact, exit). The executor performs them and feeds the results back.
// Write-ahead: a run's next request is never handed out before its records are committed.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <queue>
#include <random>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <variant>
#include <vector>

#include "core/api_key.hpp"
#include "core/config.hpp"
#include "core/events.hpp"
#include "core/instant.hpp"
#include "core/journal_state.hpp"
#include "core/list_pager.hpp"
#include "core/request_queue.hpp"
#include "core/run_machine.hpp"
#include "core/run_report.hpp"
#include "core/schedule_book.hpp"
#include "core/transport.hpp"

namespace zefortd {

namespace actions {
struct commit {  // make these records durable, then call on_committed(id)
  std::uint64_t id = 0;
  std::vector<journal_record> records;
};
struct send {  // send this request, then call on_response(request.id, ...)
  transport_request request;
};
struct arm_timer {  // call on_timer() at `at` (steady_never: no timer needed)
  steady_ms at = steady_never;
};
struct drop_connections {};  // stop: fail every request in flight at once
struct compact {};           // a good moment to rewrite the journal as its live state
struct exit {                // the work is over: leave with this status
  int status = 0;
};
}  // namespace actions

using engine_action = std::variant<actions::commit, actions::send, actions::arm_timer,
                                   actions::drop_connections, actions::compact, actions::exit>;

class engine {
 public:
  engine(config cfg, journal_state replayed, std::uint64_t seed);

  void subscribe(event_sink sink) { sinks_.push_back(std::move(sink)); }
  // The API key, so that a server that echoes it back never gets it into a log, the journal or
  // `status`: every server-supplied string is cleaned (core/redact.hpp) before it is kept.
  void set_key(secret key) { key_ = std::move(key); }

  // `zefortd run`: resume interrupted batches, then run `jobs` once as a new batch; exits when
  // every run has ended. `zefortd serve`: resume open runs, run each new revision of an
  // unscheduled job; exits only after stop().
  void start_batch(const std::vector<std::string>& jobs, instant now);
  void start_serve(instant now);

  void on_committed(std::uint64_t commit, instant now);
  // The journal can no longer promise anything: exit at once, nothing more is sent.
  void on_commit_failed(instant now);
  void on_response(std::uint64_t request, const transport_result&, instant now);
  void on_timer(instant now);
  // SIGTERM, SIGINT (and SIGHUP for `run`): nothing new leaves; exits once the requests in
  // flight have failed and the commits in flight are durable.
  void stop(instant now);
  // SIGHUP under serve: the jobs and polling settings of `fresh` apply from now on.
  void reload(config fresh, instant now);

  std::optional<engine_action> next_action();

  const journal_state& state() const { return state_; }
  const config& configuration() const { return cfg_; }
  // `zefortd run`: every run of this invocation, in the order they started.
  const std::vector<run_report>& reports() const { return reports_; }
  std::size_t open_runs() const { return runs_.size(); }
  // What the engine is waiting on, in a line, for a simulation that found it stuck.
  std::string waiting_on() const;
  bool exited() const { return exited_; }
  bool interrupted() const { return interrupted_; }
  // serve: the next slot of any scheduled job (engine_schedules.cpp).
  std::optional<sys_seconds> next_fire() const { return schedules_.next_fire(); }

  // Closed runs kept in memory for `status` and compaction (older ones are pruned).
  static constexpr std::size_t recent_runs_kept = 20;
  // Foreign dismissals queued at most at once.
  static constexpr std::size_t max_foreign_dismissals = 32;
  // api.exclusive: unknown tasks one round weighs at most (beyond, the round attributes nothing).
  static constexpr std::size_t max_unknown_tasks = 10000;
  // Candidate task ids a possible duplicate names at most.
  static constexpr std::size_t max_duplicate_tasks = 8;

 private:
  struct run_slot {
    run_machine machine;
    bool resumed = false;
    bool holds_submit = false;     // counts in submits_in_flight_
    std::uint64_t list_round = 0;  // the status round that serves its poll (0: none)
    bool retrying = false;         // its last request failed: the next one is a retry
  };
  struct request_info {
    request_class cls;
    http_method method;
    std::string target;
    std::string body;
    std::string key;  // the run id, or the task id of a foreign dismissal
    steady_ms sent_at = 0;
    bool sent = false;
    std::uint64_t round = 0;  // a page: the list round it belongs to
  };
  struct pending_start {
    std::string job;
    std::string batch;
    bool in_doubt = false;  // its batch may have lost its intent (lost_record): look it up first
  };
  struct wait_entry {
    steady_ms at;
    std::string run;
    bool operator>(const wait_entry& o) const { return at > o.at; }
  };
  // A task in the list that the journal does not know (api.exclusive: nor its census).
  struct unknown_task {
    std::string id;
    bool finished = false;
  };
  struct round_state {
    round_state(const boost::urls::url& base, steady_ms started, std::chrono::milliseconds longest)
        : pager(base, started, longest) {}
    std::uint64_t id = 0;
    bool lookup = false;                // gates dismissals while it pages
    bool census = false;                // api.exclusive: the read before any submission
    bool sweep = false;                 // api.exclusive: the read after resubmissions
    std::vector<unknown_task> unknown;  // api.exclusive: candidates and orphans
    bool raced = false;  // a POST went in doubt while it paged: its task may be listed
    std::vector<std::string> lookup_runs;  // in-doubt runs not matched yet
    std::vector<std::string> status_runs;  // runs whose poll this round serves
    list_pager pager;
    steady_ms retry_at = steady_never;
    std::unordered_set<std::string> listed;  // task ids seen (census of lingering tasks)
  };
  using continuation = std::function<void(instant)>;

  // Runs.
  void admit_starts(instant now);
  std::string add_run(run_machine machine, bool resumed, bool holds_submit);
  void start_run(run_machine machine, bool resumed, bool holds_submit, instant now);
  void resume_runs(std::vector<run_state> states, instant now);
  void advance(const std::string& run, run_step step, instant now);
  void perform(const std::string& run, const run_action& action, instant now);
  void finish_run(const std::string& run, instant now);
  void take_submit_slot(run_slot&);
  void release_submit_slot(run_slot&);
  intent_record new_intent(const job_config& job, const std::string& batch, instant now);
  bool list_mode() const;

  // Requests.
  std::uint64_t enqueue(request_class, http_method, std::string target, std::string body,
                        std::string key, bool retry = false);
  void pace(const request_info&, const transport_result&, instant now);
  std::string api_path(std::string_view relative) const;  // base URL's path + relative
  std::string task_target(std::string_view task) const;
  void on_run_answer(run_slot&, const std::string& run, const request_info&,
                     const transport_result&, instant now);
  void on_foreign_answer(const request_info&, const transport_result&, instant now);

  // List rounds (engine_rounds.cpp).
  bool dismissals_gated() const;
  void maybe_start_round(instant now);
  void enqueue_page(bool retry);
  std::vector<std::string> abandon_round();
  void on_page_answer(const request_info&, const transport_result&, instant now);
  void route_page(const task_page&, instant now);
  void finish_round(bool complete, const api_failure* failure, instant now);
  void poll_now(const std::string& run);
  void deliver_polled(const std::string& run, const task&, bool from_list, instant now);
  void resubmit_unfound(const std::string& run, const std::vector<std::string>& could_be,
                        const std::string& shared, instant now);

  // The census (api.exclusive) and orphans (engine_census.cpp).
  void conclude_round(round_state round, bool conclusive, instant now);
  // A POST answered (or failed): a lookup round it raced, or one waiting for it, learns so.
  void on_post_settled(std::uint64_t request, const std::string& run, instant now);
  void adopt(const std::string& run, const std::string& task, instant now);
  void mark_duplicate(const std::string& run, std::string reason, std::vector<std::string> tasks,
                      instant now);
  void watch_known_orphans(instant now);  // at start: the census, and the journal's orphans
  void watch_orphan(const std::string& task, instant now);
  void on_orphan_answer(const request_info&, const transport_result&, instant now);
  void on_orphan_timer(const std::string& task, instant now);
  static bool is_orphan_key(std::string_view key) { return !key.empty() && key[0] == '\x01'; }

  // A refused API key (engine_key.cpp). True when the answer was taken: under serve the request
  // waits in the queue again, under run every piece of work stops.
  bool screen_key(std::uint64_t request, request_info&, const transport_result&, instant now);
  bool may_send(instant now) const;

  // Batches and revisions (engine_batches.cpp).
  void start_new_revisions(instant now);
  void check_idle(instant now);
  void finish_batch(bool interrupted);
  void finish(int status);

  // Schedules (engine_schedules.cpp).
  void fire_due_slots(instant now);

  // Plumbing.
  std::string clean(std::string_view server_text) const;
  api_failure cleaned(api_failure f) const;
  void emit(const event&);
  void commit_then(std::vector<journal_record> records, continuation next);
  void apply(journal_record record);
  void settle(instant now);
  std::string new_id(std::string_view prefix);
  std::chrono::system_clock::time_point wall(instant now) const;

  config cfg_;
  secret key_;
  journal_state state_;
  std::mt19937_64 rng_;
  std::vector<event_sink> sinks_;
  std::deque<engine_action> actions_;

  enum class mode { idle, batch, serve } mode_ = mode::idle;
  std::unordered_map<std::string, run_slot> runs_;
  std::unordered_map<std::string, std::string> run_of_task_;
  std::deque<pending_start> pending_starts_;
  std::unordered_set<std::string> pending_jobs_;  // serve: revisions queued, not yet started
  std::deque<std::string> submit_waiters_;        // resubmissions waiting for a slot
  unsigned submits_in_flight_ = 0;                // intents whose POST has no answer yet
  std::vector<run_report> reports_;
  // Prune when the journal state holds half again what the last prune left: a prune scans
  // every run, and a batch's closed runs stay until it ends, so a fixed count of closures
  // between prunes made a 5,000-job batch quadratic. Amortised O(1) per closed run, and closed
  // runs never hold more than half the memory of what is kept.
  std::size_t prune_above_ = 2 * recent_runs_kept;

  request_queue queue_;
  std::unordered_map<std::uint64_t, request_info> requests_;  // queued or in flight
  std::uint64_t next_request_ = 1;
  unsigned dismissing_ = 0;  // dismissals in flight (they shift the list's pages)
  std::priority_queue<wait_entry, std::vector<wait_entry>, std::greater<>> waits_;
  steady_ms armed_ = steady_never;

  std::optional<round_state> round_;
  std::vector<std::string> lookup_next_;  // in-doubt runs for the next round
  std::vector<std::string> status_next_;  // runs whose poll the next status round serves
  steady_ms last_status_round_ = INT64_MIN / 2;
  std::uint64_t next_round_ = 1;
  static constexpr std::uint64_t next_status_round = UINT64_MAX;
  std::unordered_set<std::string> foreign_pending_;

  // api.exclusive. The census is needed before a batch's (or serve's) first submission; a
  // lookup round that ends while POSTs are in flight waits for their answers before concluding.
  bool census_needed_ = false;
  // Runs sent again after a doubt whose first POST may have left a task that no conclusive
  // round has weighed yet. While there are any, a round once the submissions have settled looks
  // for those tasks (a batch waits for it), and no round adopts by counting: an unknown task
  // could be one of theirs as well as a waiting run's.
  std::unordered_set<std::string> unswept_;
  bool sweep_needed() const { return !unswept_.empty(); }
  steady_ms sweep_not_before_ = 0;  // after a census or sweep failed: not before initial_delay
  std::optional<round_state> concluding_;
  std::unordered_set<std::uint64_t> held_posts_;
  bool held_in_doubt_ = false;  // a held POST failed in doubt: the round cannot attribute
  // Lookups an inconclusive round put off to the next one, per run (at most max_deferrals).
  std::unordered_map<std::string, unsigned> deferred_;
  static constexpr unsigned max_deferrals = 3;
  struct orphan_watch {
    steady_ms give_up_at = 0;
    steady_ms delay = 0;
    unsigned not_found = 0;  // 404s in a row to its poll: tolerated as a run tolerates them
  };
  std::unordered_map<std::string, orphan_watch> orphan_watches_;

  std::vector<journal_record> pending_records_;
  std::uint64_t next_commit_ = 1;
  std::map<std::uint64_t, std::vector<continuation>> after_commit_;
  std::vector<continuation> next_continuations_;  // for the commit being gathered
  unsigned commits_in_flight_ = 0;

  // 401/403. Under run: stop, exit refused. Under serve: nothing leaves but one probe request
  // now and then (after key_delay_, doubling up to key_delay_max) until a probe is accepted.
  bool key_stopped_ = false;
  bool key_paused_ = false;
  std::uint64_t key_probe_ = 0;  // the probe in flight, 0: none
  steady_ms key_probe_at_ = 0;
  steady_ms key_delay_ = 0;
  static constexpr steady_ms key_delay_first = 60'000;
  static constexpr steady_ms key_delay_max = 600'000;

  schedule_book schedules_;
  steady_ms schedule_wake_ = steady_never;

  bool started_ = false;
  bool finishing_ = false;
  bool stopping_ = false;
  bool interrupted_ = false;
  bool exited_ = false;
};

}  // namespace zefortd
