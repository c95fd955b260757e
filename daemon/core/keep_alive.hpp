// The idle timeout a server announces in its Keep-Alive header ("timeout=5, max=100"): the pool
// stops reusing a connection before the server drops it.
#pragma once

#include <chrono>
#include <string_view>

namespace zefortd {

// Longer announcements are read as this: an hour of idling is plenty, and the pool compares
// the timeout with steady-clock durations, which would wrap for the largest numbers.
inline constexpr std::chrono::seconds max_keep_alive_timeout{3600};

// The timeout=N parameter of a Keep-Alive header value; zero when there is none or it is not a
// number (the pool then relies on detecting a closed connection before reuse).
std::chrono::seconds keep_alive_timeout(std::string_view header_value);

}  // namespace zefortd
