// A job's time zone (UTC or the C library's local time) and the few conversions schedules and
// `validate` need: the UTC offset in force at an instant, and RFC 3339 timestamps.
#pragma once

#include <chrono>
#include <string>

namespace zefortd {

enum class job_timezone { utc, local };

using sys_minutes = std::chrono::sys_time<std::chrono::minutes>;
using sys_seconds = std::chrono::sys_seconds;

// The offset from UTC in force at `at`: 0 for utc; for local, the C library's (TZ, else
// /etc/localtime, on the system's tzdata), since libstdc++ 12 has no std::chrono::current_zone.
// Offsets are whole minutes since 1970 in every zone of tzdata; seconds are dropped.
std::chrono::minutes utc_offset(job_timezone tz, sys_seconds at);

// "2025-03-30T01:00:00Z".
std::string format_utc(sys_seconds at);

// `at` as wall-clock time in the zone with its offset, "2025-03-30T04:00:00+03:00"; "…Z" for utc.
std::string format_in_zone(sys_seconds at, job_timezone tz);

}  // namespace zefortd
