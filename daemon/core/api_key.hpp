// Where the API key comes from (DESIGN §2 "The API key") and the one place it is turned into an
// Authorization header. The key lives in a `secret`, which cannot be printed by accident.
#pragma once

#include <boost/assert/source_location.hpp>
#include <boost/system/result.hpp>
#include <cstdlib>
#include <functional>
#include <iosfwd>
#include <string>
#include <string_view>
#include <vector>

#include "core/config.hpp"
#include "core/error.hpp"

namespace zefortd {

// Holds key material. No operator<< and no conversion to a string type, so it cannot reach a log
// line or an error message without a visible reveal(); the bytes are wiped when it dies.
class secret {
 public:
  secret() = default;
  explicit secret(std::string_view value);
  secret(const secret& other);
  secret(secret&& other) noexcept;
  secret& operator=(const secret& other);
  secret& operator=(secret&& other) noexcept;
  ~secret();

  std::string_view reveal() const { return {bytes_.data(), bytes_.size()}; }
  bool empty() const { return bytes_.empty(); }

  friend std::ostream& operator<<(std::ostream&, const secret&) = delete;

 private:
  void wipe() noexcept;
  // A vector, not a std::string: moving it hands over the buffer, where a short string would
  // leave a copy of its characters behind in the moved-from object.
  std::vector<char> bytes_;
};

// The environment, injectable for tests.
struct key_lookup_env {
  std::function<const char*(const char*)> getenv = ::getenv;
};

// Why no key could be had. message() names the place (file and strerror, or variable) and what
// to do about it, and never contains key material. Converts to error_code, so a caller may keep
// it in a plain boost::system::result<secret> at the cost of the detail.
class key_error {
 public:
  key_error() = default;
  key_error(errc code, std::string message) : code_(code), message_(std::move(message)) {}

  boost::system::error_code code() const { return make_error_code(code_); }
  // By value: result::error() returns a copy, so a reference would dangle in
  // `const auto& m = r.error().message();`.
  std::string message() const { return message_; }
  operator boost::system::error_code() const { return code(); }

 private:
  errc code_ = errc::no_api_key;
  std::string message_;
};

// What result<secret, key_error>::value() throws on error: a std::runtime_error with message().
[[noreturn]] void throw_exception_from_error(const key_error& e, const boost::source_location&);

using key_result = boost::system::result<secret, key_error>;

// The key from, first found: api.api_key_file (which must then be readable: an explicit setting
// never falls through); $CREDENTIALS_DIRECTORY/api-key (systemd LoadCredential=); $ZEFORT_APIKEY.
// A leading UTF-8 byte order mark, surrounding whitespace and the trailing newline are trimmed. A
// key file readable by group or others adds a warning to `warnings`.
key_result find_api_key(const api_config& api, const key_lookup_env& env,
                        std::vector<std::string>& warnings);

// "Basic " + base64(key + ":"): the key is the user name, the password is empty.
std::string basic_auth_header(const secret& key);

}  // namespace zefortd
