// Tests for core/pacer with injected steady time: multiplicative decrease once per window of
// requests, additive growth back to the ceiling, lifting the pace without a ceiling, the floor,
// and the retry budget's arithmetic.
#include "core/pacer.hpp"

#include <gtest/gtest.h>

#include <random>

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

// throttle_share throttled answers in a row, sent at `sent_at`: the last one cuts the pace.
bool cut(pacer& p, steady_ms sent_at, steady_ms now) {
  bool reported = false;
  for (unsigned i = 0; i < pacer::throttle_share; ++i)
    reported = p.on_answer(load_signal::throttled, sent_at, now + i);
  return reported;
}

TEST(Pacer, AShareOfThrottledAnswersHalvesRateAndWindow) {
  pacer p(8, 160);
  for (unsigned i = 0; i + 1 < pacer::throttle_share; ++i)
    EXPECT_FALSE(p.on_answer(load_signal::throttled, 100, 200 + i)) << "not yet a share";
  EXPECT_TRUE(p.on_answer(load_signal::throttled, 100, 210));
  EXPECT_DOUBLE_EQ(p.rate(), 80);
  EXPECT_EQ(p.window(), 4u);
}

TEST(Pacer, DecreasesOncePerWindowOfRequests) {
  pacer p(8, 160);
  ASSERT_TRUE(cut(p, 100, 200));
  // Answers to requests sent before the decrease were sent at the old pace: however many.
  for (int i = 0; i < 20; ++i) EXPECT_FALSE(p.on_answer(load_signal::throttled, 150, 220 + i));
  EXPECT_DOUBLE_EQ(p.rate(), 80);
  EXPECT_TRUE(cut(p, 250, 260)) << "sent after: still too fast";
  EXPECT_DOUBLE_EQ(p.rate(), 40);
  EXPECT_EQ(p.window(), 2u);
}

TEST(Pacer, RandomThrottlesOfSixPercentNeverCutInTwentyThousandAnswers) {
  // Random, not evenly spread: clusters of a few throttles in a row are what tripped the share
  // of 5 in 32 in the misbehaving-server batch. Seeded, so the test is the same on every run.
  std::mt19937 random(7);
  std::bernoulli_distribution throttled(0.06);
  pacer p(8, 160);
  for (int i = 0; i < 20'000; ++i)
    p.on_answer(throttled(random) ? load_signal::throttled : load_signal::good, i, i + 1);
  EXPECT_DOUBLE_EQ(p.rate(), 160);
  EXPECT_EQ(p.window(), 8u);
}

TEST(Pacer, AQuarterOfAnswersThrottledCutsWithinAHundred) {
  // What a server answers when it is sent a third more than its limit.
  std::mt19937 random(7);
  std::bernoulli_distribution throttled(0.25);
  pacer p(8, 160);
  int answers = 0;
  while (p.rate() == 160 && answers < 100) {
    p.on_answer(throttled(random) ? load_signal::throttled : load_signal::good, answers, answers + 1);
    ++answers;
  }
  EXPECT_DOUBLE_EQ(p.rate(), 80) << "after " << answers << " answers";
}

TEST(Pacer, AFewPercentOfThrottledAnswersAreNoiseNotAPace) {
  // A load balancer's random 503s (5% here) do not drag the pace down to a crawl.
  pacer p(8, 160);
  for (int i = 0; i < 4000; ++i)
    p.on_answer(i % 20 == 7 ? load_signal::throttled : load_signal::good, i, i + 1);
  EXPECT_DOUBLE_EQ(p.rate(), 160);
  EXPECT_EQ(p.window(), 8u);
}

TEST(Pacer, NeutralAnswersChangeNothing) {
  pacer p(4, 100);
  EXPECT_FALSE(p.on_answer(load_signal::neutral, 0, 1));
  EXPECT_DOUBLE_EQ(p.rate(), 100);
  EXPECT_EQ(p.window(), 4u);
}

TEST(Pacer, GrowsBackAdditivelyAndStopsAtTheCeiling) {
  pacer p(4, 100);
  cut(p, 0, 10);
  ASSERT_DOUBLE_EQ(p.rate(), 50);
  // About `peak / 10` = 10 requests per second more per second of good answers: at 50/s,
  // fifty good answers (a second's worth) add about ten.
  feed_good(p, 20, 50);
  EXPECT_NEAR(p.rate(), 60, 1.5);
  EXPECT_EQ(p.window(), 4u) << "the window grows by about one per window of answers";
  feed_good(p, 2000, 2000);
  EXPECT_DOUBLE_EQ(p.rate(), 100) << "api.rate_limit stays the ceiling";
}

TEST(Pacer, ReportsGrowthOnlyInWholeSteps) {
  pacer p(1, 100);
  cut(p, 0, 10);
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
  EXPECT_TRUE(cut(p, 1990, 1995));
  EXPECT_NEAR(p.rate(), 100, 1) << "half of about 200/s";
  feed_good(p, 2000, 20000, 1);
  EXPECT_DOUBLE_EQ(p.rate(), 0) << "well past where the server complained: no limit again";
}

TEST(Pacer, NeverGoesBelowTheFloor) {
  pacer p(2, 1);
  for (int i = 0; i < 10; ++i) cut(p, i * 100 + 1, i * 100 + 50);
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
