// The sandbox's memory: submitted tasks, their lazily computed backend progress, and the
// counters behind /_sandbox/stats. Pure logic with an injected "now": no sockets, no timers.
#pragma once

#include <boost/json.hpp>
#include <chrono>
#include <cstdint>
#include <deque>
#include <random>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace zefort_sandbox {

namespace json = boost::json;
using time_point = std::chrono::system_clock::time_point;

struct task {
  std::string id;
  json::object body;  // the submission, as received
  time_point created_at;
  time_point finishes_at;
  bool fail_requested = false;  // search.sandbox_fail == true
  bool dismissed = false;       // frontend_status done
  // Drawn at submission so that every read of a finished task shows the same result.
  std::vector<std::string> contracts;
};

enum class backend_state { pending, done, failed };

// What the sandbox was asked and what it did, for tests to assert on.
struct counters {
  std::uint64_t requests = 0;  // every request except /_sandbox/ ones
  std::uint64_t submissions = 0;
  std::uint64_t duplicate_bodies = 0;
  std::uint64_t polls = 0;
  std::uint64_t dismissals = 0;         // first dismissal of a task
  std::uint64_t double_dismissals = 0;  // PATCH on a task already dismissed
  std::uint64_t early_dismissals = 0;   // dismissal while the backend was still pending
  std::uint64_t lists = 0;
  std::uint64_t errors_injected = 0;
  std::uint64_t rejected_429 = 0;  // every 429: injected (--rate-429) and --rate-limit's
  std::uint64_t rate_limited = 0;  // 429s of --rate-limit alone
  std::uint64_t dropped = 0;
  std::uint64_t in_doubt = 0;  // tasks created whose answer the client never got
  std::uint64_t connections = 0;
};

class store {
 public:
  using duration = std::chrono::microseconds;

  store(duration min_duration, duration max_duration, std::uint64_t seed);

  // body is a validated submission (an object with a "search" object).
  const task& submit(json::object body, time_point now);
  const task* find(std::string_view id) const;

  enum class dismiss_outcome { dismissed, already_dismissed, not_found };
  dismiss_outcome dismiss(std::string_view id, time_point now);

  std::size_t open_count() const { return open_.size(); }
  const std::deque<task>& all() const { return tasks_; }  // every task ever created, in order
  // Tasks with frontend_status pending, oldest first, skipping `offset`.
  std::vector<const task*> open_tasks(std::size_t offset, std::size_t limit) const;

  static backend_state state_at(const task& t, time_point now);
  // The task as the API shows it at `now`.
  static json::object render(const task& t, time_point now);
  // The task as the submission's answer shows it: always still pending, as the real API does.
  static json::object render_submitted(const task& t);

  counters& count() { return counters_; }
  json::object stats(time_point now) const;

 private:
  std::string random_id(std::string_view prefix);

  duration min_duration_;
  duration max_duration_;
  std::mt19937_64 rng_;
  std::deque<task> tasks_;  // creation order; a deque keeps references stable as it grows
  std::unordered_map<std::string, std::size_t> by_id_;
  std::set<std::size_t> open_;                   // indices into tasks_, oldest first
  std::unordered_set<std::string> bodies_seen_;  // canonical text of every submitted body
  counters counters_;
};

// Object keys sorted, so equal JSON values give equal text whatever the key order.
std::string canonical_json(const json::value& v);

// 2024-05-01T12:34:56.123456Z, as Django REST framework writes times.
std::string iso_time(time_point t);

}  // namespace zefort_sandbox
