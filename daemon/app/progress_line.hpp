// The progress line on a terminal: core/progress drawn at the bottom of stderr with a carriage
// return and an erase-line sequence, log lines scrolling above it (core/log's live_line). Only
// where stderr is a terminal (progress_line::wanted); elsewhere nothing is drawn at all.
#pragma once

#include <string>

#include "core/log.hpp"
#include "core/progress.hpp"

namespace zefortd {

class progress_line final : public live_line {
 public:
  // stderr a terminal that can erase a line (TERM not "dumb"), and not the journal's stream.
  static bool wanted();

  explicit progress_line(std::size_t jobs);
  ~progress_line() override;  // clears the line and stops being the live line
  progress_line(const progress_line&) = delete;
  progress_line& operator=(const progress_line&) = delete;

  void on_event(const event& e);
  // Redraws when due though nothing happened: elapsed time and the estimate move on.
  void tick();
  void clear() override;
  void redraw() override;

 private:
  static steady_ms now();
  void draw(const std::string& text);

  progress progress_;
  std::string drawn_;  // what is on the screen now; empty: nothing
};

}  // namespace zefortd
