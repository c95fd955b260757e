// Tests that the hand-written man page (doc/zefortd.1) keeps up with the command line: every
// command, option and exit status the program knows is in it.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>

#include "core/command_line.hpp"
#include "core/exit_code.hpp"

namespace zefortd {
namespace {

std::string man_page() {
  std::ifstream in(ZEFORTD_MAN_PAGE);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// roff writes a hyphen in an option as "\-".
std::string roff(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '-') out += '\\';
    out += c;
  }
  return out;
}

TEST(ManPage, NamesEveryCommandOptionAndStatus) {
  const std::string page = man_page();
  ASSERT_FALSE(page.empty()) << ZEFORTD_MAN_PAGE;
  for (const auto& c : commands())
    EXPECT_NE(page.find(".B zefortd " + std::string(c.name)), std::string::npos) << c.name;
  for (const auto& o : options()) {
    EXPECT_NE(page.find(roff(o.name)), std::string::npos) << o.name;
    if (!o.short_name.empty()) {
      EXPECT_NE(page.find(roff(o.short_name)), std::string::npos) << o.short_name;
    }
  }
  for (int status :
       {exit_code::ok, exit_code::task_failed, exit_code::usage, exit_code::refused,
        exit_code::gave_up, exit_code::journal, exit_code::internal, exit_code::interrupted})
    EXPECT_NE(page.find(".TP\n.B " + std::to_string(status) + "\n"), std::string::npos) << status;
  for (std::string_view key :
       {"api.api_key_file", "$CREDENTIALS_DIRECTORY/api\\-key", "ZEFORT_APIKEY", "JOURNAL_STREAM"})
    EXPECT_NE(page.find(key), std::string::npos) << key;
}

}  // namespace
}  // namespace zefortd
