// Exponential backoff with "equal jitter" for polling and retries: delays grow, never reach zero,
// and spread a herd of tasks that started together. Deterministic for a given seed.
#pragma once

#include <chrono>
#include <cstdint>
#include <random>

namespace zefortd {

struct backoff_policy {
  std::chrono::milliseconds initial;
  std::chrono::milliseconds max;
  double multiplier;
};

class backoff {
 public:
  backoff(backoff_policy policy, std::uint64_t seed);

  // The delay before the next attempt: uniform in [c/2, c] where c = ceiling(attempts()).
  std::chrono::milliseconds next();
  // Back to the first, shortest delay (e.g. after a poll that made progress).
  void reset() { attempts_ = 0; }
  // How many times next() has been called since construction or reset().
  unsigned attempts() const { return attempts_; }

  // min(max, initial * multiplier^k), computed without overflow; at least 1ms.
  std::chrono::milliseconds ceiling(unsigned k) const;

 private:
  backoff_policy policy_;
  // Every open run has a backoff: a 2.5 KB mt19937_64 each was most of a run's memory. Jitter
  // needs spread, not statistical quality.
  std::minstd_rand rng_;
  unsigned attempts_ = 0;
};

}  // namespace zefortd
