// Parsing, checking and resolution of payload date templates; see payload_template.hpp.
#include "core/payload_template.hpp"

#include <array>
#include <boost/json/array.hpp>
#include <boost/json/string.hpp>
#include <cstdint>
#include <cstdio>
#include <ctime>
#include <variant>

#include "core/suggest.hpp"

namespace zefortd {
namespace json = boost::json;
using namespace std::chrono;

namespace {

enum class anchor { today, now };

struct expression {
  anchor base = anchor::today;
  seconds offset{0};
};

// Offsets stay far inside the calendar's range, so resolution cannot fail later.
constexpr seconds max_offset = days(36525);

constexpr std::array<std::string_view, 2> anchors{"today", "now"};

const char* const usage = "expected {{ today }}, {{ today + 30d }}, {{ now }} or {{ now - 2h }}";

bool is_space(char c) {
  return c == ' ' || c == '\t';
}
bool is_digit(char c) {
  return c >= '0' && c <= '9';
}
bool is_word(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

// Parses what stands between "{{" and "}}". `whole` is the template as written, for messages.
std::variant<expression, std::string> parse_expression(std::string_view body,
                                                       std::string_view whole) {
  const std::string quoted = "'" + std::string(whole) + "'";
  std::size_t i = 0;
  auto skip_spaces = [&] {
    while (i < body.size() && is_space(body[i])) ++i;
  };
  skip_spaces();
  const std::size_t word_start = i;
  while (i < body.size() && is_word(body[i])) ++i;
  const std::string_view word = body.substr(word_start, i - word_start);
  expression e;
  if (word == "today") {
    e.base = anchor::today;
  } else if (word == "now") {
    e.base = anchor::now;
  } else if (word.empty()) {
    return "malformed template " + quoted + ": " + usage;
  } else {
    return "unknown template " + quoted + did_you_mean(word, anchors);
  }
  skip_spaces();
  if (i == body.size()) return e;

  const char sign = body[i];
  if (sign != '+' && sign != '-') return "malformed template " + quoted + ": " + usage;
  ++i;
  skip_spaces();
  std::int64_t count = 0;
  const std::size_t digits_start = i;
  // Nine digits are already far beyond max_offset in any unit; more would only risk overflow.
  while (i < body.size() && is_digit(body[i]) && i - digits_start < 9)
    count = count * 10 + (body[i++] - '0');
  if (i == digits_start) return "malformed template " + quoted + ": " + usage;
  if (i < body.size() && is_digit(body[i])) return "template " + quoted + ": offset too large";
  const std::size_t unit_start = i;
  while (i < body.size() && is_word(body[i])) ++i;
  const std::string_view unit = body.substr(unit_start, i - unit_start);
  skip_spaces();
  if (i != body.size()) return "malformed template " + quoted + ": " + usage;

  if (e.base == anchor::today) {
    if (unit == "d") {
      e.offset = days(count);
    } else if (unit == "w") {
      e.offset = weeks(count);
    } else {
      return "template " + quoted + ": today takes an offset in days (d) or weeks (w)";
    }
  } else {
    if (unit == "s") {
      e.offset = seconds(count);
    } else if (unit == "m") {
      e.offset = minutes(count);
    } else if (unit == "h") {
      e.offset = hours(count);
    } else if (unit == "d") {
      e.offset = days(count);
    } else {
      return "template " + quoted + ": now takes an offset in s, m, h or d";
    }
  }
  if (e.offset > max_offset) return "template " + quoted + ": offset too large (100 years at most)";
  if (sign == '-') e.offset = -e.offset;
  return e;
}

// Calls on_text for literal stretches and on_template for each "{{ … }}". At an unterminated "{{"
// or a bad template it hands the rest of the text to on_text unchanged and returns the error.
template <class OnText, class OnTemplate>
std::optional<std::string> scan(std::string_view text, OnText on_text, OnTemplate on_template) {
  while (!text.empty()) {
    const std::size_t open = text.find("{{");
    if (open == std::string_view::npos) break;
    on_text(text.substr(0, open));
    const std::size_t close = text.find("}}", open + 2);
    if (close == std::string_view::npos) {
      on_text(text.substr(open));
      return "unclosed '{{' in '" + std::string(text.substr(open)) + "'";
    }
    const std::string_view whole = text.substr(open, close + 2 - open);
    auto parsed = parse_expression(text.substr(open + 2, close - open - 2), whole);
    if (auto* error = std::get_if<std::string>(&parsed)) {
      on_text(text.substr(open));
      return *error;
    }
    on_template(std::get<expression>(parsed));
    text.remove_prefix(close + 2);
  }
  on_text(text);
  return std::nullopt;
}

year_month_day today_in(system_clock::time_point now, job_timezone tz) {
  if (tz == job_timezone::utc) return year_month_day(floor<days>(now));
  // libstdc++ 12 has no std::chrono::current_zone; the C library knows TZ and /etc/localtime.
  tzset();
  const std::time_t t = system_clock::to_time_t(floor<seconds>(now));
  std::tm local{};
  localtime_r(&t, &local);
  return year_month_day(year(local.tm_year + 1900), month(static_cast<unsigned>(local.tm_mon + 1)),
                        day(static_cast<unsigned>(local.tm_mday)));
}

std::string format_date(year_month_day d) {
  char buffer[16];
  std::snprintf(buffer, sizeof buffer, "%04d-%02u-%02u", static_cast<int>(d.year()),
                static_cast<unsigned>(d.month()), static_cast<unsigned>(d.day()));
  return buffer;
}

std::string format_instant(sys_seconds t) {
  const sys_days date = floor<days>(t);
  const hh_mm_ss<seconds> time(t - date);
  return format_date(year_month_day(date)) + "T" + [&] {
    char buffer[16];
    std::snprintf(buffer, sizeof buffer, "%02d:%02d:%02dZ", static_cast<int>(time.hours().count()),
                  static_cast<int>(time.minutes().count()),
                  static_cast<int>(time.seconds().count()));
    return std::string(buffer);
  }();
}

std::optional<std::string> check_value(const json::value& v, const std::string& path) {
  if (const json::string* s = v.if_string()) {
    auto ignore = [](auto&&) {};
    if (auto error = scan(*s, ignore, ignore)) return path + ": " + *error;
  } else if (const json::array* a = v.if_array()) {
    for (std::size_t i = 0; i < a->size(); ++i)
      if (auto error = check_value((*a)[i], path + "[" + std::to_string(i) + "]")) return error;
  } else if (const json::object* o = v.if_object()) {
    for (const auto& member : *o)
      if (auto error = check_value(member.value(), path + "." + std::string(member.key())))
        return error;
  }
  return std::nullopt;
}

json::value resolve_value(const json::value& v, system_clock::time_point now, job_timezone tz) {
  if (const json::string* s = v.if_string()) {
    if (s->subview().find("{{") == std::string_view::npos) return v;
    return json::string(resolve_template_string(*s, now, tz));
  }
  if (const json::array* a = v.if_array()) {
    json::array out;
    out.reserve(a->size());
    for (const json::value& item : *a) out.push_back(resolve_value(item, now, tz));
    return out;
  }
  if (const json::object* o = v.if_object()) return resolve_templates(*o, now, tz);
  return v;
}

}  // namespace

std::optional<std::string> check_templates(const json::value& payload) {
  return check_value(payload, "payload");
}

std::string resolve_template_string(std::string_view text, system_clock::time_point now,
                                    job_timezone tz) {
  std::string out;
  auto on_text = [&](std::string_view literal) { out += literal; };
  auto on_template = [&](const expression& e) {
    if (e.base == anchor::today)
      out += format_date(year_month_day(sys_days(today_in(now, tz)) + floor<days>(e.offset)));
    else
      out += format_instant(floor<seconds>(now) + e.offset);
  };
  scan(text, on_text, on_template);  // an error leaves the rest verbatim; see the header
  return out;
}

json::object resolve_templates(const json::object& payload, system_clock::time_point now,
                               job_timezone tz) {
  json::object out;
  out.reserve(payload.size());
  for (const auto& member : payload)
    out.emplace(member.key(), resolve_value(member.value(), now, tz));
  return out;
}

}  // namespace zefortd
