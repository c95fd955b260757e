// See throttle.hpp.
#include "throttle.hpp"

#include <algorithm>
#include <cmath>

namespace zefort_sandbox {

throttle::throttle(double per_second, double burst)
    : per_second_(per_second > 0 ? per_second : 0),
      burst_(burst > 0 ? burst : std::max(1.0, per_second_ / 10)),
      tokens_(burst_) {}

std::optional<unsigned> throttle::admit(time_point now) {
  if (per_second_ == 0) return std::nullopt;
  if (last_) {
    const double elapsed = std::chrono::duration<double>(now - *last_).count();
    tokens_ = std::min(burst_, tokens_ + std::max(0.0, elapsed) * per_second_);
  }
  last_ = now;
  if (tokens_ >= 1) {
    tokens_ -= 1;
    return std::nullopt;
  }
  const double wait = (1 - tokens_) / per_second_;
  return static_cast<unsigned>(std::max(1.0, std::ceil(wait)));
}

}  // namespace zefort_sandbox
