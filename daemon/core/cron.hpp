// Five-field cron expressions and their macros with the semantics of Vixie cron and cronie:
// parsing (errors as values naming the field and where it starts) and the next fire time in UTC
// or in the C library's local time, DST changes included.
#pragma once

#include <bitset>
#include <boost/system/result.hpp>
#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "core/time_zone.hpp"

namespace zefortd {

// Why a `schedule:` string does not parse. `message` names the field when there is one:
// "field 2 (hour): 25 is out of range 0-23". `offset` is where the offending text starts in the
// string (0-based), so that the configuration can point at it with a column.
struct schedule_error {
  std::string message;
  int field = 0;  // 1..5 (minute, hour, day-of-month, month, day-of-week), 0 = the whole string
  std::size_t offset = 0;
};

// What result<T, schedule_error>::value() throws on error: std::invalid_argument(message).
[[noreturn]] void throw_exception_from_error(const schedule_error& e,
                                             const boost::source_location&);

struct cron_expression {
  // The values each field allows, as in cronie's entry: bit N set = value N.
  std::bitset<60> minute;
  std::bitset<24> hour;
  std::bitset<32> day_of_month;  // 1..31
  std::bitset<13> month;         // 1..12
  std::bitset<7> day_of_week;    // 0..6, Sunday 0 (a written 7 is folded into 0)
  // Whether the field was written starting with '*' (cronie's MIN_STAR, HR_STAR, DOM_STAR,
  // DOW_STAR). A day field starting with '*' makes the days AND instead of OR; a minute or hour
  // field starting with '*' makes the expression follow elapsed time through DST changes.
  bool minute_star = false;
  bool hour_star = false;
  bool day_of_month_star = false;
  bool day_of_week_star = false;

  // Whether the wall-clock minute `at` is one the expression names (month, day rule, hour, minute).
  bool matches(std::chrono::local_time<std::chrono::minutes> at) const;
  bool matches_day(std::chrono::local_days day) const;
  // cronie's "wildcard" jobs: they run at every matching minute of elapsed time, so they fire in
  // both passes of an hour that a DST change repeats and not at all in an hour it skips.
  // The others are "fixed-time": they fire once at a repeated time, and a time a DST change
  // skips fires at the first minute after the change.
  bool is_wildcard() const { return minute_star || hour_star; }
  // Whether some date exists that the month and day fields allow (false for "0 0 30 2 *").
  bool can_fire() const;
};

// Five fields separated by blanks (min hour dom month dow) with '*', lists, ranges, steps
// ("*/5", "1-10/2"), month names jan..dec and weekday names sun..sat in any case, 0 and 7 both
// Sunday; or one of @hourly, @daily, @midnight, @weekly, @monthly, @yearly, @annually.
// An expression that can never fire is an error too.
boost::system::result<cron_expression, schedule_error> parse_cron(std::string_view text);

// How far ahead next_cron_fire looks: long enough for Feb 29 on a given weekday (28 years, more
// across 2100), short enough to stay fast.
inline constexpr std::chrono::years cron_search_horizon{50};

// The first fire time strictly after `after` (fire times are whole minutes), or nullopt when
// there is none within cron_search_horizon. In local time the DST rules of cronie apply (see
// is_wildcard()).
std::optional<sys_seconds> next_cron_fire(const cron_expression& expr,
                                          std::chrono::system_clock::time_point after,
                                          job_timezone tz);

}  // namespace zefortd
