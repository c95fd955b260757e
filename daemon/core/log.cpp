// Logging to stderr; see log.hpp.
#include "core/log.hpp"

#include <cstdio>
#include <cstdlib>
#include <ctime>

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

bool under_journald() {
  static const bool yes = std::getenv("JOURNAL_STREAM") != nullptr;
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

void log_line(log_level level, std::string_view message) {
  std::string line;
  if (under_journald()) {
    line = "<" + std::to_string(static_cast<int>(level)) + ">";
  } else {
    char stamp[32];
    std::time_t t = std::time(nullptr);
    std::tm tm{};
    gmtime_r(&t, &tm);
    std::strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ ", &tm);
    line = stamp;
    line += level_name(level);
    line += ": ";
  }
  line.append(message);
  line += '\n';
  // One write per line so lines from a crash are never interleaved halfway.
  std::fwrite(line.data(), 1, line.size(), stderr);
  std::fflush(stderr);
}

}  // namespace zefortd
