// Tests for core/pacer with injected steady time: multiplicative decrease once per window of
// requests, additive growth back to the ceiling, lifting the pace without a ceiling, the floor,
// and the retry budget's arithmetic.
#include "core/pacer.hpp"

#include <gtest/gtest.h>

namespace zefortd {
namespace {

// Good answers, one per `every` ms from `t`, each sent just before it is answered.
steady_ms feed_good(pacer& p, steady_ms t, int n, steady_ms every = 10) {
  for (int i = 0; i < n; ++i, t += every) p.on_answer(load_signal::good, t, t + 1);
  return t;
}

TEST(Pacer, StartsAtTheCeilings) {
  pacer p(4, 25);
  EXPECT_DOUBLE_EQ(p.rate(), 25);
  EXPECT_EQ(p.window(), 4u);
  EXPECT_FALSE(p.on_answer(load_signal::good, 0, 1)) << "nothing to grow back to";
}

TEST(Pacer, DecreasesOncePerWindowOfRequests) {
  pacer p(8, 160);
  EXPECT_TRUE(p.on_answer(load_signal::throttled, 100, 200));
  EXPECT_DOUBLE_EQ(p.rate(), 80);
  EXPECT_EQ(p.window(), 4u);
  // Answers to requests sent before the decrease were sent at the old pace.
  EXPECT_FALSE(p.on_answer(load_signal::throttled, 150, 210));
  EXPECT_FALSE(p.on_answer(load_signal::throttled, 200, 220));
  EXPECT_DOUBLE_EQ(p.rate(), 80);
  EXPECT_TRUE(p.on_answer(load_signal::throttled, 201, 230)) << "sent after: still too fast";
  EXPECT_DOUBLE_EQ(p.rate(), 40);
  EXPECT_EQ(p.window(), 2u);
}

TEST(Pacer, NeutralAnswersChangeNothing) {
  pacer p(4, 100);
  EXPECT_FALSE(p.on_answer(load_signal::neutral, 0, 1));
  EXPECT_DOUBLE_EQ(p.rate(), 100);
  EXPECT_EQ(p.window(), 4u);
}

TEST(Pacer, GrowsBackAdditivelyAndStopsAtTheCeiling) {
  pacer p(4, 100);
  p.on_answer(load_signal::throttled, 0, 10);
  ASSERT_DOUBLE_EQ(p.rate(), 50);
  // About `base / 10` = 10 requests per second more per second of good answers: at 50/s,
  // fifty good answers (a second's worth) add about ten.
  feed_good(p, 20, 50);
  EXPECT_NEAR(p.rate(), 60, 1.5);
  EXPECT_EQ(p.window(), 4u) << "the window grows by about one per window of answers";
  feed_good(p, 2000, 2000);
  EXPECT_DOUBLE_EQ(p.rate(), 100) << "api.rate_limit stays the ceiling";
}

TEST(Pacer, ReportsGrowthOnlyInWholeSteps) {
  pacer p(1, 100);
  p.on_answer(load_signal::throttled, 0, 10);
  int reports = 0;
  for (int i = 0; i < 500; ++i) reports += p.on_answer(load_signal::good, 20 + i, 21 + i);
  EXPECT_GT(reports, 10);
  EXPECT_LT(reports, 100) << "not one per answer";
}

TEST(Pacer, WithoutACeilingHalvesWhatWasSentAndLiftsThePaceLater) {
  pacer p(4, 0);
  EXPECT_DOUBLE_EQ(p.rate(), 0);
  // 200 a second for two seconds.
  for (int i = 0; i < 400; ++i) p.on_sent(false, i * 5);
  EXPECT_TRUE(p.on_answer(load_signal::throttled, 1990, 1999));
  EXPECT_NEAR(p.rate(), 100, 1) << "half of about 200/s";
  feed_good(p, 2000, 20000, 1);
  EXPECT_DOUBLE_EQ(p.rate(), 0) << "well past where the server complained: no limit again";
}

TEST(Pacer, NeverGoesBelowTheFloor) {
  pacer p(2, 1);
  for (int i = 0; i < 10; ++i) p.on_answer(load_signal::throttled, i * 100 + 1, i * 100 + 50);
  EXPECT_DOUBLE_EQ(p.rate(), pacer::min_rate);
  EXPECT_EQ(p.window(), 1u);
}

TEST(Pacer, TheRetryBudgetIsAFifthOfRecentRequestsPlusAReserve) {
  pacer p(4, 0);
  for (int i = 0; i < 100; ++i) p.on_sent(false, i);
  int retries = 0;
  while (p.retry_allowed(500)) {
    p.on_sent(true, 500);
    ++retries;
    ASSERT_LT(retries, 1000);
  }
  // retries < 10 + 0.2 * (100 + retries): 0.8 r < 30.
  EXPECT_EQ(retries, 38);
  EXPECT_FALSE(p.retry_allowed(9999)) << "still within the window";
  EXPECT_TRUE(p.retry_allowed(pacer::budget_window + 1000)) << "the window has moved on";
  EXPECT_EQ(p.budget_changes_at(500), 1000);
}

}  // namespace
}  // namespace zefortd
