// Parsing and next fire times of cron expressions; see cron.hpp.
#include "core/cron.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <stdexcept>
#include <vector>

#include "core/suggest.hpp"

namespace zefortd {
namespace {

using namespace std::chrono;
using wall_minutes = local_time<minutes>;

struct field_spec {
  std::string_view name;
  int low;
  int high;
  const std::array<std::string_view, 12>* names;  // value low + i is names[i]; null: numbers only
  std::string_view names_hint;
};

constexpr std::array<std::string_view, 12> month_names{"jan", "feb", "mar", "apr", "may", "jun",
                                                       "jul", "aug", "sep", "oct", "nov", "dec"};
constexpr std::array<std::string_view, 12> weekday_names{"sun", "mon", "tue", "wed",
                                                         "thu", "fri", "sat"};

constexpr std::array<field_spec, 5> fields{{
    {"minute", 0, 59, nullptr, ""},
    {"hour", 0, 23, nullptr, ""},
    {"day-of-month", 1, 31, nullptr, ""},
    {"month", 1, 12, &month_names, " or a month name (jan..dec)"},
    {"day-of-week", 0, 7, &weekday_names, " or a weekday name (sun..sat)"},
}};

struct macro {
  std::string_view name;
  std::string_view expansion;
};
constexpr std::array<macro, 7> macros{{
    {"@hourly", "0 * * * *"},
    {"@daily", "0 0 * * *"},
    {"@midnight", "0 0 * * *"},
    {"@weekly", "0 0 * * 0"},
    {"@monthly", "0 0 1 * *"},
    {"@yearly", "0 0 1 1 *"},
    {"@annually", "0 0 1 1 *"},
}};
constexpr std::array<std::string_view, 8> macro_names{"@hourly",  "@daily",  "@midnight", "@weekly",
                                                      "@monthly", "@yearly", "@annually", "@every"};

bool is_blank(char c) {
  return c == ' ' || c == '\t';
}

bool equals_ignoring_case(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return (x >= 'A' && x <= 'Z' ? x - 'A' + 'a' : x) == y;
         });
}

// Parses one field into `bits` (indexed by value). `base` is the field's offset in the whole
// string, for errors.
class field_parser {
 public:
  field_parser(int index, std::string_view text, std::size_t base)
      : index_(index), spec_(fields[index]), text_(text), base_(base) {}

  std::optional<schedule_error> parse(std::bitset<64>& bits) {
    std::size_t start = 0;
    while (true) {
      const std::size_t comma = text_.find(',', start);
      const std::size_t end = comma == std::string_view::npos ? text_.size() : comma;
      if (auto e = item(text_.substr(start, end - start), start, bits)) return e;
      if (comma == std::string_view::npos) return std::nullopt;
      start = comma + 1;
    }
  }

 private:
  schedule_error fail(std::size_t at, const std::string& what) const {
    return {"field " + std::to_string(index_ + 1) + " (" + std::string(spec_.name) + "): " + what,
            index_ + 1, base_ + at};
  }

  // A number or (where the field has them) a name; `at` is its offset in the field.
  std::optional<int> value(std::string_view token, std::size_t at, schedule_error& error) const {
    int number = 0;
    const auto [ptr, ec] = std::from_chars(token.data(), token.data() + token.size(), number);
    const bool digits = !token.empty() && ptr == token.data() + token.size() && token[0] != '-';
    if (digits) {
      if (ec != std::errc{} || number < spec_.low || number > spec_.high) {
        error = fail(at, std::string(token) + " is out of range " + std::to_string(spec_.low) +
                             "-" + std::to_string(spec_.high));
        return std::nullopt;
      }
      return number;
    }
    if (spec_.names != nullptr)
      for (std::size_t i = 0; i < spec_.names->size(); ++i)
        if (!(*spec_.names)[i].empty() && equals_ignoring_case(token, (*spec_.names)[i]))
          return spec_.low + static_cast<int>(i);
    error = fail(at, token.empty() ? "a number is missing"
                                   : "'" + std::string(token) + "' is not a number" +
                                         std::string(spec_.names_hint));
    return std::nullopt;
  }

  // One list entry: "*", "N", "N-M", each optionally followed by "/STEP".
  std::optional<schedule_error> item(std::string_view entry, std::size_t at,
                                     std::bitset<64>& bits) {
    if (entry.empty()) return fail(at, "an empty list entry");
    const std::size_t slash = entry.find('/');
    const std::string_view range = entry.substr(0, slash);
    int first = spec_.low;
    int last = spec_.high;
    bool single = false;
    if (range != "*") {
      const std::size_t dash = range.find('-');
      schedule_error error;
      const auto a = value(range.substr(0, dash), at, error);
      if (!a) return error;
      first = last = *a;
      single = dash == std::string_view::npos;
      if (!single) {
        const auto b = value(range.substr(dash + 1), at + dash + 1, error);
        if (!b) return error;
        last = *b;
        if (last < first)
          return fail(at, "the range " + std::string(range) + " runs backwards; write " +
                              std::string(range.substr(dash + 1)) + "-" +
                              std::string(range.substr(0, dash)) + " or a list");
      }
    }
    int step = 1;
    if (slash != std::string_view::npos) {
      const std::string_view text = entry.substr(slash + 1);
      if (single)
        return fail(at, "a step needs a range or '*' before it: write " + std::string(range) + "-" +
                            std::to_string(spec_.high) + "/" + std::string(text) + " for '" +
                            std::string(entry) + "'");
      const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), step);
      if (text.empty() || ptr != text.data() + text.size() || ec != std::errc{} || step < 1 ||
          step > spec_.high)
        return fail(at + slash + 1, "the step '" + std::string(text) +
                                        "' must be a whole number from 1 to " +
                                        std::to_string(spec_.high));
    }
    for (int v = first; v <= last; v += step) bits.set(static_cast<std::size_t>(v));
    return std::nullopt;
  }

  int index_;
  const field_spec& spec_;
  std::string_view text_;
  std::size_t base_;
};

template <std::size_t N>
std::bitset<N> narrow(const std::bitset<64>& bits) {
  std::bitset<N> out;
  for (std::size_t i = 0; i < N; ++i) out[i] = bits[i];
  return out;
}

// The five fields, with where each starts.
struct split_fields {
  std::vector<std::pair<std::string_view, std::size_t>> parts;
};

split_fields split(std::string_view text) {
  split_fields out;
  std::size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && is_blank(text[i])) ++i;
    if (i == text.size()) break;
    const std::size_t start = i;
    while (i < text.size() && !is_blank(text[i])) ++i;
    out.parts.emplace_back(text.substr(start, i - start), start);
  }
  return out;
}

boost::system::result<cron_expression, schedule_error> parse_fields(std::string_view text) {
  const split_fields f = split(text);
  if (f.parts.size() != 5)
    return schedule_error{
        "expected five fields (minute hour day-of-month month day-of-week) "
        "or a macro such as @daily, got " +
            std::to_string(f.parts.size()) + (f.parts.size() == 1 ? " field" : " fields"),
        0, f.parts.size() > 5 ? f.parts[5].second : 0};
  std::array<std::bitset<64>, 5> bits;
  for (int i = 0; i < 5; ++i) {
    field_parser p(i, f.parts[i].first, f.parts[i].second);
    if (auto e = p.parse(bits[i])) return *e;
  }
  cron_expression c;
  c.minute = narrow<60>(bits[0]);
  c.hour = narrow<24>(bits[1]);
  c.day_of_month = narrow<32>(bits[2]);
  c.month = narrow<13>(bits[3]);
  if (bits[4][7]) bits[4].set(0);  // 7 is Sunday too
  c.day_of_week = narrow<7>(bits[4]);
  c.minute_star = f.parts[0].first.starts_with('*');
  c.hour_star = f.parts[1].first.starts_with('*');
  c.day_of_month_star = f.parts[2].first.starts_with('*');
  c.day_of_week_star = f.parts[4].first.starts_with('*');
  if (!c.can_fire())
    return schedule_error{
        "field 3 (day-of-month): never fires: no month in field 4 has "
        "such a day",
        3, f.parts[2].second};
  return c;
}

// The first wall-clock minute at or after `from` that the expression names, up to `limit`.
std::optional<wall_minutes> next_wall_match(const cron_expression& c, wall_minutes from,
                                            wall_minutes limit) {
  local_days day = floor<days>(from);
  minutes time_of_day = from - day;
  while (day + time_of_day <= limit) {
    const year_month_day ymd{day};
    if (!c.month[unsigned(ymd.month())]) {
      const year_month next = year_month{ymd.year(), ymd.month()} + months{1};
      day = local_days{next / 1};
      time_of_day = minutes{0};
      continue;
    }
    if (c.matches_day(day)) {
      const hh_mm_ss<minutes> t{time_of_day};
      for (long h = t.hours().count(); h < 24; ++h) {
        if (!c.hour[h]) continue;
        for (long m = h == t.hours().count() ? t.minutes().count() : 0; m < 60; ++m)
          if (c.minute[m]) {
            const wall_minutes found = day + hours{h} + minutes{m};
            if (found > limit) return std::nullopt;
            return found;
          }
      }
    }
    day += days{1};
    time_of_day = minutes{0};
  }
  return std::nullopt;
}

wall_minutes wall_of(sys_minutes at, minutes offset) {
  return wall_minutes{at.time_since_epoch() + offset};
}

sys_minutes instant_of(wall_minutes at, minutes offset) {
  return sys_minutes{at.time_since_epoch() - offset};
}

minutes offset_at(job_timezone tz, sys_minutes at) {
  return utc_offset(tz, sys_seconds{at});
}

// The first minute in (from, to] whose offset differs from the one at `from`, if any. Probes a
// day apart: tzdata has no two changes of offset within a day of each other.
std::optional<sys_minutes> first_change(job_timezone tz, sys_minutes from, sys_minutes to) {
  if (tz == job_timezone::utc || to <= from) return std::nullopt;
  const minutes offset = offset_at(tz, from);
  sys_minutes low = from;
  while (low < to) {
    const sys_minutes high = std::min<sys_minutes>(low + days{1}, to);
    if (offset_at(tz, high) != offset) {
      sys_minutes lo = low, hi = high;  // offset(lo) is the old one, offset(hi) a new one
      while (hi - lo > minutes{1}) {
        const sys_minutes mid = lo + (hi - lo) / 2;
        (offset_at(tz, mid) == offset ? lo : hi) = mid;
      }
      return hi;
    }
    low = high;
  }
  return std::nullopt;
}

}  // namespace

void throw_exception_from_error(const schedule_error& e, const boost::source_location&) {
  throw std::invalid_argument(e.message);
}

bool cron_expression::matches_day(local_days day) const {
  const unsigned dom = unsigned(year_month_day{day}.day());
  const unsigned dow = weekday{day}.c_encoding();
  const bool by_month_day = day_of_month[dom];
  const bool by_week_day = day_of_week[dow];
  // Vixie cron: when both are restricted either is enough; a field written with '*' first
  // (even "*/2") counts as unrestricted, so then both must match.
  if (day_of_month_star || day_of_week_star) return by_month_day && by_week_day;
  return by_month_day || by_week_day;
}

bool cron_expression::matches(local_time<minutes> at) const {
  const local_days day = floor<days>(at);
  const hh_mm_ss<minutes> t{at - day};
  return month[unsigned(year_month_day{day}.month())] && matches_day(day) &&
         hour[t.hours().count()] && minute[t.minutes().count()];
}

bool cron_expression::can_fire() const {
  if (minute.none() || hour.none() || month.none() || day_of_month.none() || day_of_week.none())
    return false;
  // Restricted weekdays alone (OR rule) fire in every month, and every date falls on every
  // weekday in some year, so only the month and day-of-month fields can rule out every date.
  if (!day_of_month_star && !day_of_week_star) return true;
  constexpr std::array<unsigned, 13> longest{0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  for (unsigned m = 1; m <= 12; ++m)
    for (unsigned d = 1; d <= longest[m]; ++d)
      if (month[m] && day_of_month[d]) return true;
  return false;
}

boost::system::result<cron_expression, schedule_error> parse_cron(std::string_view text) {
  std::size_t start = 0;
  while (start < text.size() && is_blank(text[start])) ++start;
  const std::string_view body = text.substr(start);
  if (!body.starts_with('@')) return parse_fields(text);
  const split_fields f = split(text);
  const std::string_view name = f.parts[0].first;
  for (const macro& m : macros) {
    if (name != m.name) continue;
    if (f.parts.size() > 1)
      return schedule_error{std::string(name) + " takes nothing after it", 0, f.parts[1].second};
    return parse_fields(m.expansion);  // "0 * * * *" makes @hourly a wildcard job, as in cronie
  }
  return schedule_error{"unknown macro '" + std::string(name) +
                            "'; expected @hourly, @daily, @midnight, @weekly, @monthly, "
                            "@yearly, @annually or @every <duration>" +
                            did_you_mean(name, macro_names),
                        0, start};
}

std::optional<sys_seconds> next_cron_fire(const cron_expression& c, system_clock::time_point after,
                                          job_timezone tz) {
  if (!c.can_fire()) return std::nullopt;
  sys_minutes t = floor<minutes>(after) + minutes{1};
  const sys_minutes limit = t + floor<minutes>(cron_search_horizon);
  minutes offset = offset_at(tz, t);
  // Wall-clock minutes before this one were already lived once in the first pass of an hour
  // that a DST change repeats; fixed-time expressions do not fire there again.
  std::optional<wall_minutes> repeated_until;
  if (tz == job_timezone::local) {
    const sys_minutes back = t - days{1};
    const minutes before = offset_at(tz, back);
    if (before > offset)
      if (const auto change = first_change(tz, back, t)) repeated_until = wall_of(*change, before);
  }
  while (t <= limit) {
    const auto wall = next_wall_match(c, wall_of(t, offset), wall_of(limit, offset));
    if (!wall) return std::nullopt;
    const sys_minutes candidate = instant_of(*wall, offset);
    const auto change = first_change(tz, t, candidate);
    if (!change) {
      if (!c.is_wildcard() && repeated_until && *wall < *repeated_until) {
        t = std::max(candidate + minutes{1}, instant_of(*repeated_until, offset));
        continue;
      }
      return sys_seconds{candidate};
    }
    // No match before the change at the old offset; *wall is at or past the change's wall time.
    const minutes new_offset = offset_at(tz, *change);
    if (new_offset > offset) {
      // Clocks went forward over [change + offset, change + new_offset): a fixed-time expression
      // naming a minute in the gap fires once, at the first minute after it.
      if (!c.is_wildcard() && *wall < wall_of(*change, new_offset)) return sys_seconds{*change};
      repeated_until.reset();
    } else {
      repeated_until = wall_of(*change, offset);
    }
    t = *change;
    offset = new_offset;
  }
  return std::nullopt;
}

}  // namespace zefortd
