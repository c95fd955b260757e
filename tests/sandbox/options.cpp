// The sandbox's command line; see options.hpp.
#include "options.hpp"

#include <charconv>
#include <stdexcept>

namespace zefort_sandbox {
namespace {

std::invalid_argument bad(std::string_view flag, std::string_view value, std::string_view why) {
  std::string message(flag);
  if (!value.empty()) message.append(" ").append(value);
  message.append(": ").append(why).append("; see --help");
  return std::invalid_argument(message);
}

template <class T>
T parse_unsigned(std::string_view flag, std::string_view text, T max) {
  std::uint64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty() || value > max)
    throw bad(flag, text, "expected a whole number up to " + std::to_string(max));
  return static_cast<T>(value);
}

double parse_fraction(std::string_view flag, std::string_view text) {
  // std::from_chars for double is in libstdc++ 11+, and unlike strtod ignores the locale.
  double value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || !(value >= 0 && value <= 1))
    throw bad(flag, text, "expected a fraction between 0 and 1, such as 0.05");
  return value;
}

duration parse_flag_duration(std::string_view flag, std::string_view text) {
  try {
    return parse_duration(text);
  } catch (const std::invalid_argument& e) {
    throw bad(flag, text, e.what());
  }
}

void parse_listen(std::string_view text, options& out) {
  // HOST:PORT, with an IPv6 host in brackets: [::1]:8443.
  const auto colon = text.rfind(':');
  if (colon == std::string_view::npos || colon == 0)
    throw bad("--listen", text, "expected HOST:PORT, such as 127.0.0.1:0 or [::1]:8443");
  std::string_view host = text.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  out.listen_host = std::string(host);
  out.listen_port = parse_unsigned<std::uint16_t>("--listen", text.substr(colon + 1), 65535);
}

}  // namespace

duration parse_duration(std::string_view text) {
  std::uint64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end == text.data())
    throw std::invalid_argument("expected a duration such as 0ms, 50ms, 2s, 1m or 1h");
  const std::string_view unit(end, text.data() + text.size() - end);
  using namespace std::chrono;
  if (unit == "ms") return duration_cast<duration>(milliseconds(value));
  if (unit == "s") return duration_cast<duration>(seconds(value));
  if (unit == "m") return duration_cast<duration>(minutes(value));
  if (unit == "h") return duration_cast<duration>(hours(value));
  if (unit.empty() && value == 0) return duration(0);
  throw std::invalid_argument("expected a duration such as 0ms, 50ms, 2s, 1m or 1h");
}

options parse_options(const std::vector<std::string_view>& args) {
  options out;
  for (std::size_t i = 0; i < args.size(); ++i) {
    std::string_view flag = args[i];
    std::string_view value;
    bool has_value = false;
    // Both "--flag value" and "--flag=value", as test harnesses write either.
    if (const auto eq = flag.find('='); flag.starts_with("--") && eq != std::string_view::npos) {
      value = flag.substr(eq + 1);
      flag = flag.substr(0, eq);
      has_value = true;
    }
    auto take = [&]() -> std::string_view {
      if (has_value) return value;
      if (i + 1 >= args.size()) throw bad(flag, "", "missing value");
      return args[++i];
    };
    auto no_value = [&] {
      if (has_value) throw bad(flag, value, "takes no value");
    };

    if (flag == "--help" || flag == "-h") {
      no_value();
      out.help = true;
    } else if (flag == "--quiet") {
      no_value();
      out.quiet = true;
    } else if (flag == "--error-after-processing") {
      no_value();
      out.error_after_processing = true;
    } else if (flag == "--listen") {
      parse_listen(take(), out);
    } else if (flag == "--dir") {
      out.dir = std::string(take());
      if (out.dir.empty()) throw bad(flag, "", "expected a directory");
    } else if (flag == "--api-key") {
      out.api_key = std::string(take());
      if (out.api_key.empty() || out.api_key.find(':') != std::string::npos)
        throw bad(flag, out.api_key, "a key is non-empty and has no ':' (it is a Basic user name)");
    } else if (flag == "--task-duration") {
      const std::string_view text = take();
      const auto colon = text.find(':');
      out.task_min = parse_flag_duration(flag, text.substr(0, colon));
      out.task_max = colon == std::string_view::npos
                         ? out.task_min
                         : parse_flag_duration(flag, text.substr(colon + 1));
      if (out.task_max < out.task_min) throw bad(flag, text, "MAX is shorter than MIN");
    } else if (flag == "--submit-status") {
      const std::string_view text = take();
      out.submit_status = parse_unsigned<unsigned>(flag, text, 999);
      if (out.submit_status != 200 && out.submit_status != 201 && out.submit_status != 202)
        throw bad(flag, text, "expected 200, 201 or 202");
    } else if (flag == "--list-format") {
      const std::string_view text = take();
      if (text == "array")
        out.format = list_format::array;
      else if (text == "pages")
        out.format = list_format::pages;
      else
        throw bad(flag, text, "expected array or pages");
    } else if (flag == "--page-size") {
      const std::string_view text = take();
      out.page_size = parse_unsigned<std::size_t>(flag, text, 100000);
      if (out.page_size == 0) throw bad(flag, text, "a page holds at least one task");
    } else if (flag == "--keep-alive-max") {
      out.keep_alive_max = parse_unsigned<unsigned>(flag, take(), 1000000000);
    } else if (flag == "--idle-timeout") {
      const std::string_view text = take();
      out.idle_timeout = parse_flag_duration(flag, text);
      if (out.idle_timeout.count() == 0) throw bad(flag, text, "expected more than 0");
    } else if (flag == "--error-rate") {
      out.error_rate = parse_fraction(flag, take());
    } else if (flag == "--rate-429") {
      out.rate_429 = parse_fraction(flag, take());
    } else if (flag == "--retry-after") {
      out.retry_after = parse_unsigned<unsigned>(flag, take(), 86400);
    } else if (flag == "--rate-limit") {
      out.rate_limit = parse_unsigned<unsigned>(flag, take(), 1000000);
    } else if (flag == "--rate-burst") {
      out.rate_burst = parse_unsigned<unsigned>(flag, take(), 1000000);
    } else if (flag == "--drop-rate") {
      out.drop_rate = parse_fraction(flag, take());
    } else if (flag == "--slow") {
      out.slow = parse_flag_duration(flag, take());
    } else if (flag == "--seed") {
      out.seed = parse_unsigned<std::uint64_t>(flag, take(), UINT64_MAX);
    } else {
      throw bad(flag, "", "unknown option");
    }
  }
  // One draw per request picks at most one fault, so the rates share the unit interval.
  if (out.error_rate + out.rate_429 + out.drop_rate > 1.0 + 1e-9)
    throw bad("--error-rate + --rate-429 + --drop-rate", "", "the sum exceeds 1");
  return out;
}

std::string usage() {
  return R"(usage: zefort-sandbox [OPTION]...
An HTTPS stand-in for the Zefort bulk-operations API, for tests and demos.
Prints "listening on https://HOST:PORT" on stdout once ready; logs go to stderr.

  --listen HOST:PORT        address to listen on (default 127.0.0.1:0, 0 = ephemeral port)
  --dir DIR                 where ca.pem is written (default ./sandbox-state)
  --api-key KEY             accepted API key, the Basic auth user name (default sandbox-key)
  --task-duration MIN[:MAX] time a task stays pending, uniform in [MIN,MAX] (default 1s:3s)
  --submit-status CODE      200, 201 or 202 for a successful submission (default 201)
  --list-format array|pages shape of GET /api/tasks/ (default pages)
  --page-size N             tasks per page (default 20)
  --keep-alive-max N        requests per connection before Connection: close (0 = unlimited)
  --idle-timeout D          close an idle keep-alive connection silently after D (default 30s)
  --error-rate P            fraction of /api requests answered 503 or 500
  --error-after-processing  a POST answered 500 still creates its task (in-doubt submission)
  --rate-429 P              fraction of /api requests answered 429 with Retry-After
  --retry-after SECONDS     Retry-After on a 429 (default 1)
  --rate-limit N            at most N /api requests a second (token bucket); beyond, 429
                            with the Retry-After after which one would pass (default 0: none)
  --rate-burst N            the bucket's size (default N/10 of --rate-limit, at least 1)
  --drop-rate P             fraction of /api requests whose connection is closed unanswered
  --slow D                  delay every /api answer by D
  --seed N                  random seed (default: random, logged at start)
  --quiet                   no per-request log lines
  --help                    this text

Durations: 0, 50ms, 2s, 1m, 1h. Counters: GET /_sandbox/stats (same Basic auth).
)";
}

}  // namespace zefort_sandbox
