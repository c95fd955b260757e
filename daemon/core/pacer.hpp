// How fast and how wide requests may go now: additive increase, multiplicative decrease (AIMD,
// as TCP's congestion window and Envoy's adaptive concurrency do) on the request rate and on the
// requests in flight, plus a retry budget in the manner of Finagle's and gRPC's. Pure arithmetic
// on steady time; the request queue asks it and the engine feeds it every answer.
//
// Why both knobs: a 429 says "too many per second", a 503 "too many at once", and a server
// rarely says which of its limits it hit. Halving both is what keeps an overloaded API from
// seeing the same burst again; growing them back by about one step per round trip's worth of
// good answers finds the server's pace again without a cliff.
//
// Why not on every 429: behind a load balancer a few percent of answers are 503s (and some
// gateways' 429s) that no pace would avoid, and halving on each of them drives AIMD down to a
// crawl (TCP's throughput under random loss falls as 1/sqrt(p) for the same reason). A limit
// that is really reached answers most of what goes beyond it with 429, so the pace is cut only
// when throttled answers make up a real share of the recent ones (`throttle_share` of the last
// `recent_answers`), which a random few percent does not reach.
#pragma once

#include <array>
#include <cstdint>

#include "core/instant.hpp"

namespace zefortd {

// What one answer says about the server's load.
enum class load_signal {
  good,       // an answer below 500 other than 429: the pace is fine
  throttled,  // 429 or 503: too fast, or too many at once
  neutral,    // a broken connection, a timeout, another 5xx: says nothing about the pace
};

class pacer {
 public:
  // `connections` and `rate_limit` (requests per second, 0 = none) are the ceilings.
  pacer(unsigned connections, double rate_limit);

  // One answer, to a request sent at `sent_at`. Returns true when the pace changed enough to
  // report: every decrease, an increase by a whole request per second or a whole connection.
  // Only answers to requests sent after the last decrease count: the rest were sent at the old
  // pace, which the decrease has already answered for (TCP halves once per window, too).
  bool on_answer(load_signal, steady_ms sent_at, steady_ms now);

  // The rate to keep now (0: none), and how many requests may be in flight.
  double rate() const { return rate_; }
  unsigned window() const;

  // A request left; `retry`: it repeats one that failed. Counts toward the budget.
  void on_sent(bool retry, steady_ms now);
  // Whether a retry may leave at `now`: retries stay within about `retry_ratio` of the requests
  // sent in the last `budget_window`, plus a small reserve so that a quiet daemon can retry.
  bool retry_allowed(steady_ms now) const;
  // When the budget next changes by itself (the oldest second leaves the window).
  steady_ms budget_changes_at(steady_ms now) const;

  static constexpr double decrease_factor = 0.5;
  static constexpr double min_rate = 0.5;          // requests per second, after any decrease
  static constexpr double retry_ratio = 0.2;
  static constexpr unsigned retry_reserve = 10;    // retries per window regardless
  static constexpr steady_ms budget_window = 10'000;
  // 12 of 64 (19%): a limit really reached answers far more of what goes beyond it, while
  // random throttles of 5-6% (a load balancer's) reach it about once in 3000 windows; 5 of 32
  // was reached several times per batch by a random 5.5%, halving a pace nothing limited.
  static constexpr unsigned recent_answers = 64;
  static constexpr unsigned throttle_share = 12;

 private:
  // Sends and retries in the last seconds, one bucket per second (a ring).
  static constexpr std::size_t buckets = budget_window / 1000;
  struct bucket {
    std::int64_t second = -1;
    std::uint32_t sent = 0, retries = 0;
  };
  double sent_in_last_second(steady_ms now) const;
  void totals(steady_ms now, std::uint64_t& sent, std::uint64_t& retries) const;

  unsigned connections_;
  double ceiling_;             // api.rate_limit; 0: none
  double rate_;                // 0: none (no ceiling and no throttling seen lately)
  double window_;              // fractional, floored for use
  double step_;                // additive increase, in requests per second per second
  double peak_ = 0;            // the highest pace a decrease started from: sets step_
  double released_above_ = 0;  // no ceiling: above this rate the pace is lifted again
  steady_ms decreased_at_ = INT64_MIN;
  std::array<bucket, buckets> ring_{};
  // The last recent_answers good or throttled answers, one bit each (1: throttled).
  std::uint64_t recent_ = 0;
};

}  // namespace zefortd
