// Token bucket as a generic cell rate algorithm; see rate_limiter.hpp.
#include "core/rate_limiter.hpp"

#include <algorithm>
#include <cmath>

namespace zefortd {

rate_limiter::rate_limiter(double per_second, unsigned burst) {
  set_rate(per_second, burst);
}

void rate_limiter::set_rate(double per_second, unsigned burst) {
  interval_ = tolerance_ = std::chrono::nanoseconds::zero();
  if (!(per_second > 0) || std::isinf(per_second)) return;  // unlimited (also for NaN)
  // A rate so low that one token takes longer than a day is a configuration slip, and the
  // nanosecond count would overflow long before the rate reached zero.
  constexpr double day_ns = 86400e9;
  const double ns = std::min(1e9 / per_second, day_ns);
  interval_ = std::chrono::nanoseconds(std::max<long long>(1, std::llround(ns)));
  // Capped well inside the int64 range (about 30 years) for absurd bursts.
  const double tolerance_ns = static_cast<double>(interval_.count()) * (std::max(burst, 1u) - 1);
  tolerance_ = std::chrono::nanoseconds(std::llround(std::min(tolerance_ns, 1e18)));
}

std::chrono::nanoseconds rate_limiter::reserve(std::chrono::steady_clock::time_point now) {
  if (unlimited()) return std::chrono::nanoseconds::zero();
  // An idle bucket refills up to `burst`, not beyond: a full_at_ in the past counts as now.
  const auto full_at = std::max(full_at_, now);
  const auto earliest = full_at - tolerance_;
  full_at_ = full_at + interval_;
  return std::max(std::chrono::nanoseconds::zero(),
                  std::chrono::duration_cast<std::chrono::nanoseconds>(earliest - now));
}

std::chrono::nanoseconds rate_limiter::available_in(
    std::chrono::steady_clock::time_point now) const {
  if (unlimited()) return std::chrono::nanoseconds::zero();
  const auto earliest = std::max(full_at_, now) - tolerance_;
  return std::max(std::chrono::nanoseconds::zero(),
                  std::chrono::duration_cast<std::chrono::nanoseconds>(earliest - now));
}

}  // namespace zefortd
