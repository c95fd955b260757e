// zefortd's entry point: parses the command line and hands over to the commands.
#include <cstdio>
#include <iostream>
#include <string_view>

#include "app/commands.hpp"
#include "core/log.hpp"

namespace {

int usage_error(const std::string& message) {
  std::cerr << "zefortd: " << message << "\nTry 'zefortd --help'.\n";
  return zefortd::exit_code::usage;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace zefortd;
  command_line cl;
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    auto value = [&](std::string_view flag) -> const char* {
      if (i + 1 >= argc) return nullptr;
      (void)flag;
      return argv[++i];
    };
    if (a == "-h" || a == "--help") {
      std::cout << usage_text();
      return exit_code::ok;
    } else if (a == "--version") {
      std::cout << "zefortd 0.1.0\n";
      return exit_code::ok;
    } else if (a == "-c" || a == "--config") {
      const char* v = value(a);
      if (!v) return usage_error("-c needs a file");
      cl.config_file = v;
    } else if (a.rfind("--config=", 0) == 0) {
      cl.config_file = std::string(a.substr(9));
    } else if (a == "--job") {
      const char* v = value(a);
      if (!v) return usage_error("--job needs a job name");
      cl.jobs.emplace_back(v);
    } else if (a == "--log-level") {
      const char* v = value(a);
      log_level level;
      if (!v || !parse_log_level(v, level))
        return usage_error("--log-level takes debug, info, notice, warning or error");
      set_log_level(level);
    } else if (a == "--json") {
      cl.json = true;
    } else if (a == "--dry-run") {
      cl.dry_run = true;
    } else if (!a.empty() && a[0] == '-') {
      return usage_error("unknown option '" + std::string(a) + "'");
    } else if (cl.command.empty()) {
      cl.command = a;
    } else {
      cl.arguments.emplace_back(a);
    }
  }
  if (cl.command.empty()) return usage_error("no command given");
  return run_command(cl);
}
