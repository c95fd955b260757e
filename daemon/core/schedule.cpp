// Parsing of `schedule:` values and their next fire time; see schedule.hpp.
#include "core/schedule.hpp"

#include "core/duration.hpp"

namespace zefortd {
namespace {

using namespace std::chrono;

bool is_blank(char c) {
  return c == ' ' || c == '\t';
}

boost::system::result<schedule, schedule_error> parse_every(std::string_view text,
                                                            std::size_t keyword_at) {
  std::size_t at = keyword_at + std::string_view("@every").size();
  if (at < text.size() && !is_blank(text[at]))
    return schedule_error{"'@every' must be followed by a blank and a duration such as 90s or 6h",
                          0, keyword_at};
  while (at < text.size() && is_blank(text[at])) ++at;
  std::size_t end = text.size();
  while (end > at && is_blank(text[end - 1])) --end;
  const std::string_view written = text.substr(at, end - at);
  if (written.empty())
    return schedule_error{"@every needs a duration such as 90s, 5m or 6h", 0, keyword_at};
  const auto d = parse_duration(written);
  if (!d)
    return schedule_error{
        "@every: expected a duration such as 90s, 5m, 6h or 1d, got '" + std::string(written) + "'",
        0, at};
  if (*d % seconds{1} != milliseconds{0})
    return schedule_error{"@every: " + std::string(written) + " is not a whole number of seconds",
                          0, at};
  if (*d < min_every_interval || *d > max_every_interval)
    return schedule_error{"@every: " + std::string(written) + " is out of range " +
                              format_duration(min_every_interval) + " to " +
                              format_duration(max_every_interval),
                          0, at};
  return schedule(std::string(text), schedule::every{duration_cast<seconds>(*d)});
}

}  // namespace

boost::system::result<schedule, schedule_error> parse_schedule(std::string_view text) {
  std::size_t start = 0;
  while (start < text.size() && is_blank(text[start])) ++start;
  const std::string_view body = text.substr(start);
  if (body == "@every" || body.starts_with("@every ") || body.starts_with("@every\t") ||
      (body.starts_with("@every") && body.size() > 6 && body[6] >= '0' && body[6] <= '9'))
    return parse_every(text, start);
  auto cron = parse_cron(text);
  if (!cron) return cron.error();
  return schedule(std::string(text), *cron);
}

std::optional<sys_seconds> next_fire(const schedule& s, system_clock::time_point after,
                                     job_timezone tz) {
  if (const schedule::every* e = s.if_every()) return floor<seconds>(after) + e->interval;
  return next_cron_fire(*s.if_cron(), after, tz);
}

}  // namespace zefortd
