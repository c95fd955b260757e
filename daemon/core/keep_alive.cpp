// See keep_alive.hpp.
#include "core/keep_alive.hpp"

#include <boost/algorithm/string/predicate.hpp>
#include <boost/algorithm/string/trim.hpp>
#include <charconv>
#include <cstdint>

namespace zefortd {
namespace {

bool http_space(char c) {
  return c == ' ' || c == '\t';
}

std::string_view trimmed(std::string_view s) {
  return boost::algorithm::trim_copy_if(s, http_space);
}

}  // namespace

// keep-alive-info = "timeout" "=" delta-seconds / "max" "=" 1*DIGIT, comma-separated
// (draft-thomson-hybi-http-timeout); names are case-insensitive, spaces tolerated.
std::chrono::seconds keep_alive_timeout(std::string_view v) {
  while (!v.empty()) {
    const auto comma = v.find(',');
    const auto element = v.substr(0, comma);
    v = comma == std::string_view::npos ? std::string_view() : v.substr(comma + 1);
    const auto eq = element.find('=');
    if (eq == std::string_view::npos) continue;
    if (!boost::algorithm::iequals(trimmed(element.substr(0, eq)), "timeout")) continue;
    const auto digits = trimmed(element.substr(eq + 1));
    // from_chars takes a sign for signed types only, and no '+' at all: digits only.
    std::uint64_t n = 0;
    const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), n);
    if (digits.empty() || end != digits.data() + digits.size()) return std::chrono::seconds(0);
    if (ec == std::errc::result_out_of_range ||
        n > static_cast<std::uint64_t>(max_keep_alive_timeout.count()))
      return max_keep_alive_timeout;
    if (ec != std::errc()) return std::chrono::seconds(0);
    return std::chrono::seconds(static_cast<std::chrono::seconds::rep>(n));
  }
  return std::chrono::seconds(0);
}

}  // namespace zefortd
