// The log as a subscriber of the engine's events: every log line about the work is built here,
// in one place, and nowhere else.
#pragma once

#include "core/events.hpp"

namespace zefortd {

void log_event(const event&);

}  // namespace zefortd
