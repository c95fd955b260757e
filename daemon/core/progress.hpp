// The live progress line of `zefortd run` on a terminal: counts fed by the engine's events, the
// text of the line with an estimate of the time left, and when it may be redrawn (at most 4 times
// a second). No I/O and no clock: the terminal edge (app/progress_line) passes the time in.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_set>

#include "core/events.hpp"

namespace zefortd {

inline constexpr steady_ms progress_redraw_every = 250;

class progress {
 public:
  // `jobs`: the runs the batch will end with (resumed ones included); `start`: steady ms.
  progress(std::size_t jobs, steady_ms start);

  // Updates the counts; true when the line's text changed.
  bool on_event(const event& e);
  // Whether a changed line may be drawn at `now`: at most once per progress_redraw_every.
  bool due(steady_ms now) const;
  // The line as drawn at `now` (marks it drawn): "1m00s, ~1m00s left | 3/4 submitted, ...".
  std::string line(steady_ms now);
  // The same text without marking it drawn.
  std::string peek(steady_ms now) const;

  std::size_t ended() const { return ended_; }

 private:
  std::size_t jobs_;
  steady_ms start_;
  steady_ms last_drawn_ = INT64_MIN / 2;
  std::unordered_set<std::string> submitted_runs_;
  std::size_t ended_ = 0, done_ = 0, failed_ = 0, dismissed_ = 0;
  std::uint64_t requests_ = 0, retries_ = 0;
};

// "1h02m", "4m05s", "12s": a short clock for elapsed and remaining times.
std::string short_duration(steady_ms ms);

}  // namespace zefortd
