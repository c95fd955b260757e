// Tests for core/request_queue with injected steady time: class order, the dismissal gate, the
// rate limit and its wake time, the pacer's window, and the retry budget's lane.
#include "core/request_queue.hpp"

#include <gtest/gtest.h>

namespace zefortd {
namespace {

using std::optional;
using id = std::uint64_t;

TEST(RequestQueue, LookupsGoFirstAndDismissalsWaitAtTheGate) {
  request_queue q(1, 0);
  q.push(request_class::poll, 1);
  q.push(request_class::dismiss, 2);
  q.push(request_class::lookup_page, 3);
  EXPECT_EQ(q.pop(0, true), optional<id>(3));
  EXPECT_EQ(q.pop(0, true), std::nullopt) << "one connection";
  q.done(load_signal::good, 0, 1);
  EXPECT_EQ(q.pop(1, true), optional<id>(1)) << "the dismissal is gated";
  q.done(load_signal::good, 1, 2);
  EXPECT_EQ(q.pop(2, false), optional<id>(2));
}

TEST(RequestQueue, TheRateLimitHoldsRequestsAndSaysWhenToWake) {
  request_queue q(8, 10);  // 10/s, burst 8
  for (id i = 1; i <= 9; ++i) q.push(request_class::poll, i);
  for (int i = 0; i < 8; ++i) EXPECT_TRUE(q.pop(1000, false));
  EXPECT_EQ(q.pop(1000, false), std::nullopt) << "connections";
  q.done(load_signal::good, 1000, 1000);
  EXPECT_EQ(q.pop(1000, false), std::nullopt) << "rate";
  EXPECT_GT(q.wake_at(), 1000);
  EXPECT_TRUE(q.pop(q.wake_at(), false));
}

TEST(RequestQueue, AShareOfThrottledAnswersHalvesTheRateAndTheWindow) {
  request_queue q(4, 100);
  for (id i = 1; i <= 20; ++i) q.push(request_class::poll, i);
  steady_ms t = 1000;
  // One request at a time, each answered 429: the answers that make the share cut the pace.
  bool cut = false;
  for (unsigned i = 0; i < pacer::throttle_share; ++i) {
    ASSERT_TRUE(q.pop(t, false)) << i;
    cut = q.done(load_signal::throttled, t, t + 5);
    t += 100;
  }
  EXPECT_TRUE(cut) << "a decrease is always reported";
  EXPECT_DOUBLE_EQ(q.rate(), 50);
  EXPECT_EQ(q.window(), 2u);
  ASSERT_TRUE(q.pop(t, false));
  ASSERT_TRUE(q.pop(t, false));
  EXPECT_EQ(q.pop(t, false), std::nullopt) << "two in flight, window two";
}

TEST(RequestQueue, RetriesWaitForTheBudgetButFreshRequestsGo) {
  request_queue q(1, 0);
  id next = 1;
  steady_ms t = 0;
  // Nothing but retries: r may go while r < 10 + 0.2 r, thirteen of them.
  for (int i = 0; i < 13; ++i) {
    q.push(request_class::poll, next++, true);
    ASSERT_TRUE(q.pop(t, false)) << i;
    q.done(load_signal::neutral, t, t + 1);
    t += 10;
  }
  q.push(request_class::poll, 100, true);
  EXPECT_EQ(q.pop(t, false), std::nullopt) << "the fourteenth waits";
  q.push(request_class::poll, 200);
  EXPECT_EQ(q.pop(t, false), optional<id>(200)) << "a fresh request passes the held retry";
  q.done(load_signal::good, t, t + 1);
  EXPECT_EQ(q.pop(t + 1, false), std::nullopt) << "the budget is spent";
  EXPECT_EQ(q.wake_at(), 1000) << "it changes when the second turns";
  EXPECT_EQ(q.pop(pacer::budget_window + 1000, false), optional<id>(100))
      << "once the old retries leave the window";
}

TEST(RequestQueue, LookupsAreNeverHeldByTheBudget) {
  request_queue q(1, 0);
  for (unsigned i = 0; i < pacer::retry_reserve; ++i) {
    q.push(request_class::poll, i + 1, true);
    ASSERT_TRUE(q.pop(0, false));
    q.done(load_signal::neutral, 0, 0);
  }
  q.push(request_class::lookup_page, 50, true);
  EXPECT_EQ(q.pop(0, false), optional<id>(50));
}

}  // namespace
}  // namespace zefortd
