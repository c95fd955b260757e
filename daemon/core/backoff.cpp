// Exponential backoff with equal jitter; see backoff.hpp.
#include "core/backoff.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>

namespace zefortd {

namespace {

using std::chrono::milliseconds;

// A zero or negative delay would turn a backoff loop into a busy loop.
milliseconds at_least_1ms(milliseconds d) {
  return std::max(d, milliseconds(1));
}

// minstd_rand (8 bytes, where mt19937_64 is 2.5 KB per open run) takes a 31-bit seed, and its
// first outputs for nearby seeds are nearly equal: seeded straight, a herd of runs would poll in
// lockstep. seed_seq mixes both halves of the engine's 64-bit seed into every bit.
std::minstd_rand mixed(std::uint64_t seed) {
  std::seed_seq seq{static_cast<std::uint32_t>(seed), static_cast<std::uint32_t>(seed >> 32)};
  return std::minstd_rand(seq);
}

}  // namespace

backoff::backoff(backoff_policy policy, std::uint64_t seed) : policy_(policy), rng_(mixed(seed)) {
  policy_.initial = at_least_1ms(policy_.initial);
  policy_.max = at_least_1ms(policy_.max);
  // A multiplier below 1 (or NaN) would shrink the delays: hold them constant instead.
  if (!(policy_.multiplier >= 1.0)) policy_.multiplier = 1.0;
}

milliseconds backoff::ceiling(unsigned k) const {
  const double max = static_cast<double>(policy_.max.count());
  // pow() overflows to +inf for large k, which the comparison below handles; doing the
  // arithmetic in double keeps the int64 count from ever overflowing.
  const double grown =
      static_cast<double>(policy_.initial.count()) * std::pow(policy_.multiplier, k);
  if (!(grown < max)) return policy_.max;
  return at_least_1ms(milliseconds(static_cast<milliseconds::rep>(grown)));
}

milliseconds backoff::next() {
  const milliseconds::rep c = ceiling(attempts_).count();
  if (attempts_ != std::numeric_limits<unsigned>::max()) ++attempts_;
  // Lower bound rounds up so that a 1ms ceiling still gives 1ms, never 0.
  std::uniform_int_distribution<milliseconds::rep> pick(c - c / 2, c);
  return milliseconds(pick(rng_));
}

}  // namespace zefortd
