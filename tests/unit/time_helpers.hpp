// Test helpers for time: RFC 3339 UTC strings to time points, and TZ set for one scope.
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>

#include <chrono>
#include <ctime>
#include <optional>
#include <string>

namespace zefortd::testing_time {

// "2025-03-30T01:00:00Z" as a time point.
inline std::chrono::sys_seconds at(const std::string& rfc3339) {
  std::tm tm{};
  EXPECT_NE(strptime(rfc3339.c_str(), "%Y-%m-%dT%H:%M:%SZ", &tm), nullptr) << rfc3339;
  return std::chrono::sys_seconds{std::chrono::seconds{timegm(&tm)}};
}

// Sets TZ (and tzset) for one scope and puts the old value back.
class scoped_tz {
 public:
  explicit scoped_tz(const char* zone) {
    if (const char* old = std::getenv("TZ")) old_ = old;
    setenv("TZ", zone, 1);
    tzset();
  }
  ~scoped_tz() {
    if (old_)
      setenv("TZ", old_->c_str(), 1);
    else
      unsetenv("TZ");
    tzset();
  }
  scoped_tz(const scoped_tz&) = delete;
  scoped_tz& operator=(const scoped_tz&) = delete;

 private:
  std::optional<std::string> old_;
};

}  // namespace zefortd::testing_time
