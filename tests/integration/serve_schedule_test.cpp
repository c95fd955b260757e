// `zefortd serve` with an `@every 1s` job against the sandbox: slots fire repeatedly, a slot
// that comes while the previous run's task is open is skipped, and a kill -9 plus a restart on
// the same journal never fires a slot twice (each fired slot is one submission in the sandbox).
#include <boost/json/serialize.hpp>
#include <csignal>
#include <fstream>
#include <regex>
#include <set>
#include <string>

#include "harness.hpp"

namespace zefortd::it {
namespace {

// The slots named by "slot <time> fired" lines.
std::vector<std::string> fired_slots(const std::string& err) {
  static const std::regex fired(R"(job tick: slot (\S+) fired)");
  std::vector<std::string> out;
  for (std::sregex_iterator it(err.begin(), err.end(), fired), end; it != end; ++it)
    out.push_back((*it)[1].str());
  return out;
}

TEST(ServeSchedule, EverySecondFiresSkipsWhileOpenAndNeverTwiceAcrossKillNine) {
  temp_dir dir;
  // A task stays pending 2.5 s: the slots of the next two seconds find it open.
  sandbox sb(dir.path(), {"--task-duration", "2500ms", "--quiet"});
  const auto config = scheduled_config(sb, dir);

  std::size_t fired = 0, skipped = 0;
  auto count_until = [&](std::size_t want_fired, std::size_t want_skipped) {
    return [&, want_fired, want_skipped](std::string_view line) {
      if (line.find("job tick: slot ") != std::string_view::npos) {
        fired += line.find(" fired (run ") != std::string_view::npos;
        skipped += line.find(" skipped: ") != std::string_view::npos;
      }
      return fired >= want_fired && skipped >= want_skipped;
    };
  };

  child first(zefortd_bin, {"serve", "-c", config.string()}, key_env());
  ASSERT_TRUE(first.wait_for_stderr_line(count_until(3, 2), std::chrono::steady_clock::now() + 60s))
      << first.wait(1s).describe();
  first.send(SIGKILL);
  const auto killed = first.wait(10s);
  ASSERT_TRUE(killed.killed()) << killed.describe();

  fired = skipped = 0;
  child second(zefortd_bin, {"serve", "-c", config.string()}, key_env());
  ASSERT_TRUE(
      second.wait_for_stderr_line(count_until(2, 0), std::chrono::steady_clock::now() + 60s))
      << second.wait(1s).describe();
  second.send(SIGTERM);
  const auto stopped = second.wait(30s);
  EXPECT_TRUE(stopped.exited(0)) << stopped.describe();

  std::vector<std::string> slots = fired_slots(killed.err);
  const auto later = fired_slots(stopped.err);
  ASSERT_GE(slots.size(), 3u) << killed.describe();
  ASSERT_GE(later.size(), 2u) << stopped.describe();
  EXPECT_TRUE(contains(killed.err, "skipped: the previous run's task is still open"));
  slots.insert(slots.end(), later.begin(), later.end());
  const std::set<std::string> distinct(slots.begin(), slots.end());
  EXPECT_EQ(distinct.size(), slots.size()) << "a slot fired twice";
  // Each fired slot was submitted once: none lost, none twice (an in-doubt one was looked up).
  const auto stats = sb.stats();
  EXPECT_EQ(sandbox::count(stats, "submissions"), slots.size()) << boost::json::serialize(stats);
}

}  // namespace
}  // namespace zefortd::it
