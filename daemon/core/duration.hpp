// Durations as written in the configuration ("500ms", "30s", "5m", "2h", "1d", "1h30m") and
// back, for messages and `validate` output.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace zefortd {

// The longest duration zefortd reads anywhere: 3650 days (ten years). Every setting has a lower
// maximum of its own; this one keeps any deadline computed from a duration (a clock's now plus
// it, in nanoseconds, which hold about 292 years) far from overflowing.
inline constexpr std::chrono::milliseconds max_duration{std::chrono::days{3650}};

// Parses one or more <digits><unit> groups, units ms, s, m, h, d, each at most once and from the
// largest down ("1h30m", not "30m1h"). "0" alone is also accepted. No sign, no fraction, no
// spaces; a value over max_duration is rejected.
std::optional<std::chrono::milliseconds> parse_duration(std::string_view text);

// True when `text` is written as a duration but is longer than max_duration (however many digits
// it has): the case a message should answer with the maximum rather than with the syntax.
bool duration_too_long(std::string_view text);

// The shortest form that parse_duration reads back to the same value: "1m30s" for 90s,
// "1s500ms" for 1500ms, "0s" for zero. Negative values get a leading '-' (for logs only; the
// result then does not parse).
std::string format_duration(std::chrono::milliseconds value);

}  // namespace zefortd
