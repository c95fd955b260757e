// One reading of the two clocks the core needs. Elapsed time inside a process (backoff, give-up,
// rate limits, timers) is measured on the steady clock, which NTP steps and suspend do not move;
// the wall clock only stamps records and what people read.
#pragma once

#include <cstdint>

#include "core/journal_records.hpp"

namespace zefortd {

// Milliseconds on a monotonic clock: meaningful only within one process.
using steady_ms = std::int64_t;

inline constexpr steady_ms steady_never = INT64_MAX;

struct instant {
  steady_ms steady = 0;
  unix_ms wall = 0;
};

}  // namespace zefortd
