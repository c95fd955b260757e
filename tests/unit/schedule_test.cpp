// Tests for `schedule:` values: cron and macros go to cron.hpp, `@every` is parsed and bounded
// here, and errors keep their field and offset.
#include "core/schedule.hpp"

#include <gtest/gtest.h>

namespace zefortd {
namespace {

using namespace std::chrono;

schedule_error error_of(const std::string& text) {
  auto s = parse_schedule(text);
  EXPECT_FALSE(s.has_value()) << text;
  return s ? schedule_error{"parsed", -1, 0} : s.error();
}

TEST(Schedule, CronKeepsItsText) {
  auto s = parse_schedule("0 3 * * *");
  ASSERT_TRUE(s.has_value());
  EXPECT_EQ(s->text(), "0 3 * * *");
  EXPECT_FALSE(s->is_every());
  ASSERT_NE(s->if_cron(), nullptr);
  EXPECT_TRUE(s->if_cron()->hour[3]);
  const sys_seconds after{sys_days{year{2025} / 6 / 1}};
  EXPECT_EQ(format_utc(*next_fire(*s, after, job_timezone::utc)), "2025-06-01T03:00:00Z");
}

TEST(Schedule, Every) {
  for (const auto& [text, interval] : {std::pair<std::string, seconds>{"@every 90s", seconds{90}},
                                       {"@every 1h30m", minutes{90}},
                                       {"@every   6h ", hours{6}},
                                       {"@every\t1d", hours{24}},
                                       {"@every 1s", seconds{1}},
                                       {"@every 366d", days{366}}}) {
    auto s = parse_schedule(text);
    ASSERT_TRUE(s.has_value()) << text << ": " << s.error().message;
    ASSERT_TRUE(s->is_every()) << text;
    EXPECT_EQ(s->if_every()->interval, interval) << text;
    EXPECT_EQ(s->text(), text);
  }
  auto s = parse_schedule("@every 90s");
  const sys_seconds last{sys_days{year{2025} / 6 / 1}};
  // The next slot is the interval after the last one, whatever the time zone.
  EXPECT_EQ(format_utc(*next_fire(*s, last, job_timezone::local)), "2025-06-01T00:01:30Z");
}

TEST(Schedule, EveryErrors) {
  struct row {
    std::string text, message;
    std::size_t offset;
  };
  const row rows[] = {
      {"@every", "@every needs a duration such as 90s, 5m or 6h", 0},
      {"@every  ", "@every needs a duration such as 90s, 5m or 6h", 0},
      {"@every 5 minutes", "@every: expected a duration such as 90s, 5m, 6h or 1d, got '5 minutes'",
       7},
      {"@every 1x", "@every: expected a duration such as 90s, 5m, 6h or 1d, got '1x'", 7},
      {"@every 0", "@every: 0 is out of range 1s to 366d", 7},
      {"@every 500ms", "@every: 500ms is not a whole number of seconds", 7},
      {"@every 1s500ms", "@every: 1s500ms is not a whole number of seconds", 7},
      {"@every 367d", "@every: 367d is out of range 1s to 366d", 7},
      {"@every90s", "'@every' must be followed by a blank and a duration such as 90s or 6h", 0},
      {" @everyday",
       "unknown macro '@everyday'; expected @hourly, @daily, @midnight, @weekly, "
       "@monthly, @yearly, @annually or @every <duration>; did you mean '@every'?",
       1},
  };
  for (const row& r : rows) {
    const schedule_error e = error_of(r.text);
    EXPECT_EQ(e.message, r.message) << r.text;
    EXPECT_EQ(e.field, 0) << r.text;
    EXPECT_EQ(e.offset, r.offset) << r.text;
  }
  // Cron errors pass through with their field.
  const schedule_error e = error_of("0 0 * * 8");
  EXPECT_EQ(e.field, 5);
  EXPECT_EQ(e.offset, 8u);
}

}  // namespace
}  // namespace zefortd
