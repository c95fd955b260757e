// The progress line of `zefortd run`: drawn under a pseudo-terminal (forkpty), absent with
// --quiet, and no control characters at all when stderr is a pipe.
#include <gtest/gtest.h>
#include <pty.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>

#include "harness.hpp"

namespace zefortd::it {
namespace {

struct pty_result {
  std::string output;  // stdout and stderr together, as the terminal saw them
  int status = -1;
};

// Runs zefortd with its stdin, stdout and stderr on a new pseudo-terminal, to its end.
pty_result run_on_terminal(const std::vector<std::string>& args) {
  pty_result r;
  int master = -1;
  const pid_t pid = ::forkpty(&master, nullptr, nullptr, nullptr);
  if (pid == 0) {
    ::setenv("ZEFORT_APIKEY", default_key, 1);
    ::setenv("TERM", "xterm", 1);
    ::unsetenv("JOURNAL_STREAM");
    std::vector<char*> argv{const_cast<char*>(ZEFORTD_BIN)};
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    ::execv(ZEFORTD_BIN, argv.data());
    ::_exit(127);
  }
  char buf[4096];
  for (;;) {
    const ssize_t n = ::read(master, buf, sizeof buf);
    if (n > 0) {
      r.output.append(buf, std::size_t(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    break;  // EIO once the child and its descendants closed the terminal
  }
  ::close(master);
  int status = 0;
  ::waitpid(pid, &status, 0);
  r.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

TEST(Progress, ATerminalGetsOneLiveLineAndNoticesAboveIt) {
  temp_dir dir;
  sandbox sb(dir.path(), {"--task-duration", "1s:2s", "--quiet"});
  auto config = write_config(dir / "zefortd.yaml", options_for(sb, dir.path()), numbered_jobs(3));
  auto r = run_on_terminal({"run", "-c", config.string()});
  EXPECT_EQ(r.status, 0) << r.output;
  EXPECT_TRUE(contains(r.output, "\r0s, time left unknown | 0/3 submitted"));
  EXPECT_TRUE(contains(r.output, "3/3 submitted"));
  EXPECT_TRUE(contains(r.output, "\x1b[K"));
  EXPECT_TRUE(lacks(r.output, "submitted, task")) << "info lines would push the line away";
  EXPECT_TRUE(contains(r.output, "\r\x1b[KJOB")) << "the summary starts on a cleared line";
  EXPECT_TRUE(contains(r.output, "3 runs: 3 done"));
}

TEST(Progress, AWarningPrintsAboveTheLiveLineWhichIsDrawnAgainBelowIt) {
  temp_dir dir;
  sandbox sb(dir.path(), {"--task-duration", "1s:2s", "--quiet"});
  auto jobs = numbered_jobs(2);
  // No `search`: the API answers 400, and the rejection is logged at warning level or above.
  jobs.push_back(job_spec{"no-search", "status: done\n", true});
  auto config = write_config(dir / "zefortd.yaml", options_for(sb, dir.path()), jobs);
  auto r = run_on_terminal({"run", "-c", config.string()});
  EXPECT_EQ(r.status, 3) << r.output;
  // The live line is cleared, the log line printed on its own line, then the live line again.
  const auto rejected = r.output.find("job no-search");
  ASSERT_NE(rejected, std::string::npos) << r.output;
  const auto cleared = r.output.rfind("\r\x1b[K", rejected);
  ASSERT_NE(cleared, std::string::npos) << "the log line starts on a cleared line: " << r.output;
  EXPECT_EQ(r.output.substr(cleared, rejected - cleared).find('\n'), std::string::npos)
      << "nothing between the clearing and the log line";
  const auto line_end = r.output.find('\n', rejected);
  ASSERT_NE(line_end, std::string::npos);
  EXPECT_NE(r.output.find(" submitted", line_end), std::string::npos)
      << "the live line is drawn again below: " << r.output;
}

// Nothing happens for seconds (the first poll is 4 s out): the clock on the line moves on anyway.
TEST(Progress, TheLineKeepsTimeWhileNothingHappens) {
  temp_dir dir;
  sandbox sb(dir.path(), {"--task-duration", "3s", "--quiet"});
  auto options = options_for(sb, dir.path());
  options.initial_delay = "4s";
  options.max_delay = "4s";
  auto config = write_config(dir / "zefortd.yaml", options, numbered_jobs(1));
  auto r = run_on_terminal({"run", "-c", config.string()});
  EXPECT_EQ(r.status, 0) << r.output;
  EXPECT_TRUE(contains(r.output, "\r2s, ")) << r.output;
  EXPECT_TRUE(contains(r.output, "1 runs: 1 done") || contains(r.output, "1 run: 1 done"))
      << r.output;
}

TEST(Progress, QuietDrawsNoLine) {
  temp_dir dir;
  sandbox sb(dir.path(), {"--task-duration", "50ms:100ms", "--quiet"});
  auto config = write_config(dir / "zefortd.yaml", options_for(sb, dir.path()), numbered_jobs(2));
  auto r = run_on_terminal({"run", "--quiet", "-c", config.string()});
  EXPECT_EQ(r.status, 0) << r.output;
  EXPECT_TRUE(lacks(r.output, "\x1b"));
  EXPECT_TRUE(lacks(r.output, "submitted,"));
  EXPECT_TRUE(contains(r.output, "2 runs: 2 done"));
}

TEST(Progress, APipeGetsPlainLinesWithoutControlCharacters) {
  temp_dir dir;
  sandbox sb(dir.path(), {"--task-duration", "50ms:100ms", "--quiet"});
  auto config = write_config(dir / "zefortd.yaml", options_for(sb, dir.path()), numbered_jobs(3));
  auto r = run_batch(config, {{"TERM", "xterm"}});
  ASSERT_TRUE(r.exited(0)) << r.describe();
  EXPECT_TRUE(contains(r.err, "submitted, task"));
  for (char c : r.err + r.out)
    ASSERT_TRUE(static_cast<unsigned char>(c) >= 0x20 || c == '\n')
        << "control character " << int(c) << " in\n"
        << r.err;
}

}  // namespace
}  // namespace zefortd::it
