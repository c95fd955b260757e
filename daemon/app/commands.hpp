// The commands of the command line (DESIGN.md §3). Each returns the process exit status; the
// statuses are documented in usage_text() and the README.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "core/exit_code.hpp"

namespace zefortd {

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
