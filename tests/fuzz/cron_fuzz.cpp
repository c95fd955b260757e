// libFuzzer target: the cron parser on arbitrary schedule strings, and for each expression it
// accepts, the next fire time: strictly later, on a whole minute, and one the expression names.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "core/cron.hpp"

namespace {

void check(bool ok) {
  if (!ok) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace std::chrono;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto parsed = zefortd::parse_cron(text);
  if (!parsed) {
    check(!parsed.error().message.empty());
    check(parsed.error().offset <= text.size());
    return 0;
  }
  const auto& expr = *parsed;
  check(expr.can_fire());
  const auto after = system_clock::time_point(seconds(1'700'000'017));
  const auto next = zefortd::next_cron_fire(expr, after, zefortd::job_timezone::utc);
  if (!next) return 0;
  check(*next > after);
  check(next->time_since_epoch() % minutes(1) == seconds(0));
  check(expr.matches(local_time<minutes>(duration_cast<minutes>(next->time_since_epoch()))));
  return 0;
}
