// The "zefortd" error category; see error.hpp.
#include "core/error.hpp"

#include <string>

namespace zefortd {
namespace {

class category final : public boost::system::error_category {
 public:
  const char* name() const noexcept override { return "zefortd"; }

  std::string message(int value) const override {
    switch (static_cast<errc>(value)) {
      case errc::bad_response:
        return "the server's answer is not what the API promises";
      case errc::not_a_task:
        return "the answer is not a task (not an object, or no id)";
      case errc::bad_backend_status:
        return "protocol error: a task's backend_status is not a string";
      case errc::auth_failed:
        return "the API key was refused";
      case errc::not_found:
        return "not found on the server";
      case errc::rejected:
        return "the server rejected the request";
      case errc::server_error:
        return "the server failed";
      case errc::timeout:
        return "the request timed out";
      case errc::body_too_large:
        return "the response body is too large";
      case errc::foreign_host:
        return "a link points to a host other than the configured API";
      case errc::no_api_key:
        return "no API key found";
      case errc::api_key_unreadable:
        return "the API key file cannot be read";
      case errc::bad_api_key:
        return "the API key is empty or malformed";
    }
    return "unknown zefortd error " + std::to_string(value);
  }
};

}  // namespace

const boost::system::error_category& zefortd_category() noexcept {
  static const category instance;
  return instance;
}

}  // namespace zefortd
