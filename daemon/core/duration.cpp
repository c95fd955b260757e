// Parsing and formatting of configuration durations; see duration.hpp.
#include "core/duration.hpp"

#include <array>
#include <cstdint>

namespace zefortd {
namespace {

struct unit {
  std::string_view suffix;
  std::int64_t millis;
};

// Largest first: parse_duration requires this order and format_duration emits it.
constexpr std::array<unit, 5> units{{
    {"d", 86'400'000},
    {"h", 3'600'000},
    {"m", 60'000},
    {"s", 1'000},
    {"ms", 1},
}};

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

// The unit at the start of `text`; "ms" must win over "m".
std::optional<std::size_t> match_unit(std::string_view text) {
  if (text.starts_with("ms")) return 4;
  for (std::size_t i = 0; i < units.size(); ++i)
    if (units[i].suffix.size() == 1 && !text.empty() && text[0] == units[i].suffix[0]) return i;
  return std::nullopt;
}

enum class parse_status { ok, malformed, too_long };

// An overflow does not stop the scan: the rest of the text decides whether it was a duration
// at all ("99999999999999999999d" is one, too long; "99999999999999999999x" is not).
parse_status parse(std::string_view text, std::int64_t& total) {
  total = 0;
  if (text == "0") return parse_status::ok;
  if (text.empty()) return parse_status::malformed;
  bool overflow = false;
  std::size_t next_unit = 0;  // units before this index have been used or skipped
  while (!text.empty()) {
    std::int64_t number = 0;
    std::size_t digits = 0;
    while (digits < text.size() && is_digit(text[digits])) {
      if (__builtin_mul_overflow(number, 10, &number) ||
          __builtin_add_overflow(number, text[digits] - '0', &number))
        overflow = true;
      ++digits;
    }
    if (digits == 0) return parse_status::malformed;
    text.remove_prefix(digits);
    const auto u = match_unit(text);
    if (!u || *u < next_unit) return parse_status::malformed;
    text.remove_prefix(units[*u].suffix.size());
    next_unit = *u + 1;
    std::int64_t part = 0;
    if (__builtin_mul_overflow(number, units[*u].millis, &part) ||
        __builtin_add_overflow(total, part, &total))
      overflow = true;
  }
  return overflow || total > max_duration.count() ? parse_status::too_long : parse_status::ok;
}

}  // namespace

std::optional<std::chrono::milliseconds> parse_duration(std::string_view text) {
  std::int64_t total = 0;
  if (parse(text, total) != parse_status::ok) return std::nullopt;
  return std::chrono::milliseconds{total};
}

bool duration_too_long(std::string_view text) {
  std::int64_t total = 0;
  return parse(text, total) == parse_status::too_long;
}

std::string format_duration(std::chrono::milliseconds value) {
  std::int64_t ms = value.count();
  if (ms == 0) return "0s";
  std::string out;
  // Work in the negative range so that the most negative value needs no special case.
  if (ms > 0) {
    ms = -ms;
  } else {
    out = "-";
  }
  for (const unit& u : units) {
    const std::int64_t count = ms / u.millis;  // <= 0
    if (count == 0) continue;
    ms -= count * u.millis;
    std::string digits = std::to_string(count);
    out += digits.substr(1);  // drop the '-'
    out += u.suffix;
  }
  return out;
}

}  // namespace zefortd
