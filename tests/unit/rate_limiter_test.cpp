// Tests for core/rate_limiter with injected time points: burst, steady rate, fair queueing,
// refill after idling, and the unlimited setting.
#include "core/rate_limiter.hpp"

#include <gtest/gtest.h>

namespace zefortd {
namespace {

using namespace std::chrono_literals;
using clock_type = std::chrono::steady_clock;

const clock_type::time_point t0 = clock_type::time_point{} + 1000s;

TEST(RateLimiter, BurstGoesOutImmediatelyThenOneEveryInterval) {
  rate_limiter limiter(10, 3);  // 100ms per token
  EXPECT_EQ(limiter.reserve(t0), 0ns);
  EXPECT_EQ(limiter.reserve(t0), 0ns);
  EXPECT_EQ(limiter.reserve(t0), 0ns);
  EXPECT_EQ(limiter.reserve(t0), 100ms);
}

TEST(RateLimiter, QueuedCallersWaitInTurn) {
  rate_limiter limiter(4, 1);  // 250ms per token
  // Ten coroutines asking at the same instant are spread k * 250ms apart.
  for (int k = 0; k < 10; ++k) EXPECT_EQ(limiter.reserve(t0), k * 250ms) << k;
}

TEST(RateLimiter, SteadyRateNeverWaits) {
  rate_limiter limiter(10, 1);
  for (int k = 0; k < 100; ++k) EXPECT_EQ(limiter.reserve(t0 + k * 100ms), 0ns) << k;
  // One sooner than its turn waits only the remainder.
  EXPECT_EQ(limiter.reserve(t0 + 100 * 100ms - 30ms), 30ms);
}

TEST(RateLimiter, CallersThatSleptAsToldNeverWaitAgain) {
  rate_limiter limiter(5, 2);
  auto now = t0;
  for (int k = 0; k < 50; ++k) {
    const auto wait = limiter.reserve(now);
    now += wait;  // the caller sleeps, sends, and asks again at once
  }
  // 2 free, then 48 at 200ms each.
  EXPECT_EQ(now - t0, 48 * 200ms);
}

TEST(RateLimiter, IdleTimeRefillsOnlyUpToBurst) {
  rate_limiter limiter(10, 3);
  for (int k = 0; k < 3; ++k) limiter.reserve(t0);
  const auto later = t0 + 1h;
  EXPECT_EQ(limiter.reserve(later), 0ns);
  EXPECT_EQ(limiter.reserve(later), 0ns);
  EXPECT_EQ(limiter.reserve(later), 0ns);
  EXPECT_EQ(limiter.reserve(later), 100ms);
}

TEST(RateLimiter, PartialRefill) {
  rate_limiter limiter(10, 3);
  for (int k = 0; k < 3; ++k) limiter.reserve(t0);
  // 150ms later one token has come back, the second is 50ms away.
  EXPECT_EQ(limiter.reserve(t0 + 150ms), 0ns);
  EXPECT_EQ(limiter.reserve(t0 + 150ms), 50ms);
}

TEST(RateLimiter, ZeroMeansUnlimited) {
  rate_limiter limiter(0, 1);
  EXPECT_TRUE(limiter.unlimited());
  for (int k = 0; k < 1000; ++k) EXPECT_EQ(limiter.reserve(t0), 0ns);
  EXPECT_TRUE(rate_limiter(-1, 5).unlimited());
  EXPECT_FALSE(rate_limiter(0.5, 0).unlimited());
}

TEST(RateLimiter, ZeroBurstActsAsOneAndFractionalRatesWork) {
  rate_limiter limiter(0.5, 0);  // one request every two seconds
  EXPECT_EQ(limiter.reserve(t0), 0ns);
  EXPECT_EQ(limiter.reserve(t0), 2s);
  EXPECT_EQ(limiter.reserve(t0 + 1s), 3s);
}

TEST(RateLimiter, ExtremeSettingsDoNotOverflow) {
  rate_limiter slow(1e-12, 4000000000u);
  EXPECT_EQ(slow.reserve(t0), 0ns);
  rate_limiter fast(1e12, 1);
  EXPECT_EQ(fast.reserve(t0), 0ns);
  EXPECT_EQ(fast.reserve(t0), 1ns);
}

}  // namespace
}  // namespace zefortd
