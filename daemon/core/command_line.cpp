// Parsing the command line into a command_line, refusing what a command has no use for; see
// command_line.hpp.
#include "core/command_line.hpp"

#include <algorithm>
#include <array>

#include "core/suggest.hpp"

namespace zefortd {
namespace {

using enum command_id;

constexpr std::array command_table{
    command_spec{serve, "serve", "serve [OPTIONS]",
                 "run as a daemon until SIGTERM: resume open tasks, run jobs"},
    command_spec{run, "run", "run [--job NAME]... [--dry-run] [--json] [OPTIONS]",
                 "run the jobs (all, or those named) once now and wait for them"},
    command_spec{validate, "validate", "validate [--json] [OPTIONS]",
                 "check the configuration and job files, print what was found"},
    command_spec{status, "status", "status [--json] [OPTIONS]",
                 "open tasks and recent runs, from the journal"},
    command_spec{journal, "journal", "journal check|repair [OPTIONS]",
                 "verify the journal, or repair it keeping every intact record"},
};

constexpr std::array option_table{
    option_spec{"--config", "-c", "FILE", all_commands},
    option_spec{"--log-level", "", "LEVEL", all_commands},
    option_spec{"--quiet", "-q", "", command_set(bit(serve) | bit(run))},
    option_spec{"--job", "", "NAME", bit(run)},
    option_spec{"--dry-run", "", "", bit(run)},
    option_spec{"--json", "", "", command_set(bit(run) | bit(validate) | bit(status))},
    option_spec{"--help", "-h", "", all_commands},
    option_spec{"--version", "", "", all_commands},
};

constexpr std::array<std::string_view, 5> log_level_names{"debug", "info", "notice", "warning",
                                                          "error"};
constexpr std::array<std::string_view, 2> journal_actions{"check", "repair"};

const option_spec* find_option(std::string_view name) {
  for (const auto& o : option_table)
    if (name == o.name || (!o.short_name.empty() && name == o.short_name)) return &o;
  return nullptr;
}

// With the command known, the closest of its own options, and its own help: `run --dryrun` is
// answered with run's --dry-run and `zefortd run --help`.
std::string unknown_option(std::string_view name, const command_spec* command) {
  std::vector<std::string_view> names;
  for (const auto& o : option_table)
    if (!command || (o.commands & bit(command->id))) names.push_back(o.name);
  const std::string help =
      command ? "zefortd " + std::string(command->name) + " --help" : "zefortd --help";
  return "unknown option '" + std::string(name) + "'" + did_you_mean(name, names) + " (see '" +
         help + "')";
}

std::string unknown_command(std::string_view name) {
  std::vector<std::string_view> names;
  for (const auto& c : command_table) names.push_back(c.name);
  names.push_back("help");
  return "unknown command '" + std::string(name) + "'" + did_you_mean(name, names) +
         " (see 'zefortd --help')";
}

parsed_command_line failure(std::string message) {
  parsed_command_line p;
  p.action = parsed_command_line::what::error;
  p.message = std::move(message);
  return p;
}

// An option as the user wrote it, remembered until the command is known (options may come
// before it), so that "serve does not take --dry-run" can be said about either order.
struct given_option {
  const option_spec* spec;
  std::string written;  // "--job" or "-c", for messages
  std::string value;
};

}  // namespace

std::span<const command_spec> commands() {
  return command_table;
}
std::span<const option_spec> options() {
  return option_table;
}

const command_spec* find_command(std::string_view name) {
  for (const auto& c : command_table)
    if (c.name == name) return &c;
  return nullptr;
}

parsed_command_line parse_command_line(std::span<const std::string_view> args) {
  // Help wins over everything else on the line: `zefortd serve --dry-run --help` explains serve.
  bool help = false;
  bool version = false;
  std::vector<std::string_view> positional;
  std::vector<given_option> given;
  bool options_ended = false;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string_view a = args[i];
    if (options_ended || a.size() < 2 || a[0] != '-') {
      positional.push_back(a);
      continue;
    }
    if (a == "--") {
      options_ended = true;
      continue;
    }
    std::string_view name = a;
    std::optional<std::string_view> inline_value;
    if (a.starts_with("--")) {
      if (auto eq = a.find('='); eq != std::string_view::npos) {
        name = a.substr(0, eq);
        inline_value = a.substr(eq + 1);
      }
    }
    const option_spec* spec = find_option(name);
    if (!spec) {
      // The command, wherever it stands: the first word that names one.
      const command_spec* command = nullptr;
      for (std::string_view word : args)
        if (!word.starts_with('-') && (command = find_command(word))) break;
      return failure(unknown_option(name, command));
    }
    if (spec->name == "--help") {
      help = true;
      continue;
    }
    given_option g{spec, std::string(name), {}};
    if (spec->value_name.empty()) {
      if (inline_value) return failure(std::string(name) + " takes no value");
    } else if (inline_value) {
      g.value = *inline_value;
    } else if (i + 1 < args.size()) {
      g.value = args[++i];
    } else {
      return failure(std::string(name) + " needs a " + std::string(spec->value_name));
    }
    if (spec->name == "--version") version = true;
    given.push_back(std::move(g));
  }

  if (help || (!positional.empty() && positional[0] == "help")) {
    parsed_command_line p;
    p.action = parsed_command_line::what::help;
    std::optional<std::string_view> topic;
    if (!positional.empty()) {
      if (positional[0] != "help") {
        topic = positional[0];
      } else if (positional.size() > 1) {
        topic = positional[1];
      }
    }
    if (topic) {
      if (!find_command(*topic)) return failure(unknown_command(*topic));
      p.topic = *topic;
    }
    return p;
  }
  if (version) {
    parsed_command_line p;
    p.action = parsed_command_line::what::version;
    return p;
  }

  if (positional.empty()) return failure("no command given (see 'zefortd --help')");
  const command_spec* cmd = find_command(positional[0]);
  if (!cmd) return failure(unknown_command(positional[0]));
  const std::string see = " (see 'zefortd " + std::string(cmd->name) + " --help')";

  parsed_command_line p;
  p.action = parsed_command_line::what::execute;
  command_line& cl = p.line;
  cl.command = cmd->name;
  for (const auto& g : given) {
    if (!(g.spec->commands & bit(cmd->id)))
      return failure(std::string(cmd->name) + " does not take " + g.written + see);
    const std::string_view n = g.spec->name;
    if (n == "--config") {
      if (g.value.empty()) return failure(g.written + " needs a FILE");
      cl.config_file = g.value;
    } else if (n == "--log-level") {
      log_level level;
      if (!parse_log_level(g.value, level))
        return failure(g.written + " takes debug, info, notice, warning or error, not '" + g.value +
                       "'" + did_you_mean(g.value, log_level_names));
      cl.level = level;
    } else if (n == "--quiet") {
      cl.quiet = true;
    } else if (n == "--job") {
      if (g.value.empty()) return failure(g.written + " needs a NAME");
      cl.jobs.push_back(g.value);
    } else if (n == "--dry-run") {
      cl.dry_run = true;
    } else if (n == "--json") {
      cl.json = true;
    }
  }

  const auto rest = std::span(positional).subspan(1);
  if (cmd->id == journal) {
    if (rest.empty()) return failure("journal needs check or repair" + see);
    if (rest.size() > 1)
      return failure("journal takes one of check or repair, not also '" + std::string(rest[1]) +
                     "'" + see);
    if (std::ranges::find(journal_actions, rest[0]) == journal_actions.end())
      return failure("journal takes check or repair, not '" + std::string(rest[0]) + "'" +
                     did_you_mean(rest[0], journal_actions));
    cl.arguments.emplace_back(rest[0]);
  } else if (!rest.empty()) {
    std::string listed;
    for (auto r : rest) listed += (listed.empty() ? "'" : " '") + std::string(r) + "'";
    return failure(std::string(cmd->name) + " takes no arguments, got " + listed + see);
  }
  return p;
}

}  // namespace zefortd
