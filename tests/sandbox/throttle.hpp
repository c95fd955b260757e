// The sandbox's rate limit, as an API gateway keeps one: a token bucket of `per_second` tokens
// a second holding at most `burst`. A request that finds it empty is answered 429 with the
// Retry-After (whole seconds, at least 1) after which a token will be there.
#pragma once

#include <chrono>
#include <optional>

#include "store.hpp"

namespace zefort_sandbox {

class throttle {
 public:
  // per_second 0: no limit. burst 0: a tenth of a second's worth, at least 1.
  throttle(double per_second, double burst);

  // nullopt: the request may go (a token was taken). Else the seconds to put in Retry-After.
  std::optional<unsigned> admit(time_point now);

 private:
  double per_second_;
  double burst_;
  double tokens_;
  std::optional<time_point> last_;
};

}  // namespace zefort_sandbox
