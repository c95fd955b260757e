// The commands of the command line (DESIGN.md §3). Each returns the process exit status; the
// statuses are documented in usage_text() and the README.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace zefortd {

namespace exit_code {
inline constexpr int ok = 0;
inline constexpr int task_failed = 1;    // a task finished with a backend failure
inline constexpr int usage = 2;          // bad command line, invalid configuration, no API key
inline constexpr int refused = 3;        // the API refused a request (4xx, TLS), task lost
inline constexpr int gave_up = 4;        // a task still pending after polling.give_up_after
inline constexpr int journal = 5;        // journal corrupt, locked by another process, I/O error
inline constexpr int internal = 70;      // a bug
inline constexpr int interrupted = 130;  // SIGINT/SIGTERM: run again to resume
}  // namespace exit_code

struct command_line {
  std::string command;                 // validate, run, serve, status, journal
  std::vector<std::string> arguments;  // e.g. check|repair for journal
  std::filesystem::path config_file;   // -c; empty = default
  std::vector<std::string> jobs;       // run --job
  bool json = false;                   // status --json
  bool dry_run = false;                // run --dry-run
};

std::string usage_text();
int run_command(const command_line&);

}  // namespace zefortd
