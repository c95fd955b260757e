// Relative dates in job payloads (DESIGN.md §2): "{{ today }}", "{{ today + 30d }}", "{{ now }}",
// checked when the configuration loads and resolved when a run starts.
#pragma once

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "core/config.hpp"

namespace zefortd {

// The templates, anywhere in a string value and any number per string, spaces inside the braces
// optional:
//   {{ today }}, {{ today + 30d }}, {{ today - 2w }}   YYYY-MM-DD, in the job's time zone
//   {{ now }}, {{ now + 2h }}, {{ now - 90s }}        YYYY-MM-DDTHH:MM:SSZ, always UTC
// today takes offsets in days (d) or weeks (w); now in seconds (s), minutes (m), hours (h) or days
// (d); one offset, at most 100 years. Every "{{" in a string value opens a template (there is no
// escape; no Zefort field needs one). Object keys are never templated.

// An error message for the first unknown or malformed template in `payload`, naming where it is
// ("payload.attributes.end_date: unknown template '{{ tomorow }}'; did you mean 'today'?"),
// or std::nullopt when every template is well formed.
std::optional<std::string> check_templates(const boost::json::value& payload);

// `payload` with every template in every string value replaced. `now` is the run's start; "today"
// is its date in UTC or in the process's local time zone (TZ) per `tz`. A malformed template is
// left as written: callers load configurations through check_templates first.
boost::json::object resolve_templates(const boost::json::object& payload,
                                      std::chrono::system_clock::time_point now, job_timezone tz);

// One string, as resolve_templates does it for each value.
std::string resolve_template_string(std::string_view text,
                                    std::chrono::system_clock::time_point now, job_timezone tz);

}  // namespace zefortd
