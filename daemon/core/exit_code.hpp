// The process exit statuses of every command, in one place: the commands return them, and the
// help text and the README document them from these names.
#pragma once

namespace zefortd::exit_code {

inline constexpr int ok = 0;
inline constexpr int task_failed = 1;    // a task finished with a backend failure
inline constexpr int usage = 2;          // bad command line, invalid configuration, no API key
inline constexpr int refused = 3;        // the API refused a request (4xx, TLS), task lost
inline constexpr int gave_up = 4;        // a task still pending after polling.give_up_after
inline constexpr int journal = 5;        // journal corrupt, locked by another process, I/O error
inline constexpr int internal = 70;      // a bug
inline constexpr int interrupted = 130;  // SIGINT/SIGTERM (SIGHUP for run): run again to resume

}  // namespace zefortd::exit_code
