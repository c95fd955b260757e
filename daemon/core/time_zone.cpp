// UTC offsets from the C library and RFC 3339 formatting; see time_zone.hpp.
#include "core/time_zone.hpp"

#include <cstdio>
#include <ctime>

namespace zefortd {
namespace {

using namespace std::chrono;

std::string format_wall(local_time<seconds> wall) {
  const local_days day = floor<days>(wall);
  const year_month_day ymd{day};
  const hh_mm_ss<seconds> tod{wall - day};
  char out[64];
  std::snprintf(out, sizeof out, "%04d-%02u-%02uT%02ld:%02ld:%02ld", int(ymd.year()),
                unsigned(ymd.month()), unsigned(ymd.day()), long(tod.hours().count()),
                long(tod.minutes().count()), long(tod.seconds().count()));
  return out;
}

}  // namespace

minutes utc_offset(job_timezone tz, sys_seconds at) {
  if (tz == job_timezone::utc) return minutes{0};
  const std::time_t t = at.time_since_epoch().count();
  std::tm local{};
  if (localtime_r(&t, &local) == nullptr) return minutes{0};  // out of time_t's range: no zone
  return floor<minutes>(seconds{local.tm_gmtoff});
}

std::string format_utc(sys_seconds at) {
  return format_wall(local_time<seconds>{at.time_since_epoch()}) + "Z";
}

std::string format_in_zone(sys_seconds at, job_timezone tz) {
  if (tz == job_timezone::utc) return format_utc(at);
  const minutes offset = utc_offset(tz, at);
  const long total = offset.count();
  const long magnitude = total < 0 ? -total : total;
  char suffix[32];
  std::snprintf(suffix, sizeof suffix, "%c%02ld:%02ld", total < 0 ? '-' : '+', magnitude / 60,
                magnitude % 60);
  return format_wall(local_time<seconds>{at.time_since_epoch() + offset}) + suffix;
}

}  // namespace zefortd
