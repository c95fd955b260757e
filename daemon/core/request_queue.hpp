// Which request leaves next. Requests wait here, by class, until a connection is free and the
// pace allows: in-doubt lookups first (a finished task loses its body, so every second
// counts), then dismissals and submissions, then polls. Dismissals can be held back as a class
// while a lookup pages the task list (they would shift its pages). The pace is the pacer's
// (AIMD below api.rate_limit and api.connections); retries also wait for its retry budget.
// Lookups are held by neither: only the ceilings and a Retry-After delay them, since a lookup
// that comes late can make a job be applied twice. Pure arithmetic on time.
#pragma once

#include <array>
#include <cstdint>
#include <deque>
#include <optional>

#include "core/instant.hpp"
#include "core/pacer.hpp"
#include "core/rate_limiter.hpp"

namespace zefortd {

enum class request_class : unsigned {
  lookup_page,      // a page of the task list for an in-doubt lookup
  dismiss,          // PATCH one of our tasks
  submit,           // POST an intent
  poll,             // GET one task
  status_page,      // a page of the task list instead of many polls
  foreign_dismiss,  // dismiss_foreign: another client's finished task
};
inline constexpr std::size_t request_classes = 6;

class request_queue {
 public:
  request_queue(unsigned connections, double rate_limit);

  // `retry`: the request repeats one that failed, and waits for the retry budget.
  void push(request_class, std::uint64_t id, bool retry = false);
  // The next request that may leave at `now`, or nullopt. `gate_dismissals` holds back both
  // dismissal classes.
  std::optional<std::uint64_t> pop(steady_ms now, bool gate_dismissals);
  // A request that left has its answer (or failed): its connection is free, and the answer
  // tells the pacer about the server's load. True when the pace changed enough to report.
  bool done(load_signal, steady_ms sent_at, steady_ms now);
  // When a request held back by the pace or the budget may leave (steady_never if none is).
  steady_ms wake_at() const { return wake_at_; }

  // The pace now: requests per second (0: none) and requests in flight at most.
  double rate() const { return pacer_.rate(); }
  unsigned window() const { return pacer_.window(); }

  unsigned in_flight() const { return in_flight_; }
  std::size_t queued() const;
  // Forgets every queued request (stop); the ones in flight still call done().
  void clear();

 private:
  struct lanes {
    std::deque<std::uint64_t> fresh, retries;
  };
  std::array<lanes, request_classes> queues_;
  unsigned in_flight_ = 0;
  unsigned connections_;  // also the rate limiters' burst
  pacer pacer_;
  rate_limiter limiter_;  // at the pacer's rate; every request takes a token
  rate_limiter ceiling_;  // at api.rate_limit: all that holds a lookup
  steady_ms wake_at_ = steady_never;
};

}  // namespace zefortd
