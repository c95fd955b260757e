// Misbehaviour on demand: which fault, if any, a load balancer in front of the API inflicts on
// one request. Pure logic with its own seeded random stream.
#pragma once

#include <cstdint>
#include <random>

namespace zefort_sandbox {

enum class fault {
  none,
  drop_before,       // close the connection unanswered, the request never reached the backend
  drop_after,        // the backend did the work, then the connection was closed: in doubt
  throttle,          // 429 with Retry-After
  error_503,         // overloaded: nothing was done
  error_500_before,  // failed: nothing was done
  error_500_after,   // the backend did the work, then answered 500: in doubt
};

struct fault_rates {
  double error_rate = 0;
  double rate_429 = 0;
  double drop_rate = 0;
  bool error_after_processing = false;
};

class fault_injector {
 public:
  fault_injector(fault_rates rates, std::uint64_t seed);

  // The "after" faults are only ever chosen for a POST: they model in-doubt submissions.
  fault decide(bool is_post);

 private:
  fault_rates rates_;
  // Its own stream, so that the sequence of faults for a seed does not depend on how many
  // task ids were drawn in between.
  std::mt19937_64 rng_;
};

}  // namespace zefort_sandbox
