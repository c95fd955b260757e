// Logging to stderr; see log.hpp.
#include "core/log.hpp"

#include <sys/stat.h>

#include <charconv>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "core/time_zone.hpp"

namespace zefortd {
namespace {

log_level g_level = log_level::info;

const char* level_name(log_level l) {
  switch (l) {
    case log_level::debug:
      return "debug";
    case log_level::info:
      return "info";
    case log_level::notice:
      return "notice";
    case log_level::warning:
      return "warning";
    case log_level::error:
      return "error";
  }
  return "?";
}

// Decided once: stderr is not redirected while zefortd runs.
bool under_journald() {
  static const bool yes = is_journal_stream(std::getenv("JOURNAL_STREAM"), fileno(stderr));
  return yes;
}

}  // namespace

void set_log_level(log_level l) {
  g_level = l;
}
log_level current_log_level() {
  return g_level;
}

bool parse_log_level(std::string_view text, log_level& out) {
  for (auto l : {log_level::debug, log_level::info, log_level::notice, log_level::warning,
                 log_level::error}) {
    if (text == level_name(l)) {
      out = l;
      return true;
    }
  }
  return false;
}

bool is_journal_stream(const char* journal_stream, int fd) {
  if (!journal_stream) return false;
  const std::string_view text = journal_stream;
  const auto colon = text.find(':');
  if (colon == std::string_view::npos) return false;
  std::uintmax_t device = 0, inode = 0;
  const char* const first = text.data();
  const char* const middle = first + colon;
  const char* const last = first + text.size();
  const auto d = std::from_chars(first, middle, device);
  const auto i = std::from_chars(middle + 1, last, inode);
  if (d.ec != std::errc{} || d.ptr != middle || i.ec != std::errc{} || i.ptr != last) return false;
  struct stat st {};
  if (fstat(fd, &st) != 0) return false;
  return static_cast<std::uintmax_t>(st.st_dev) == device &&
         static_cast<std::uintmax_t>(st.st_ino) == inode;
}

std::string format_log_line(log_level level, std::string_view message, bool journal,
                            std::time_t now) {
  std::string line;
  if (journal) {
    line = "<" + std::to_string(static_cast<int>(level)) + ">";
  } else {
    line = format_utc(std::chrono::sys_seconds(std::chrono::seconds(now)));
    line += ' ';
    line += level_name(level);
    line += ": ";
  }
  line.append(message);
  line += '\n';
  return line;
}

namespace {
live_line* the_live_line = nullptr;
}  // namespace

void set_live_line(live_line* l) {
  the_live_line = l;
}

void log_line(log_level level, std::string_view message) {
  const std::string line = format_log_line(level, message, under_journald(), std::time(nullptr));
  if (the_live_line) the_live_line->clear();
  // One write per line so lines from a crash are never interleaved halfway.
  std::fwrite(line.data(), 1, line.size(), stderr);
  std::fflush(stderr);
  if (the_live_line) the_live_line->redraw();
}

}  // namespace zefortd
