// A token bucket for outgoing requests, as pure arithmetic on time points: the caller asks for a
// slot and sleeps for what it is told, so concurrent coroutines queue up fairly.
#pragma once

#include <chrono>

namespace zefortd {

class rate_limiter {
 public:
  // per_second <= 0 means unlimited; burst 0 counts as 1.
  rate_limiter(double per_second, unsigned burst);

  // A new pace (the pacer's), keeping the bucket's fill: what was reserved stays reserved.
  void set_rate(double per_second, unsigned burst);

  // Takes one token and returns how long to wait before sending: zero while the bucket holds
  // tokens, else the time until this caller's turn. The k-th caller queued behind an empty
  // bucket waits about k / per_second. A reservation cannot be given back.
  std::chrono::nanoseconds reserve(std::chrono::steady_clock::time_point now);

  // How long until reserve() would return zero, without taking a token.
  std::chrono::nanoseconds available_in(std::chrono::steady_clock::time_point now) const;
  bool unlimited() const { return interval_ == std::chrono::nanoseconds::zero(); }

 private:
  // Implemented as the generic cell rate algorithm: instead of counting tokens we keep the time
  // at which the bucket would be full again, which makes reservations ahead of time trivial.
  std::chrono::nanoseconds interval_{0};   // one token's worth of time: 1 / per_second
  std::chrono::nanoseconds tolerance_{0};  // (burst - 1) * interval_
  std::chrono::steady_clock::time_point full_at_{};
};

}  // namespace zefortd
