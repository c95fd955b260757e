// Tests for the help texts: each command's help names every option it accepts and no option it
// refuses, and the exit statuses come from core/exit_code.hpp.
#include "core/command_help.hpp"

#include <gtest/gtest.h>

#include <string>

#include "core/command_line.hpp"
#include "core/exit_code.hpp"

namespace zefortd {
namespace {

bool mentions(const std::string& text, std::string_view word) {
  // As a whole option: "--json" must not be found inside "--jsonx".
  for (auto at = text.find(word); at != std::string::npos; at = text.find(word, at + 1)) {
    const auto end = at + word.size();
    const bool left = at == 0 || text[at - 1] == ' ' || text[at - 1] == '[';
    const bool right = end == text.size() ||
                       std::string_view(" ]=,.;\n").find(text[end]) != std::string_view::npos;
    if (left && right) return true;
  }
  return false;
}

TEST(CommandHelp, EachCommandDescribesExactlyItsOptions) {
  for (const auto& c : commands()) {
    const std::string text = help_text(c.name);
    EXPECT_TRUE(text.starts_with("Usage: zefortd " + std::string(c.name))) << c.name;
    for (const auto& o : options()) {
      if (o.name == "--version") continue;  // a general option, in the general help
      const bool takes = (o.commands & bit(c.id)) != 0;
      EXPECT_EQ(mentions(text, o.name), takes) << c.name << " " << o.name;
    }
  }
}

TEST(CommandHelp, RunExplainsRepeatsJsonAndConfigEquals) {
  const std::string text = help_text("run");
  EXPECT_NE(text.find("--config=FILE"), std::string::npos);
  EXPECT_NE(text.find("repeat the option"), std::string::npos);
  EXPECT_NE(text.find("--json                print the summary as one JSON object"),
            std::string::npos);
}

TEST(CommandHelp, GeneralHelpListsCommandsOptionsFilesAndStatuses) {
  const std::string text = help_text();
  for (const auto& c : commands()) EXPECT_TRUE(mentions(text, c.name)) << c.name;
  for (const auto& o : options()) EXPECT_TRUE(mentions(text, o.name)) << o.name;
  for (std::string_view f : {"/etc/zefortd/zefortd.yaml", "$CREDENTIALS_DIRECTORY/api-key",
                             "ZEFORT_APIKEY", "api.api_key_file", "$STATE_DIRECTORY"})
    EXPECT_NE(text.find(f), std::string::npos) << f;
  for (int status :
       {exit_code::ok, exit_code::task_failed, exit_code::usage, exit_code::refused,
        exit_code::gave_up, exit_code::journal, exit_code::internal, exit_code::interrupted})
    EXPECT_NE(text.find("\n  " + std::to_string(status) + " "), std::string::npos) << status;
}

// Each command's own help lists the files it reads and its exit statuses, not only the general.
TEST(CommandHelp, EachCommandsHelpHasItsFilesAndExitStatuses) {
  for (const auto& c : commands()) {
    const std::string text = help_text(c.name);
    EXPECT_NE(text.find("\nFiles read:\n"), std::string::npos) << c.name;
    EXPECT_NE(text.find("\nExit status:\n"), std::string::npos) << c.name;
    EXPECT_NE(text.find("\n  0 "), std::string::npos) << c.name;
    EXPECT_NE(text.find("\n  2 "), std::string::npos) << c.name << ": a bad command line";
  }
  EXPECT_NE(help_text("run").find("SIGHUP"), std::string::npos) << "run ends on SIGHUP too";
}

TEST(CommandHelp, KeyLookupOrderIsTheLookupsOrder) {
  for (std::string_view c : {"", "run", "serve"}) {
    const std::string text = help_text(c);
    const auto file = text.find("api.api_key_file");
    const auto credential = text.find("$CREDENTIALS_DIRECTORY/api-key");
    const auto env = text.find("ZEFORT_APIKEY");
    ASSERT_NE(env, std::string::npos) << c;
    EXPECT_LT(file, credential) << c;
    EXPECT_LT(credential, env) << c;
  }
  // validate never looks for a key, so its help does not say it reads one.
  EXPECT_EQ(help_text("validate").find("ZEFORT_APIKEY"), std::string::npos);
}

TEST(CommandHelp, NoLineIsWiderThanATerminal) {
  for (std::string_view c : {"", "serve", "run", "validate", "status", "journal"}) {
    const std::string text = help_text(c);
    std::size_t start = 0;
    for (auto nl = text.find('\n'); nl != std::string::npos; nl = text.find('\n', start)) {
      EXPECT_LE(nl - start, 100u) << c << ": " << text.substr(start, nl - start);
      start = nl + 1;
    }
  }
}

}  // namespace
}  // namespace zefortd
