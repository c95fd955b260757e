// A job's `schedule:` value (DESIGN.md §4): a cron expression or macro (see cron.hpp), or
// `@every <duration>`; parsed once at load, with the text kept for display.
#pragma once

#include <boost/system/result.hpp>
#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "core/cron.hpp"
#include "core/time_zone.hpp"

namespace zefortd {

// The bounds of `@every`: whole seconds, at least one second, at most a year.
inline constexpr std::chrono::seconds min_every_interval{1};
inline constexpr std::chrono::seconds max_every_interval{std::chrono::days{366}};

class schedule {
 public:
  // @every: fires at start, then `interval` after each slot (the journal keeps the last one).
  struct every {
    std::chrono::seconds interval;
  };

  schedule(std::string text, std::variant<cron_expression, every> rule)
      : text_(std::move(text)), rule_(std::move(rule)) {}

  const std::string& text() const { return text_; }  // as written
  bool is_every() const { return std::holds_alternative<every>(rule_); }
  const every* if_every() const { return std::get_if<every>(&rule_); }
  const cron_expression* if_cron() const { return std::get_if<cron_expression>(&rule_); }

 private:
  std::string text_;
  std::variant<cron_expression, every> rule_;
};

// Parses "0 3 * * *", "@daily" or "@every 6h". Errors name the field (cron) or the duration and
// where in `text` the offending part starts.
boost::system::result<schedule, schedule_error> parse_schedule(std::string_view text);

// The first fire time strictly after `after`. For cron, a whole minute (see next_cron_fire); for
// @every, `after` + interval, `after` being the last slot fired (a job that never fired fires at
// start: that is the planner's business, see schedule_plan.hpp). nullopt: none within
// cron_search_horizon.
std::optional<sys_seconds> next_fire(const schedule& s, std::chrono::system_clock::time_point after,
                                     job_timezone tz);

}  // namespace zefortd
