// Logging to stderr, one line per event, with a level. When stderr is the journal's stream
// ($JOURNAL_STREAM names its device and inode) lines carry sd-daemon "<N>" priority prefixes
// instead of a timestamp.
#pragma once

#include <ctime>
#include <sstream>
#include <string>
#include <string_view>

namespace zefortd {

enum class log_level { debug = 7, info = 6, notice = 5, warning = 4, error = 3 };

void set_log_level(log_level);
log_level current_log_level();
bool parse_log_level(std::string_view text, log_level& out);
void log_line(log_level level, std::string_view message);

// A line kept at the bottom of stderr (the progress line on a terminal): cleared before each log
// line and drawn again after it, so log lines scroll above it. Null: none.
struct live_line {
  virtual ~live_line() = default;
  virtual void clear() = 0;
  virtual void redraw() = 0;
};
void set_live_line(live_line*);

// Whether `fd` is the stream that `journal_stream` names. systemd sets $JOURNAL_STREAM to
// "DEVICE:INODE" (decimal) of a service's stdout/stderr when they go to the journal; a process
// that inherited the variable but writes to a file, a pipe or a terminal must not be taken for
// the journal, so the numbers are compared with fstat(fd). Null or malformed: false.
bool is_journal_stream(const char* journal_stream, int fd);

// One line as written: "<N>message\n" for the journal, else "2026-11-29T12:47:09Z level:
// message\n" with `now` in UTC.
std::string format_log_line(log_level level, std::string_view message, bool journal,
                            std::time_t now);

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
