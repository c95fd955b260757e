// Tests for core/keep_alive: the timeout=N parameter of a Keep-Alive header, and every way a
// server can get it wrong (spaces, case, other parameters, garbage, numbers too large).
#include "core/keep_alive.hpp"

#include <gtest/gtest.h>

namespace zefortd {
namespace {

using std::chrono::seconds;

TEST(KeepAlive, TimeoutAlone) {
  EXPECT_EQ(keep_alive_timeout("timeout=5"), seconds(5));
}

TEST(KeepAlive, TimeoutBeforeOrAfterMax) {
  EXPECT_EQ(keep_alive_timeout("timeout=5, max=100"), seconds(5));
  EXPECT_EQ(keep_alive_timeout("max=100, timeout=7"), seconds(7));
  EXPECT_EQ(keep_alive_timeout("max=100,timeout=7"), seconds(7));
}

TEST(KeepAlive, MissingOrEmptyIsNone) {
  EXPECT_EQ(keep_alive_timeout(""), seconds(0));
  EXPECT_EQ(keep_alive_timeout("max=100"), seconds(0));
  EXPECT_EQ(keep_alive_timeout("timeout="), seconds(0));
}

TEST(KeepAlive, SpacesAroundTheElementAndTheEqualsSign) {
  EXPECT_EQ(keep_alive_timeout("  timeout=5  "), seconds(5));
  EXPECT_EQ(keep_alive_timeout("timeout = 5, max = 10"), seconds(5));
  EXPECT_EQ(keep_alive_timeout("\ttimeout=5\t"), seconds(5));
}

TEST(KeepAlive, ParameterNamesAreCaseInsensitive) {
  EXPECT_EQ(keep_alive_timeout("Timeout=5"), seconds(5));
  EXPECT_EQ(keep_alive_timeout("TIMEOUT=5, MAX=3"), seconds(5));
}

TEST(KeepAlive, AnotherParameterEndingInTimeoutIsNotTheTimeout) {
  EXPECT_EQ(keep_alive_timeout("xtimeout=5"), seconds(0));
  EXPECT_EQ(keep_alive_timeout("read-timeout=5, timeout=9"), seconds(9));
}

TEST(KeepAlive, GarbageIsNone) {
  EXPECT_EQ(keep_alive_timeout("timeout=abc"), seconds(0));
  EXPECT_EQ(keep_alive_timeout("timeout=5abc"), seconds(0));
  EXPECT_EQ(keep_alive_timeout("timeout=5.5"), seconds(0));
  EXPECT_EQ(keep_alive_timeout("timeout=\"5\""), seconds(0));
  EXPECT_EQ(keep_alive_timeout("timeout"), seconds(0));
  EXPECT_EQ(keep_alive_timeout(",,,"), seconds(0));
}

TEST(KeepAlive, NegativeIsNone) {
  EXPECT_EQ(keep_alive_timeout("timeout=-5"), seconds(0));
  EXPECT_EQ(keep_alive_timeout("timeout=+5"), seconds(0));
}

TEST(KeepAlive, HugeNumbersAreCappedSoTheyConvertToSteadyClockTicks) {
  // The pool compares the timeout with steady_clock durations (nanoseconds): 10^10 seconds
  // would wrap there, and 20 digits do not fit a long at all.
  EXPECT_EQ(keep_alive_timeout("timeout=9999999999"), max_keep_alive_timeout);
  EXPECT_EQ(keep_alive_timeout("timeout=99999999999999999999999"), max_keep_alive_timeout);
  EXPECT_EQ(keep_alive_timeout("timeout=3600"), seconds(3600));
  const auto wide = std::chrono::duration_cast<std::chrono::steady_clock::duration>(
      keep_alive_timeout("timeout=99999999999999999999999"));
  EXPECT_GT(wide.count(), 0);
}

TEST(KeepAlive, TheFirstTimeoutCounts) {
  EXPECT_EQ(keep_alive_timeout("timeout=5, timeout=9"), seconds(5));
}

}  // namespace
}  // namespace zefortd
