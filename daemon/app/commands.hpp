// The commands of the command line (DESIGN.md §3). Each returns the process exit status; the
// statuses (core/exit_code.hpp) are documented in the help text (core/command_help.hpp) and the
// README.
#pragma once

#include <string>

#include "core/command_line.hpp"
#include "core/exit_code.hpp"

namespace zefortd {

int run_command(const command_line&);

}  // namespace zefortd
