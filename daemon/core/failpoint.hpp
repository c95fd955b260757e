// Named crash points for the kill -9 tests: ZEFORTD_FAILPOINT=NAME[:N] makes the process kill
// itself with SIGKILL the Nth time (default 1st) it passes NAME. Off unless the variable is set;
// costs one branch otherwise.
#pragma once

#include <string_view>

namespace zefortd {

// The names used in the code, for the tests and the README.
namespace failpoints {
inline constexpr std::string_view after_intent = "after-intent";  // intent durable, POST not sent
inline constexpr std::string_view after_post =
    "after-post";  // POST answered, task id not journaled
inline constexpr std::string_view after_dismiss = "after-dismiss";  // PATCH answered, not journaled
inline constexpr std::string_view compaction_tmp =
    "compaction-tmp";  // temp file synced, not renamed
inline constexpr std::string_view compaction_rename =
    "compaction-rename";  // renamed, dir not synced
}  // namespace failpoints

void failpoint(std::string_view name);

}  // namespace zefortd
