// What to do with an HTTP answer: success, retry, retry only after checking whether the server
// acted (a POST that may have created a task), or give up. Plus Retry-After and log messages.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace zefortd {

enum class http_method_kind { get, post, patch };

enum class retry_verdict {
  success,         // 2xx
  retry,           // the request was not acted on, or acting twice is harmless: send it again
  retry_in_doubt,  // a POST the backend may have carried out: look the task up before resending
  permanent,       // resending the same request cannot succeed
};

// GET and PATCH (frontend_status: done) are idempotent here, so any transient failure is a retry.
// A POST creates a task: only answers that say it was refused (408, 429, 503) are plain retries.
retry_verdict classify_status(http_method_kind method, unsigned status);

// The largest wait a Retry-After can impose: a misconfigured server must not stall us for days.
inline constexpr std::chrono::milliseconds max_retry_after{std::chrono::hours(1)};

// Retry-After as delta-seconds or an HTTP-date (IMF-fixdate, RFC 850, asctime), relative to
// `now`; a date in the past gives 0. nullopt for anything else. Capped at max_retry_after.
std::optional<std::chrono::milliseconds> parse_retry_after(
    std::string_view header, std::chrono::system_clock::time_point now);

// A one-line message for logs and errors from the status, its standard reason phrase (the
// transport's, from Beast's table) and the body, e.g. "401 Unauthorized: Invalid API key. (check
// the API key)" or "400 Bad Request: search: This field is required.". Built from the status and
// the response body only, with anything that looks like an Authorization value redacted and
// control characters flattened; at most about 300 characters.
std::string describe_status(unsigned status, std::string_view reason, std::string_view body);

}  // namespace zefortd
