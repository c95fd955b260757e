// Misbehaviour on demand; see faults.hpp.
#include "faults.hpp"

namespace zefort_sandbox {

fault_injector::fault_injector(fault_rates rates, std::uint64_t seed)
    : rates_(rates), rng_(seed ^ 0x9e3779b97f4a7c15ULL) {}

fault fault_injector::decide(bool is_post) {
  if (rates_.error_rate == 0 && rates_.rate_429 == 0 && rates_.drop_rate == 0) return fault::none;
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  std::bernoulli_distribution coin(0.5);
  // One draw over the unit interval, so each rate is the share of requests with that fault.
  double u = unit(rng_);
  if (u < rates_.drop_rate) return is_post && coin(rng_) ? fault::drop_after : fault::drop_before;
  u -= rates_.drop_rate;
  if (u < rates_.rate_429) return fault::throttle;
  u -= rates_.rate_429;
  if (u < rates_.error_rate) {
    if (coin(rng_)) return fault::error_503;
    return is_post && rates_.error_after_processing ? fault::error_500_after
                                                    : fault::error_500_before;
  }
  return fault::none;
}

}  // namespace zefort_sandbox
