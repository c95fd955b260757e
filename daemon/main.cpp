// zefortd's entry point: parses the command line and hands over to the commands.
#include <csignal>
#include <iostream>
#include <string_view>
#include <vector>

#include "app/commands.hpp"
#include "core/command_help.hpp"
#include "core/command_line.hpp"
#include "core/core_dumps.hpp"
#include "core/log.hpp"

int main(int argc, char** argv) {
  using namespace zefortd;
  // Before the key is read: a crash must not write it to a core file. A failure changes nothing
  // here; the units' LimitCORE=0 still applies.
  (void)disable_core_dumps();
  // `zefortd run 2>&1 | head -1` must not kill a batch mid-flight: a closed pipe is EPIPE.
  std::signal(SIGPIPE, SIG_IGN);
  const std::vector<std::string_view> args(argv + 1, argv + argc);
  const parsed_command_line parsed = parse_command_line(args);
  switch (parsed.action) {
    case parsed_command_line::what::help:
      std::cout << help_text(parsed.topic);
      return exit_code::ok;
    case parsed_command_line::what::version:
      std::cout << "zefortd " << ZEFORTD_VERSION << "\n";
      return exit_code::ok;
    case parsed_command_line::what::error:
      std::cerr << "zefortd: " << parsed.message << "\n";
      return exit_code::usage;
    case parsed_command_line::what::execute:
      break;
  }
  const command_line& cl = parsed.line;
  // --quiet keeps warnings and errors; an explicit --log-level says exactly what is wanted.
  if (cl.level) {
    set_log_level(*cl.level);
  } else if (cl.quiet) {
    set_log_level(log_level::warning);
  }
  return run_command(cl);
}
