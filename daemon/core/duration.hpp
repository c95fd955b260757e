// Durations as written in the configuration ("500ms", "30s", "5m", "2h", "1d", "1h30m") and
// back, for messages and `validate` output.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace zefortd {

// Parses one or more <digits><unit> groups, units ms, s, m, h, d, each at most once and from the
// largest down ("1h30m", not "30m1h"). "0" alone is also accepted. No sign, no fraction, no
// spaces; a value that does not fit std::chrono::milliseconds is rejected.
std::optional<std::chrono::milliseconds> parse_duration(std::string_view text);

// The shortest form that parse_duration reads back to the same value: "1m30s" for 90s,
// "1s500ms" for 1500ms, "0s" for zero. Negative values get a leading '-' (for logs only; the
// result then does not parse).
std::string format_duration(std::chrono::milliseconds value);

}  // namespace zefortd
