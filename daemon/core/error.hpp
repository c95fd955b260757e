// The project's error codes: failures that happen in normal operation (server answers, bad
// responses, a missing API key) travel as boost::system::error_code values with this category.
#pragma once

#include <boost/system/error_code.hpp>
#include <type_traits>

namespace zefortd {

enum class errc {
  bad_response = 1,    // the server answered something that is not what the API promises
  not_a_task,          // a JSON value that should be a task is not one (no id, not an object)
  bad_backend_status,  // a task whose backend_status is neither a string nor null
  auth_failed,         // 401/403: the API key was refused
  not_found,           // 404: unknown task or wrong base URL / endpoint
  rejected,            // another 4xx: the request is wrong and resending it will not help
  server_error,        // 5xx after retries
  timeout,             // no complete answer in time
  body_too_large,      // the response body exceeded our limit
  foreign_host,        // a `next` link or redirect points away from the configured API host
  no_api_key,          // none of the three places holds a key
  api_key_unreadable,  // a key file exists (or was configured) but cannot be read
  bad_api_key,         // a key was found but is empty or malformed
};

const boost::system::error_category& zefortd_category() noexcept;

inline boost::system::error_code make_error_code(errc e) noexcept {
  return {static_cast<int>(e), zefortd_category()};
}

}  // namespace zefortd

template <>
struct boost::system::is_error_code_enum<zefortd::errc> : std::true_type {};
