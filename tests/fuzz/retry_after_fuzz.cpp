// libFuzzer target: Retry-After header values (delta-seconds or an HTTP date) from a server.
// Whatever the header says, the wait is between 0 and max_retry_after.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "core/retry.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view header(reinterpret_cast<const char*>(data), size);
  for (const auto now : {std::chrono::system_clock::time_point(std::chrono::seconds(1'700'000'000)),
                         std::chrono::system_clock::time_point{}}) {
    const auto wait = zefortd::parse_retry_after(header, now);
    if (wait && (wait->count() < 0 || *wait > zefortd::max_retry_after)) std::abort();
  }
  // The status line built from an error body the server chose.
  (void)zefortd::describe_status(503, "Service Unavailable", header);
  return 0;
}
