// Log lines for the sandbox; see log.hpp.
#include "log.hpp"

#include <chrono>
#include <cstdio>
#include <ctime>
#include <string>

namespace zefort_sandbox {

void log_line(std::string_view message) {
  // Milliseconds in the stamp: tests read these logs to see how requests interleave.
  const auto now = std::chrono::system_clock::now();
  const std::time_t seconds = std::chrono::system_clock::to_time_t(now);
  const auto millis =
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%H:%M:%S", &utc);
  std::string line;
  line.reserve(message.size() + 40);
  line.append(stamp).append(".");
  char ms[8];
  std::snprintf(ms, sizeof ms, "%03d", static_cast<int>(millis));
  line.append(ms).append(" zefort-sandbox: ").append(message).append("\n");
  // One fwrite per line so lines from a busy server never interleave mid-line.
  std::fwrite(line.data(), 1, line.size(), stderr);
}

}  // namespace zefort_sandbox
