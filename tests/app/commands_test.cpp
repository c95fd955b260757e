// Tests for app/commands through run_command, with no API and no sockets: what is checked
// before the journal is touched, and what `validate` checks about the journal's path.
#include "app/commands.hpp"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

namespace zefortd {
namespace {

namespace fs = std::filesystem;

class Commands : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "zefortd-commands-XXXXXX").string();
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    // No key anywhere: neither of the two places the environment offers.
    for (const char* name : {"ZEFORT_APIKEY", "CREDENTIALS_DIRECTORY", "STATE_DIRECTORY"}) {
      if (const char* value = ::getenv(name)) saved_.emplace_back(name, value);
      ::unsetenv(name);
    }
  }
  void TearDown() override {
    fs::remove_all(dir_);
    for (const auto& [name, value] : saved_) ::setenv(name.c_str(), value.c_str(), 1);
  }

  command_line with_journal(const std::string& command, const std::string& journal) {
    const fs::path file = dir_ / "zefortd.yaml";
    std::ofstream(file) << "api:\n  base_url: https://127.0.0.1:9/api\nstate:\n  journal: "
                        << journal << "\njobs:\n  - name: a\n    payload: {status: done}\n";
    command_line cl;
    cl.command = command;
    cl.config_file = file;
    return cl;
  }

  fs::path dir_;
  std::vector<std::pair<std::string, std::string>> saved_;
};

// `run` without a key exited 2, as documented, but only after creating the journal and its lock.
TEST_F(Commands, NoKeyExitsTwoBeforeTheJournalIsCreated) {
  for (const char* command : {"run", "serve"}) {
    EXPECT_EQ(run_command(with_journal(command, "zefortd.journal")), exit_code::usage) << command;
    EXPECT_FALSE(fs::exists(dir_ / "zefortd.journal")) << command;
    EXPECT_FALSE(fs::exists(dir_ / "zefortd.journal.lock")) << command;
  }
}

// A CA file that does not load was refused only once the journal and its lock existed.
TEST_F(Commands, ABadCaFileExitsTwoBeforeTheJournalIsCreated) {
  ::setenv("ZEFORT_APIKEY", "sandbox-key", 1);
  std::ofstream(dir_ / "ca.pem") << "not a certificate\n";
  for (const char* command : {"run", "serve"}) {
    command_line cl = with_journal(command, "zefortd.journal");
    std::string text;
    {
      std::ifstream in(cl.config_file);
      text.assign(std::istreambuf_iterator<char>(in), {});
    }
    text.insert(text.find("state:"), "  ca_file: " + (dir_ / "ca.pem").string() + "\n");
    std::ofstream(cl.config_file, std::ios::trunc) << text;
    EXPECT_EQ(run_command(cl), exit_code::usage) << command;
    EXPECT_FALSE(fs::exists(dir_ / "zefortd.journal")) << command;
    EXPECT_FALSE(fs::exists(dir_ / "zefortd.journal.lock")) << command;
  }
  ::unsetenv("ZEFORT_APIKEY");
}

// What operators copy: `zefortd validate` (this very function, as main calls it) accepts every
// shipped example, and with --json lists each of its jobs.
TEST_F(Commands, ValidateAcceptsEveryShippedExample) {
  std::size_t seen = 0;
  for (const auto& e : fs::directory_iterator(fs::path(ZEFORTD_CONFIG_DIR) / "examples")) {
    if (e.path().extension() != ".yaml") continue;
    ++seen;
    for (const bool json : {false, true}) {
      command_line cl;
      cl.command = "validate";
      cl.config_file = e.path();
      cl.json = json;
      EXPECT_EQ(run_command(cl), exit_code::ok) << e.path() << (json ? " --json" : "");
    }
  }
  EXPECT_GE(seen, 5u);
}

TEST_F(Commands, ValidateChecksTheJournalsDirectoryAndKind) {
  EXPECT_EQ(run_command(with_journal("validate", "zefortd.journal")), exit_code::ok);
  EXPECT_EQ(run_command(with_journal("validate", "missing/zefortd.journal")), exit_code::usage);
  ASSERT_EQ(::mkfifo((dir_ / "fifo").c_str(), 0600), 0);
  EXPECT_EQ(run_command(with_journal("validate", "fifo")), exit_code::usage);
  fs::create_symlink(dir_ / "absent", dir_ / "dangling");
  EXPECT_EQ(run_command(with_journal("validate", "dangling")), exit_code::usage);
  EXPECT_FALSE(fs::exists(dir_ / "zefortd.journal"));  // validate never creates it
}

// The same cases for the commands that open the journal: a clear refusal, exit 5, no hang.
TEST_F(Commands, AJournalThatIsNotAFileIsRefusedWithStatusFive) {
  ASSERT_EQ(::mkfifo((dir_ / "fifo").c_str(), 0600), 0);
  command_line cl = with_journal("status", "fifo");
  EXPECT_EQ(run_command(cl), exit_code::journal);
  cl.command = "journal";
  cl.arguments = {"check"};
  EXPECT_EQ(run_command(cl), exit_code::journal);
}

}  // namespace
}  // namespace zefortd
