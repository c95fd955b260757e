// Logging to stderr, one line per event, with a level. Under systemd (JOURNAL_STREAM set) lines
// carry sd-daemon "<N>" priority prefixes instead of a timestamp.
#pragma once

#include <sstream>
#include <string>
#include <string_view>

namespace zefortd {

enum class log_level { debug = 7, info = 6, notice = 5, warning = 4, error = 3 };

void set_log_level(log_level);
log_level current_log_level();
bool parse_log_level(std::string_view text, log_level& out);
void log_line(log_level level, std::string_view message);

template <class... Args>
void log(log_level level, const Args&... args) {
  if (static_cast<int>(level) > static_cast<int>(current_log_level())) return;
  std::ostringstream out;
  (out << ... << args);
  log_line(level, out.str());
}

template <class... Args>
void log_debug(const Args&... a) {
  log(log_level::debug, a...);
}
template <class... Args>
void log_info(const Args&... a) {
  log(log_level::info, a...);
}
template <class... Args>
void log_notice(const Args&... a) {
  log(log_level::notice, a...);
}
template <class... Args>
void log_warning(const Args&... a) {
  log(log_level::warning, a...);
}
template <class... Args>
void log_error(const Args&... a) {
  log(log_level::error, a...);
}

}  // namespace zefortd
