// The sandbox's command line: what it listens on, how its tasks behave and how it misbehaves.
// Plain data and parsing, no I/O; main.cpp turns a parse error into exit status 2.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace zefort_sandbox {

using duration = std::chrono::microseconds;

enum class list_format { array, pages };

struct options {
  std::string listen_host = "127.0.0.1";
  std::uint16_t listen_port = 0;  // 0: ephemeral, the real one is printed on stdout
  std::string dir = "./sandbox-state";
  std::string api_key = "sandbox-key";
  duration task_min = std::chrono::seconds(1);
  duration task_max = std::chrono::seconds(3);
  unsigned submit_status = 201;
  list_format format = list_format::pages;
  std::size_t page_size = 20;
  unsigned keep_alive_max = 0;  // 0: unlimited
  duration idle_timeout = std::chrono::seconds(30);
  double error_rate = 0;
  bool error_after_processing = false;
  double rate_429 = 0;
  unsigned retry_after = 1;
  double rate_limit = 0;  // requests per second over /api, 0 = none
  double rate_burst = 0;  // 0: a tenth of a second's worth
  double drop_rate = 0;
  duration slow{0};
  std::optional<std::uint64_t> seed;
  bool quiet = false;
  bool help = false;
};

// Throws std::invalid_argument with a message naming the flag and the bad value.
options parse_options(const std::vector<std::string_view>& args);

// "0", "50ms", "2s", "1m", "1h"; throws std::invalid_argument.
duration parse_duration(std::string_view text);

std::string usage();

}  // namespace zefort_sandbox
