// `zefortd journal repair` after a flipped byte in the middle of a journal whose batch is open:
// the damaged record was an intent, so its job has no run in the repaired journal. It is looked
// up in the task list, found there pending and adopted, never sent blind a second time.
#include <gtest/gtest.h>

#include <boost/json/serialize.hpp>
#include <csignal>
#include <fstream>
#include <set>
#include <string>

#include "harness.hpp"

namespace zefortd::it {
namespace {

TEST(Repair, AJobWhoseIntentWasLostIsLookedUpNotSentTwice) {
  temp_dir dir;
  // Long enough to be pending still when the second run looks it up, short enough to wait for.
  sandbox sb(dir.path(), {"--task-duration", "10s", "--quiet"});
  auto config = write_config(dir / "zefortd.yaml", options_for(sb, dir.path()), numbered_jobs(5));
  child first(zefortd_bin, {"run", "-c", config.string(), "--log-level", "debug"}, key_env());
  // A task's first poll leaves only once its id is durable (write-ahead).
  std::set<std::string> polled;
  ASSERT_TRUE(first.wait_for_stderr_line(
      [&](std::string_view line) {
        const auto at = line.find("GET /api/tasks/");
        if (at != std::string_view::npos && line.find("GET /api/tasks/ ") == std::string_view::npos)
          polled.insert(std::string(line.substr(at)));
        return polled.size() >= 5;
      },
      std::chrono::steady_clock::now() + 60s))
      << first.wait(1s).describe();
  first.send(SIGKILL);
  ASSERT_TRUE(first.wait(30s).killed());

  // One flipped byte inside job-2's intent: a record in the middle, with good ones after it.
  const fs::path journal = dir / "zefortd.journal";
  std::string bytes = read_file(journal);
  const auto at = bytes.find(R"("job":"job-2")");
  ASSERT_NE(at, std::string::npos);
  bytes[at + 3] ^= 0x01;
  std::ofstream(journal, std::ios::binary | std::ios::trunc) << bytes;

  auto repair = run_zefortd({"journal", "repair", "-c", config.string()}, {}, 30s);
  ASSERT_TRUE(repair.exited(0)) << repair.describe();
  EXPECT_TRUE(contains(repair.out, "lost: ")) << repair.out;
  EXPECT_TRUE(contains(repair.out, "looked up in the task list")) << repair.out;

  auto second = run_zefortd({"run", "-c", config.string()}, key_env(), 120s);
  EXPECT_TRUE(second.exited(0)) << second.describe();
  const auto stats = sb.stats();
  EXPECT_EQ(sandbox::count(stats, "submissions"), 5u)
      << "job-2 was sent again blind: " << boost::json::serialize(stats);
  EXPECT_EQ(sandbox::count(stats, "dismissals"), 5u) << boost::json::serialize(stats);
  EXPECT_EQ(sandbox::count(stats, "open"), 0u) << "a task left in the list";
}

}  // namespace
}  // namespace zefortd::it
