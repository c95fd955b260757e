// Tests for core/backoff: per-attempt bounds, growth, the cap, reset, determinism by seed.
#include "core/backoff.hpp"

#include <gtest/gtest.h>

#include <set>
#include <vector>

namespace zefortd {
namespace {

using std::chrono::milliseconds;

const backoff_policy polling{milliseconds(2000), milliseconds(120000), 2.0};

TEST(Backoff, EachDelayLiesBetweenHalfAndFullCeiling) {
  backoff b(polling, 42);
  const std::vector<long> ceilings = {2000, 4000, 8000, 16000, 32000, 64000, 120000, 120000};
  for (std::size_t k = 0; k < ceilings.size(); ++k) {
    const milliseconds d = b.next();
    EXPECT_GE(d.count(), ceilings[k] / 2) << "attempt " << k;
    EXPECT_LE(d.count(), ceilings[k]) << "attempt " << k;
    EXPECT_EQ(b.attempts(), k + 1);
  }
}

TEST(Backoff, CeilingGrowsGeometricallyUpToMax) {
  backoff b(polling, 1);
  EXPECT_EQ(b.ceiling(0), milliseconds(2000));
  EXPECT_EQ(b.ceiling(1), milliseconds(4000));
  EXPECT_EQ(b.ceiling(5), milliseconds(64000));
  EXPECT_EQ(b.ceiling(6), milliseconds(120000));
  EXPECT_EQ(b.ceiling(1000), milliseconds(120000));
  EXPECT_EQ(b.ceiling(4000000000u), milliseconds(120000));
}

TEST(Backoff, DelaysTwoAttemptsApartAlwaysGrow) {
  // Equal jitter: below the cap, delay k+2 >= 2*ceiling(k) > delay k, whatever the draws.
  backoff b(polling, 7);
  std::vector<milliseconds> d;
  for (int i = 0; i < 6; ++i) d.push_back(b.next());
  for (std::size_t k = 0; k + 2 < d.size(); ++k) EXPECT_GT(d[k + 2], d[k]);
}

TEST(Backoff, ManyAttemptsStayAtMaxWithoutOverflow) {
  backoff b({milliseconds(1000), milliseconds(3600000), 10.0}, 3);
  for (int i = 0; i < 5000; ++i) {
    const milliseconds d = b.next();
    ASSERT_GE(d, milliseconds(500));
    ASSERT_LE(d, milliseconds(3600000));
  }
  const milliseconds d = b.next();
  EXPECT_GE(d, milliseconds(1800000));
  EXPECT_LE(d, milliseconds(3600000));
}

TEST(Backoff, ResetStartsOverFromInitial) {
  backoff b(polling, 9);
  for (int i = 0; i < 10; ++i) b.next();
  EXPECT_EQ(b.attempts(), 10u);
  b.reset();
  EXPECT_EQ(b.attempts(), 0u);
  const milliseconds d = b.next();
  EXPECT_GE(d, milliseconds(1000));
  EXPECT_LE(d, milliseconds(2000));
}

TEST(Backoff, SameSeedSameSequenceDifferentSeedsSpread) {
  backoff a(polling, 123), b(polling, 123);
  for (int i = 0; i < 8; ++i) EXPECT_EQ(a.next(), b.next());

  // A herd of tasks seeded differently does not poll in lockstep.
  std::set<long> first_delays;
  for (std::uint64_t seed = 0; seed < 50; ++seed)
    first_delays.insert(backoff(polling, seed).next().count());
  EXPECT_GT(first_delays.size(), 40u);
}

// The engine draws seeds from a 64-bit generator: seeds that differ only in their high half
// must still spread (the generator behind a backoff takes a 31-bit seed).
TEST(Backoff, SeedsDifferingOnlyInTheirHighHalfSpreadToo) {
  std::set<long> first_delays;
  for (std::uint64_t high = 1; high <= 50; ++high)
    first_delays.insert(backoff(polling, high << 32).next().count());
  EXPECT_GT(first_delays.size(), 40u);
}

TEST(Backoff, NeverZeroEvenWithDegeneratePolicy) {
  backoff tiny({milliseconds(0), milliseconds(0), 0.5}, 5);
  for (int i = 0; i < 20; ++i) EXPECT_EQ(tiny.next(), milliseconds(1));

  backoff max_below_initial({milliseconds(5000), milliseconds(1000), 2.0}, 5);
  const milliseconds d = max_below_initial.next();
  EXPECT_GE(d, milliseconds(500));
  EXPECT_LE(d, milliseconds(1000));
}

TEST(Backoff, MultiplierOneIsConstantCeiling) {
  backoff b({milliseconds(300), milliseconds(10000), 1.0}, 11);
  for (int i = 0; i < 20; ++i) {
    const milliseconds d = b.next();
    EXPECT_GE(d, milliseconds(150));
    EXPECT_LE(d, milliseconds(300));
  }
}

}  // namespace
}  // namespace zefortd
