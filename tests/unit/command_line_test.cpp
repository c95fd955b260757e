// Tests for the command-line parser: each option only where it belongs, stray arguments,
// suggestions for typos, --flag=value forms, help and version, all without a process.
#include "core/command_line.hpp"

#include <gtest/gtest.h>

#include <initializer_list>
#include <string_view>
#include <vector>

namespace zefortd {
namespace {

using what = parsed_command_line::what;

parsed_command_line parse(std::initializer_list<std::string_view> args) {
  const std::vector<std::string_view> v(args);
  return parse_command_line(v);
}

// The error message, or a note that there was none (so a failing test shows what it got).
std::string error_of(std::initializer_list<std::string_view> args) {
  const auto p = parse(args);
  return p.action == what::error ? p.message : "<no error>";
}

TEST(CommandLine, ServeRefusesDryRunInEitherOrder) {
  // The case: `serve --dry-run` used to submit for real.
  EXPECT_EQ(error_of({"serve", "--dry-run"}),
            "serve does not take --dry-run (see 'zefortd serve --help')");
  EXPECT_EQ(error_of({"--dry-run", "serve"}),
            "serve does not take --dry-run (see 'zefortd serve --help')");
}

TEST(CommandLine, EachOptionOnlyWhereItBelongs) {
  EXPECT_EQ(error_of({"serve", "--job", "a"}),
            "serve does not take --job (see 'zefortd serve --help')");
  EXPECT_EQ(error_of({"validate", "--job=a"}),
            "validate does not take --job (see 'zefortd validate --help')");
  EXPECT_EQ(error_of({"serve", "--json"}),
            "serve does not take --json (see 'zefortd serve --help')");
  EXPECT_EQ(error_of({"journal", "check", "--json"}),
            "journal does not take --json (see 'zefortd journal --help')");
  EXPECT_EQ(error_of({"status", "--dry-run"}),
            "status does not take --dry-run (see 'zefortd status --help')");
  EXPECT_EQ(error_of({"validate", "--quiet"}),
            "validate does not take --quiet (see 'zefortd validate --help')");
  EXPECT_EQ(error_of({"status", "-q"}), "status does not take -q (see 'zefortd status --help')");
  for (std::string_view c : {"run", "validate", "status"})
    EXPECT_EQ(parse({c, "--json"}).action, what::execute) << c;
  for (std::string_view c : {"run", "serve"})
    EXPECT_EQ(parse({c, "--quiet"}).action, what::execute) << c;
}

TEST(CommandLine, RunTakesEverythingItsHelpNames) {
  const auto p = parse({"--log-level=debug", "run", "--job", "a", "--job=b", "-c", "f.yaml",
                        "--dry-run", "--json", "-q"});
  ASSERT_EQ(p.action, what::execute) << p.message;
  EXPECT_EQ(p.line.command, "run");
  EXPECT_EQ(p.line.jobs, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(p.line.config_file, "f.yaml");
  EXPECT_TRUE(p.line.dry_run);
  EXPECT_TRUE(p.line.json);
  EXPECT_TRUE(p.line.quiet);
  EXPECT_EQ(p.line.level, log_level::debug);
  EXPECT_TRUE(p.line.arguments.empty());
}

TEST(CommandLine, ConfigAndLogLevelForEveryCommand) {
  for (std::string_view c : {"serve", "run", "validate", "status"}) {
    const auto p = parse({c, "--config=x.yaml", "--log-level", "warning"});
    ASSERT_EQ(p.action, what::execute) << c << ": " << p.message;
    EXPECT_EQ(p.line.config_file, "x.yaml");
    EXPECT_EQ(p.line.level, log_level::warning);
  }
  const auto p = parse({"journal", "-c", "x.yaml", "repair"});
  ASSERT_EQ(p.action, what::execute) << p.message;
  EXPECT_EQ(p.line.arguments, (std::vector<std::string>{"repair"}));
  EXPECT_EQ(p.line.config_file, "x.yaml");
  EXPECT_FALSE(p.line.level.has_value());
}

TEST(CommandLine, StrayArgumentsAreRefused) {
  EXPECT_EQ(error_of({"validate", "-c", "f.yaml", "extra", "junk"}),
            "validate takes no arguments, got 'extra' 'junk' (see 'zefortd validate --help')");
  EXPECT_EQ(error_of({"run", "nightly"}),
            "run takes no arguments, got 'nightly' (see 'zefortd run --help')");
}

TEST(CommandLine, JournalTakesExactlyCheckOrRepair) {
  EXPECT_EQ(error_of({"journal"}), "journal needs check or repair (see 'zefortd journal --help')");
  EXPECT_EQ(error_of({"journal", "check", "repair"}),
            "journal takes one of check or repair, not also 'repair' (see 'zefortd journal "
            "--help')");
  EXPECT_EQ(error_of({"journal", "chek"}),
            "journal takes check or repair, not 'chek'; did you mean 'check'?");
  EXPECT_EQ(parse({"journal", "check"}).line.arguments, (std::vector<std::string>{"check"}));
}

TEST(CommandLine, UnknownOptionsAndCommandsGetTheClosestOne) {
  EXPECT_EQ(error_of({"run", "--dryrun"}),
            "unknown option '--dryrun'; did you mean '--dry-run'? (see 'zefortd run --help')");
  EXPECT_EQ(error_of({"run", "--jobs=a"}),
            "unknown option '--jobs'; did you mean '--job'? (see 'zefortd run --help')");
  EXPECT_EQ(error_of({"--jobs=a", "run"}),
            "unknown option '--jobs'; did you mean '--job'? (see 'zefortd run --help')")
      << "the command after the option";
  // Only the command's own options are offered: status has no --dry-run to suggest.
  EXPECT_EQ(error_of({"status", "--dryrun"}),
            "unknown option '--dryrun' (see 'zefortd status --help')");
  EXPECT_EQ(error_of({"--dryrun"}),
            "unknown option '--dryrun'; did you mean '--dry-run'? (see 'zefortd --help')");
  EXPECT_EQ(error_of({"serv"}),
            "unknown command 'serv'; did you mean 'serve'? (see 'zefortd "
            "--help')");
  EXPECT_EQ(error_of({"frobnicate"}), "unknown command 'frobnicate' (see 'zefortd --help')");
  EXPECT_EQ(error_of({"run", "-x"}), "unknown option '-x' (see 'zefortd run --help')");
  EXPECT_EQ(error_of({}), "no command given (see 'zefortd --help')");
}

TEST(CommandLine, ValuesAreCheckedAndRequired) {
  EXPECT_EQ(error_of({"run", "--job"}), "--job needs a NAME");
  EXPECT_EQ(error_of({"run", "--job="}), "--job needs a NAME");
  EXPECT_EQ(error_of({"validate", "-c"}), "-c needs a FILE");
  EXPECT_EQ(error_of({"validate", "--config="}), "--config needs a FILE");
  EXPECT_EQ(error_of({"run", "--dry-run=yes"}), "--dry-run takes no value");
  EXPECT_EQ(error_of({"status", "--log-level", "wraning"}),
            "--log-level takes debug, info, notice, warning or error, not 'wraning'; did you mean "
            "'warning'?");
  // A value that looks like an option is still the value: `-c --odd-name.yaml`.
  EXPECT_EQ(parse({"validate", "-c", "--odd.yaml"}).line.config_file, "--odd.yaml");
}

TEST(CommandLine, DoubleDashEndsOptions) {
  EXPECT_EQ(error_of({"validate", "--", "--json"}),
            "validate takes no arguments, got '--json' (see 'zefortd validate --help')");
}

TEST(CommandLine, HelpForACommandOrInGeneral) {
  auto p = parse({"--help"});
  EXPECT_EQ(p.action, what::help);
  EXPECT_EQ(p.topic, "");
  p = parse({"run", "--help"});
  EXPECT_EQ(p.action, what::help);
  EXPECT_EQ(p.topic, "run");
  p = parse({"-h", "journal"});
  EXPECT_EQ(p.topic, "journal");
  p = parse({"help", "status"});
  EXPECT_EQ(p.action, what::help);
  EXPECT_EQ(p.topic, "status");
  p = parse({"help"});
  EXPECT_EQ(p.action, what::help);
  EXPECT_EQ(p.topic, "");
  // Help wins over what would be refused: it explains the command instead.
  p = parse({"serve", "--dry-run", "--help"});
  EXPECT_EQ(p.action, what::help);
  EXPECT_EQ(p.topic, "serve");
  EXPECT_EQ(error_of({"help", "sevre"}),
            "unknown command 'sevre'; did you mean 'serve'? (see 'zefortd --help')");
}

TEST(CommandLine, Version) {
  EXPECT_EQ(parse({"--version"}).action, what::version);
}

TEST(CommandLine, EveryOptionBelongsToACommandAndIsKnownByName) {
  for (const auto& o : options()) {
    EXPECT_NE(o.commands, 0) << o.name;
    EXPECT_TRUE(o.name.starts_with("--")) << o.name;
  }
  for (const auto& c : commands()) EXPECT_EQ(find_command(c.name), &c);
}

}  // namespace
}  // namespace zefortd
