// Tests for configuration durations: what parses, what is refused, and the shortest written form.
#include "core/duration.hpp"

#include <gtest/gtest.h>

#include <limits>

namespace zefortd {
namespace {

using std::chrono::milliseconds;
using namespace std::chrono_literals;

TEST(DurationParse, EachUnit) {
  EXPECT_EQ(parse_duration("500ms"), milliseconds(500));
  EXPECT_EQ(parse_duration("30s"), milliseconds(30s));
  EXPECT_EQ(parse_duration("5m"), milliseconds(5min));
  EXPECT_EQ(parse_duration("2h"), milliseconds(2h));
  EXPECT_EQ(parse_duration("1d"), milliseconds(24h));
}

TEST(DurationParse, ZeroAndCombinedForms) {
  EXPECT_EQ(parse_duration("0"), milliseconds(0));
  EXPECT_EQ(parse_duration("0s"), milliseconds(0));
  EXPECT_EQ(parse_duration("1h30m"), milliseconds(90min));
  EXPECT_EQ(parse_duration("1d2h3m4s5ms"), milliseconds(24h + 2h + 3min + 4s + 5ms));
  EXPECT_EQ(parse_duration("1m5ms"), milliseconds(60'005));
  EXPECT_EQ(parse_duration("90s"), milliseconds(90s));  // a unit may exceed the next one up
  EXPECT_EQ(parse_duration("007s"), milliseconds(7s));
}

TEST(DurationParse, RefusesWhatIsNotADuration) {
  for (const char* text :
       {"",   "5", "00", "-5s", "+5s",   "1.5s", "5 s",     " 5s", "5s ",   "1S",
        "ms", "s", "1x", "1w",  "30m1h", "1m1m", "1h1h30m", "5sm", "1ms1s", "1mss"})
    EXPECT_EQ(parse_duration(text), std::nullopt) << text;
}

// Timers convert to nanoseconds (about 292 years); a duration that parsed to millions of years
// used to wrap there, so that `timeout: 1000000d` timed every request out at once.
TEST(DurationParse, CapsAtTenYears) {
  EXPECT_EQ(max_duration, milliseconds(3650LL * 86'400'000));
  EXPECT_EQ(parse_duration("3650d"), max_duration);
  EXPECT_EQ(parse_duration("3649d23h59m59s999ms"), max_duration - 1ms);
  for (const char* text :
       {"3650d1ms", "3651d", "1000000d", "106751991167d", "9223372036854775807ms",
        "9223372036854775808ms", "99999999999999999999999ms", "106751991d9223372036854775807ms"}) {
    EXPECT_EQ(parse_duration(text), std::nullopt) << text;
    EXPECT_TRUE(duration_too_long(text)) << text;
  }
  // What is not a duration at all is not "too long", however many digits it has.
  for (const char* text : {"", "5", "1x", "99999999999999999999999x", "30m1h", "3650d3650d"})
    EXPECT_FALSE(duration_too_long(text)) << text;
  EXPECT_FALSE(duration_too_long("3650d"));
  EXPECT_FALSE(duration_too_long("0"));
}

TEST(DurationFormat, ShortestReadableForm) {
  EXPECT_EQ(format_duration(0ms), "0s");
  EXPECT_EQ(format_duration(90s), "1m30s");
  EXPECT_EQ(format_duration(1500ms), "1s500ms");
  EXPECT_EQ(format_duration(500ms), "500ms");
  EXPECT_EQ(format_duration(2min), "2m");
  EXPECT_EQ(format_duration(2h), "2h");
  EXPECT_EQ(format_duration(24h), "1d");
  EXPECT_EQ(format_duration(24h + 1ms), "1d1ms");
  EXPECT_EQ(format_duration(48h + 30min), "2d30m");
  EXPECT_EQ(format_duration(-90s), "-1m30s");
}

TEST(DurationFormat, ExtremesDoNotOverflow) {
  constexpr auto min = std::numeric_limits<milliseconds::rep>::min();
  constexpr auto max = std::numeric_limits<milliseconds::rep>::max();
  EXPECT_EQ(format_duration(milliseconds(max)), "106751991167d7h12m55s807ms");
  EXPECT_EQ(format_duration(milliseconds(min)), "-106751991167d7h12m55s808ms");
}

TEST(DurationFormat, RoundTripsThroughParse) {
  for (milliseconds value :
       {milliseconds(1), milliseconds(999), milliseconds(1000), milliseconds(61'001),
        milliseconds(3'600'000), milliseconds(90'061'001), max_duration})
    EXPECT_EQ(parse_duration(format_duration(value)), value) << value.count();
}

}  // namespace
}  // namespace zefortd
