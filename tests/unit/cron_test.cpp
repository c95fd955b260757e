// Tests for cron expressions: every field's error, month ends, leap years, the day-of-month /
// day-of-week rule, steps, ranges, names, macros, and DST in Europe/Helsinki and America/New_York.
// UTC sequences were checked against python3-croniter; the DST ones are worked out in comments.
#include "core/cron.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <string>
#include <vector>

#include "time_helpers.hpp"

namespace zefortd {
namespace {

using namespace std::chrono;
using testing_time::at;
using testing_time::scoped_tz;

cron_expression cron(const std::string& text) {
  auto c = parse_cron(text);
  EXPECT_TRUE(c.has_value()) << text << ": " << (c ? "" : c.error().message);
  return c ? *c : cron_expression{};
}

// The next `n` fire times after `from`, as RFC 3339 UTC strings (readable when a test fails).
std::vector<std::string> fires(const std::string& text, const std::string& from, int n,
                               job_timezone tz = job_timezone::utc) {
  const cron_expression c = cron(text);
  std::vector<std::string> out;
  system_clock::time_point t = at(from);
  for (int i = 0; i < n; ++i) {
    const auto next = next_cron_fire(c, t, tz);
    if (!next) break;
    out.push_back(format_utc(*next));
    t = *next;
  }
  return out;
}

schedule_error error_of(const std::string& text) {
  auto c = parse_cron(text);
  EXPECT_FALSE(c.has_value()) << text;
  return c ? schedule_error{"parsed", -1, 0} : c.error();
}

using strings = std::vector<std::string>;

TEST(CronParse, FieldsAndFlags) {
  const cron_expression c = cron("*/15 9-17 * jan,Jul MON-fri");
  EXPECT_EQ(c.minute.count(), 4u);
  EXPECT_TRUE(c.minute[0] && c.minute[15] && c.minute[30] && c.minute[45]);
  EXPECT_EQ(c.hour.count(), 9u);
  EXPECT_TRUE(c.hour[9] && c.hour[17] && !c.hour[18]);
  EXPECT_EQ(c.day_of_month.count(), 31u);
  EXPECT_TRUE(c.month[1] && c.month[7] && c.month.count() == 2);
  EXPECT_TRUE(c.day_of_week[1] && c.day_of_week[5] && !c.day_of_week[0] && !c.day_of_week[6]);
  EXPECT_TRUE(c.minute_star);
  EXPECT_FALSE(c.hour_star);
  EXPECT_TRUE(c.day_of_month_star);
  EXPECT_FALSE(c.day_of_week_star);
  EXPECT_TRUE(c.is_wildcard());
  EXPECT_FALSE(cron("0 3 * * *").is_wildcard());
  EXPECT_TRUE(cron("0 * * * *").is_wildcard());
  // Blanks may be tabs and repeated.
  EXPECT_EQ(cron(" 0\t3  * * * ").hour, cron("0 3 * * *").hour);
}

TEST(CronParse, StepsAndRanges) {
  EXPECT_EQ(cron("1-10/4 * * * *").minute, cron("1,5,9 * * * *").minute);
  EXPECT_EQ(cron("*/7 * * * *").minute, cron("0,7,14,21,28,35,42,49,56 * * * *").minute);
  EXPECT_EQ(cron("59 * * * *").minute.count(), 1u);
  EXPECT_EQ(cron("0-59/59 * * * *").minute, cron("0,59 * * * *").minute);
  EXPECT_EQ(cron("5-5 * * * *").minute, cron("5 * * * *").minute);
  EXPECT_EQ(cron("0 0-23/6 * * *").hour, cron("0 0,6,12,18 * * *").hour);
  EXPECT_EQ(cron("0 0 */10 * *").day_of_month, cron("0 0 1,11,21,31 * *").day_of_month);
  EXPECT_EQ(cron("0 0 * */5 *").month, cron("0 0 * 1,6,11 *").month);
  EXPECT_EQ(cron("0 0 * feb-apr/2 *").month, cron("0 0 * 2,4 *").month);
  EXPECT_EQ(cron("0 0 1 1 *").minute, cron("00 000 1 1 *").minute);
}

TEST(CronParse, NamesInAnyCaseAndSundayTwice) {
  EXPECT_EQ(cron("0 0 * JAN,feb,Mar,aPr * ").month, cron("0 0 * 1-4 *").month);
  EXPECT_EQ(cron("0 0 * Oct-DEC *").month, cron("0 0 * 10-12 *").month);
  EXPECT_EQ(cron("0 0 * * SUN").day_of_week, cron("0 0 * * 0").day_of_week);
  EXPECT_EQ(cron("0 0 * * 7").day_of_week, cron("0 0 * * 0").day_of_week);
  EXPECT_EQ(cron("0 0 * * 5-7").day_of_week, cron("0 0 * * fri,sat,sun").day_of_week);
  EXPECT_EQ(cron("0 0 * * mon-Fri").day_of_week, cron("0 0 * * 1-5").day_of_week);
  EXPECT_EQ(cron("0 0 * * */7").day_of_week, cron("0 0 * * 0").day_of_week);
  EXPECT_EQ(cron("0 0 * * 0-7").day_of_week.count(), 7u);
}

TEST(CronParse, Macros) {
  const auto same = [](const std::string& macro, const std::string& fields) {
    const cron_expression a = cron(macro), b = cron(fields);
    EXPECT_EQ(a.minute, b.minute) << macro;
    EXPECT_EQ(a.hour, b.hour) << macro;
    EXPECT_EQ(a.day_of_month, b.day_of_month) << macro;
    EXPECT_EQ(a.month, b.month) << macro;
    EXPECT_EQ(a.day_of_week, b.day_of_week) << macro;
    EXPECT_EQ(a.day_of_month_star, b.day_of_month_star) << macro;
    EXPECT_EQ(a.day_of_week_star, b.day_of_week_star) << macro;
  };
  same("@hourly", "0 * * * *");
  same("@daily", "0 0 * * *");
  same("@midnight", "0 0 * * *");
  same("@weekly", "0 0 * * 0");
  same("@monthly", "0 0 1 * *");
  same("@yearly", "0 0 1 1 *");
  same("@annually", "0 0 1 1 *");
  // As in cronie, @hourly is a wildcard job and the others are fixed-time.
  EXPECT_TRUE(cron("@hourly").is_wildcard());
  EXPECT_FALSE(cron("@daily").is_wildcard());
  EXPECT_FALSE(cron("@weekly").is_wildcard());
}

TEST(CronParse, EveryFieldsErrors) {
  struct row {
    std::string text, message;
    int field;
    std::size_t offset;
  };
  const row rows[] = {
      {"60 * * * *", "field 1 (minute): 60 is out of range 0-59", 1, 0},
      {"0 25 * * *", "field 2 (hour): 25 is out of range 0-23", 2, 2},
      {"0 0 0 * *", "field 3 (day-of-month): 0 is out of range 1-31", 3, 4},
      {"0 0 32 * *", "field 3 (day-of-month): 32 is out of range 1-31", 3, 4},
      {"0 0 * 13 *", "field 4 (month): 13 is out of range 1-12", 4, 6},
      {"0 0 * 0 *", "field 4 (month): 0 is out of range 1-12", 4, 6},
      {"0 0 * * 8", "field 5 (day-of-week): 8 is out of range 0-7", 5, 8},
      {"0 0 * foo *", "field 4 (month): 'foo' is not a number or a month name (jan..dec)", 4, 6},
      {"0 0 * * monday",
       "field 5 (day-of-week): 'monday' is not a number or a weekday name (sun..sat)", 5, 8},
      {"0 mon * * *", "field 2 (hour): 'mon' is not a number", 2, 2},
      {"1,,2 * * * *", "field 1 (minute): an empty list entry", 1, 2},
      {"1, * * * *", "field 1 (minute): an empty list entry", 1, 2},
      {"0 0 * * * *",
       "expected five fields (minute hour day-of-month month day-of-week) or a "
       "macro such as @daily, got 6 fields",
       0, 10},
      {"30-10 * * * *", "field 1 (minute): the range 30-10 runs backwards; write 10-30 or a list",
       1, 0},
      {"0 0 * * sat-sun",
       "field 5 (day-of-week): the range sat-sun runs backwards; write sun-sat or a list", 5, 8},
      {"0 1- * * *", "field 2 (hour): a number is missing", 2, 4},
      {"0 0 * 1-foo *", "field 4 (month): 'foo' is not a number or a month name (jan..dec)", 4, 8},
      {"*/0 * * * *", "field 1 (minute): the step '0' must be a whole number from 1 to 59", 1, 2},
      {"*/60 * * * *", "field 1 (minute): the step '60' must be a whole number from 1 to 59", 1, 2},
      {"0 */x * * *", "field 2 (hour): the step 'x' must be a whole number from 1 to 23", 2, 4},
      {"5/10 * * * *",
       "field 1 (minute): a step needs a range or '*' before it: write 5-59/10 for '5/10'", 1, 0},
      {"0 0 99999999999 * *", "field 3 (day-of-month): 99999999999 is out of range 1-31", 3, 4},
      {"0 0 -1 * *", "field 3 (day-of-month): a number is missing", 3, 4},
      {"* * * *",
       "expected five fields (minute hour day-of-month month day-of-week) or a macro "
       "such as @daily, got 4 fields",
       0, 0},
      {"",
       "expected five fields (minute hour day-of-month month day-of-week) or a macro such as "
       "@daily, got 0 fields",
       0, 0},
      {"0 0 30 2 *", "field 3 (day-of-month): never fires: no month in field 4 has such a day", 3,
       4},
      {"0 0 31 apr,jun,sep,nov *",
       "field 3 (day-of-month): never fires: no month in field 4 has such a day", 3, 4},
      {"@dayly",
       "unknown macro '@dayly'; expected @hourly, @daily, @midnight, @weekly, "
       "@monthly, @yearly, @annually or @every <duration>; did you mean '@daily'?",
       0, 0},
      {"@reboot",
       "unknown macro '@reboot'; expected @hourly, @daily, @midnight, @weekly, "
       "@monthly, @yearly, @annually or @every <duration>",
       0, 0},
      {"@daily 0", "@daily takes nothing after it", 0, 7},
  };
  for (const row& r : rows) {
    const schedule_error e = error_of(r.text);
    EXPECT_EQ(e.message, r.message) << r.text;
    EXPECT_EQ(e.field, r.field) << r.text;
    EXPECT_EQ(e.offset, r.offset) << r.text;
  }
  // Feb 29 exists, and with both day fields restricted the weekdays alone can fire.
  EXPECT_TRUE(parse_cron("0 0 29 2 *").has_value());
  EXPECT_TRUE(parse_cron("0 0 30 2 mon").has_value());
}

TEST(CronNext, MonthEndsSkipShortMonths) {
  EXPECT_EQ(fires("0 0 31 * *", "2025-01-31T00:00:00Z", 5),
            (strings{"2025-03-31T00:00:00Z", "2025-05-31T00:00:00Z", "2025-07-31T00:00:00Z",
                     "2025-08-31T00:00:00Z", "2025-10-31T00:00:00Z"}));
  EXPECT_EQ(fires("0 0 30 * *", "2025-01-30T00:00:00Z", 2),
            (strings{"2025-03-30T00:00:00Z", "2025-04-30T00:00:00Z"}));
}

TEST(CronNext, Feb29OnlyInLeapYears) {
  EXPECT_EQ(fires("0 12 29 2 *", "2023-01-01T00:00:00Z", 2),
            (strings{"2024-02-29T12:00:00Z", "2028-02-29T12:00:00Z"}));
  // 2100 is not a leap year: eight years to the next Feb 29.
  EXPECT_EQ(fires("0 12 29 2 *", "2096-03-01T00:00:00Z", 1), (strings{"2104-02-29T12:00:00Z"}));
}

TEST(CronNext, DayOfMonthOrDayOfWeek) {
  // Both restricted: the 13th or a Friday (July 13th 2025 is a Sunday).
  EXPECT_EQ(fires("0 0 13 * 5", "2025-06-01T00:00:00Z", 8),
            (strings{"2025-06-06T00:00:00Z", "2025-06-13T00:00:00Z", "2025-06-20T00:00:00Z",
                     "2025-06-27T00:00:00Z", "2025-07-04T00:00:00Z", "2025-07-11T00:00:00Z",
                     "2025-07-13T00:00:00Z", "2025-07-18T00:00:00Z"}));
  // A field starting with '*' counts as unrestricted, as in cronie: */10 and Friday must both
  // hold (days 1, 11, 21, 31 that are Fridays).
  EXPECT_EQ(fires("0 0 */10 * 5", "2025-01-01T00:00:00Z", 4),
            (strings{"2025-01-31T00:00:00Z", "2025-02-21T00:00:00Z", "2025-03-21T00:00:00Z",
                     "2025-04-11T00:00:00Z"}));
  // Weekday names and ranges, Sunday as 7.
  EXPECT_EQ(fires("0 0 * * 5-7", "2025-06-01T12:00:00Z", 4),
            (strings{"2025-06-06T00:00:00Z", "2025-06-07T00:00:00Z", "2025-06-08T00:00:00Z",
                     "2025-06-13T00:00:00Z"}));
  EXPECT_EQ(fires("5 4 * * sun", "2025-06-01T00:00:00Z", 3),
            (strings{"2025-06-01T04:05:00Z", "2025-06-08T04:05:00Z", "2025-06-15T04:05:00Z"}));
  EXPECT_EQ(fires("0 9 * jan,MAR Mon-Fri", "2025-01-30T12:00:00Z", 4),
            (strings{"2025-01-31T09:00:00Z", "2025-03-03T09:00:00Z", "2025-03-04T09:00:00Z",
                     "2025-03-05T09:00:00Z"}));
}

TEST(CronNext, StepsRangesAndMacros) {
  EXPECT_EQ(fires("1-10/4 * * * *", "2025-06-01T00:00:00Z", 4),
            (strings{"2025-06-01T00:01:00Z", "2025-06-01T00:05:00Z", "2025-06-01T00:09:00Z",
                     "2025-06-01T01:01:00Z"}));
  EXPECT_EQ(fires("*/7 * * * *", "2025-06-01T00:50:00Z", 3),
            (strings{"2025-06-01T00:56:00Z", "2025-06-01T01:00:00Z", "2025-06-01T01:07:00Z"}));
  EXPECT_EQ(fires("*/15 9-17 * * mon-fri", "2025-06-06T16:50:00Z", 5),
            (strings{"2025-06-06T17:00:00Z", "2025-06-06T17:15:00Z", "2025-06-06T17:30:00Z",
                     "2025-06-06T17:45:00Z", "2025-06-09T09:00:00Z"}));
  EXPECT_EQ(fires("23 0-20/2 * * *", "2025-06-01T19:00:00Z", 3),
            (strings{"2025-06-01T20:23:00Z", "2025-06-02T00:23:00Z", "2025-06-02T02:23:00Z"}));
  EXPECT_EQ(fires("@yearly", "2025-06-01T00:00:00Z", 2),
            (strings{"2026-01-01T00:00:00Z", "2027-01-01T00:00:00Z"}));
  EXPECT_EQ(fires("@monthly", "2025-06-01T00:00:00Z", 2),
            (strings{"2025-07-01T00:00:00Z", "2025-08-01T00:00:00Z"}));
  EXPECT_EQ(fires("@weekly", "2025-06-01T12:00:00Z", 2),
            (strings{"2025-06-08T00:00:00Z", "2025-06-15T00:00:00Z"}));
  EXPECT_EQ(fires("@hourly", "2025-06-01T12:00:00Z", 2),
            (strings{"2025-06-01T13:00:00Z", "2025-06-01T14:00:00Z"}));
}

TEST(CronNext, StrictlyAfterAtMinuteResolution) {
  const cron_expression c = cron("0 3 * * *");
  EXPECT_EQ(format_utc(*next_cron_fire(c, at("2025-06-01T02:59:59Z"), job_timezone::utc)),
            "2025-06-01T03:00:00Z");
  EXPECT_EQ(format_utc(*next_cron_fire(c, at("2025-06-01T03:00:00Z"), job_timezone::utc)),
            "2025-06-02T03:00:00Z");
  EXPECT_EQ(format_utc(*next_cron_fire(c, at("2025-06-01T02:59:59Z") + milliseconds{999},
                                       job_timezone::utc)),
            "2025-06-01T03:00:00Z");
}

TEST(CronNext, ImpossibleExpressionEndsAtOnce) {
  // parse_cron refuses it; built by hand it still must not search for years.
  cron_expression c = cron("0 0 1 2 *");
  c.day_of_month.reset();
  c.day_of_month.set(30);
  EXPECT_FALSE(c.can_fire());
  const auto started = steady_clock::now();
  EXPECT_EQ(next_cron_fire(c, at("2025-01-01T00:00:00Z"), job_timezone::utc), std::nullopt);
  EXPECT_LT(steady_clock::now() - started, milliseconds{100});
  // A rare but possible one is found: Feb 29 on a Sunday (AND rule), 2032 after 2025.
  EXPECT_EQ(fires("0 0 29 2 */7", "2025-01-01T00:00:00Z", 1), (strings{"2032-02-29T00:00:00Z"}));
}

class CronDst : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* zone : {"Europe/Helsinki", "America/New_York"})
      ASSERT_TRUE(std::filesystem::exists(std::string("/usr/share/zoneinfo/") + zone))
          << "tzdata is missing: bash .ci/install-deps installs it";
  }
  const job_timezone local = job_timezone::local;
};

// Helsinki 2025: EET (+02) to EEST (+03) on Mar 30 at 03:00 local (01:00Z); back on Oct 26 at
// 04:00 local (01:00Z), so 03:00-03:59 happens twice, at 00:00Z-00:59Z and 01:00Z-01:59Z.
TEST_F(CronDst, HelsinkiSpringForwardFiresAtFirstMinuteAfter) {
  scoped_tz tz("Europe/Helsinki");
  // 03:30 EET, then 03:30 does not exist: 04:00 EEST, then 03:30 EEST.
  EXPECT_EQ(fires("30 3 * * *", "2025-03-29T00:00:00Z", 3, local),
            (strings{"2025-03-29T01:30:00Z", "2025-03-30T01:00:00Z", "2025-03-31T00:30:00Z"}));
  // Two skipped times in one gap fire once.
  EXPECT_EQ(fires("0,30 3 * * *", "2025-03-30T00:00:00Z", 2, local),
            (strings{"2025-03-30T01:00:00Z", "2025-03-31T00:00:00Z"}));
  // A wildcard job simply has no 03:30 that day (02:30 EET, then 04:30 EEST).
  EXPECT_EQ(fires("30 * * * *", "2025-03-30T00:00:00Z", 2, local),
            (strings{"2025-03-30T00:30:00Z", "2025-03-30T01:30:00Z"}));
  // The same expression in UTC ignores TZ.
  EXPECT_EQ(fires("30 3 * * *", "2025-03-29T12:00:00Z", 1, job_timezone::utc),
            (strings{"2025-03-30T03:30:00Z"}));
}

TEST_F(CronDst, HelsinkiFallBackFiresOnce) {
  scoped_tz tz("Europe/Helsinki");
  // 03:30 EEST on the 25th and on the 26th (first pass), not 03:30 EET; then 03:30 EET.
  EXPECT_EQ(fires("30 3 * * *", "2025-10-25T00:00:00Z", 3, local),
            (strings{"2025-10-25T00:30:00Z", "2025-10-26T00:30:00Z", "2025-10-27T01:30:00Z"}));
  // Asked from inside the second pass (03:10 EET), 03:30 has already been.
  EXPECT_EQ(fires("30 3 * * *", "2025-10-26T01:10:00Z", 1, local),
            (strings{"2025-10-27T01:30:00Z"}));
  // Wildcard jobs follow elapsed time: 03:30 EEST, 03:30 EET, 04:30 EET.
  EXPECT_EQ(fires("30 * * * *", "2025-10-26T00:00:00Z", 3, local),
            (strings{"2025-10-26T00:30:00Z", "2025-10-26T01:30:00Z", "2025-10-26T02:30:00Z"}));
}

// New York 2025: EST (-05) to EDT (-04) on Mar 9 at 02:00 local (07:00Z); back on Nov 2 at
// 02:00 EDT (06:00Z), so 01:00-01:59 happens twice, at 05:00Z-05:59Z and 06:00Z-06:59Z.
TEST_F(CronDst, NewYorkSpringForward) {
  scoped_tz tz("America/New_York");
  EXPECT_EQ(fires("30 2 * * *", "2025-03-08T12:00:00Z", 3, local),
            (strings{"2025-03-09T07:00:00Z", "2025-03-10T06:30:00Z", "2025-03-11T06:30:00Z"}));
  // 01:30 EST, 03:00 EDT (02:00 and 02:30 never happen), 03:30 EDT.
  EXPECT_EQ(fires("*/30 * * * *", "2025-03-09T06:00:00Z", 3, local),
            (strings{"2025-03-09T06:30:00Z", "2025-03-09T07:00:00Z", "2025-03-09T07:30:00Z"}));
  // A time after the gap is not moved.
  EXPECT_EQ(fires("15 3 * * *", "2025-03-09T00:00:00Z", 1, local),
            (strings{"2025-03-09T07:15:00Z"}));
  // @daily is midnight, far from the change.
  EXPECT_EQ(fires("@daily", "2025-03-08T12:00:00Z", 2, local),
            (strings{"2025-03-09T05:00:00Z", "2025-03-10T04:00:00Z"}));
}

TEST_F(CronDst, NewYorkFallBack) {
  scoped_tz tz("America/New_York");
  // 01:30 EDT once, then 01:30 EST the next day.
  EXPECT_EQ(fires("30 1 * * *", "2025-11-01T12:00:00Z", 2, local),
            (strings{"2025-11-02T05:30:00Z", "2025-11-03T06:30:00Z"}));
  // @hourly is a wildcard job in cronie: both 01:00s fire.
  EXPECT_EQ(fires("@hourly", "2025-11-02T04:30:00Z", 3, local),
            (strings{"2025-11-02T05:00:00Z", "2025-11-02T06:00:00Z", "2025-11-02T07:00:00Z"}));
  // Mondays 09:00 local across the change: 13:00Z in EDT, 14:00Z in EST.
  EXPECT_EQ(fires("0 9 * * mon", "2025-10-26T00:00:00Z", 2, local),
            (strings{"2025-10-27T13:00:00Z", "2025-11-03T14:00:00Z"}));
}

}  // namespace
}  // namespace zefortd
