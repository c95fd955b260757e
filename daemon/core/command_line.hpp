// The command line as data: which commands there are, which options each takes, and a pure
// parser from argv to either a command_line or a one-line error (DESIGN.md §3).
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/log.hpp"

namespace zefortd {

// One bit per command, so that an option can say which commands it belongs to.
enum class command_id : std::uint8_t { serve, run, validate, status, journal };
using command_set = std::uint8_t;
constexpr command_set bit(command_id c) {
  return static_cast<command_set>(1u << static_cast<unsigned>(c));
}
inline constexpr command_set all_commands = 0x1f;

struct command_spec {
  command_id id;
  std::string_view name;
  std::string_view synopsis;  // after "zefortd ", e.g. "run [--job NAME]... [--dry-run]"
  std::string_view summary;   // one line for the general help
};

struct option_spec {
  std::string_view name;        // "--job"
  std::string_view short_name;  // "-c", or empty
  std::string_view value_name;  // "NAME" for an option with a value, empty for a flag
  command_set commands;         // the commands it belongs to
};

std::span<const command_spec> commands();
std::span<const option_spec> options();
const command_spec* find_command(std::string_view name);

struct command_line {
  std::string command;                 // validate, run, serve, status, journal
  std::vector<std::string> arguments;  // journal: exactly one, check or repair
  std::filesystem::path config_file;   // -c; empty = default
  std::vector<std::string> jobs;       // run --job, in the order given
  bool json = false;                   // run, validate, status --json
  bool dry_run = false;                // run --dry-run
  bool quiet = false;                  // run, serve --quiet
  std::optional<log_level> level;      // --log-level; unset = the default
};

// What the process is to do after parsing. Help and version need no configuration.
struct parsed_command_line {
  enum class what { execute, help, version, error };
  what action = what::error;
  command_line line;    // for execute
  std::string topic;    // for help: a command's name, or empty for the general help
  std::string message;  // for error: one line, without the "zefortd: " prefix
};

// `args` are argv[1..]. Options may come before or after the command; `--` ends the options.
// -h/--help anywhere (or `help [COMMAND]`) asks for help and nothing else is checked.
parsed_command_line parse_command_line(std::span<const std::string_view> args);

}  // namespace zefortd
