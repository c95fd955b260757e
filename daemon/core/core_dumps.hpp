// Keeping the API key out of core dumps: a crash must not write process memory, which holds the
// key, to a file that the systemd-coredump service or a bug reporter keeps and shares.
#pragma once

#include <system_error>

namespace zefortd {

// Marks the process not dumpable (prctl PR_SET_DUMPABLE 0, which also refuses ptrace attach by
// other users' processes) and sets RLIMIT_CORE to 0. Called first thing in main. Returns the
// first failure; the caller carries on regardless, with the unit's LimitCORE=0 as a fallback.
std::error_code disable_core_dumps();

}  // namespace zefortd
