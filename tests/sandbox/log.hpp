// Log lines for the sandbox: stderr only, because stdout carries the one "listening on" line
// that test harnesses wait for.
#pragma once

#include <sstream>
#include <string_view>

namespace zefort_sandbox {

void log_line(std::string_view message);

template <class... Args>
void log(const Args&... args) {
  std::ostringstream out;
  (out << ... << args);
  log_line(out.str());
}

}  // namespace zefort_sandbox
