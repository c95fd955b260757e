// Issue 7's batch: 300 jobs against a sandbox with every fault at once, as a new user would meet
// an API behind a load balancer: 10% 5xx (a POST's 500 after the task was made), 6% connections
// dropped (half of the POSTs' after the server acted), a 150 req/s rate limit answering 429 with
// Retry-After, and keep-alive connections closed every 3 requests. zefortd runs with no rate
// limit of its own: its pacing alone must keep the 429s at or under 5% of all requests.
//
// Each test prints one "[ faults   ]" line with the sandbox's counters; tests/faults-ten-runs.sh
// runs both ten times and tabulates those lines.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <iostream>
#include <set>

#include "harness.hpp"

namespace zefortd::it {
namespace {

constexpr int jobs = 300;

std::vector<std::string> every_fault(std::string task_duration) {
  return {"--submit-status",
          "202",
          "--list-format",
          "pages",
          "--page-size",
          "20",
          "--keep-alive-max",
          "3",
          "--error-rate",
          "0.10",
          "--error-after-processing",
          "--drop-rate",
          "0.06",
          "--rate-limit",
          "150",
          "--task-duration",
          std::move(task_duration)};
}

struct outcome {
  std::uint64_t submissions = 0, duplicates = 0, open = 0, requests = 0, limited = 0;
  std::size_t marked = 0;
};

// Runs the batch with --json and checks what holds in both tests: every job ran to done once
// in the summary, nothing is left in the list, nothing was dismissed early, and the 429s stay
// within 5% of the requests.
outcome run_through_every_fault(const std::string& durations, bool exclusive,
                                const std::string& label) {
  temp_dir dir;
  sandbox sb(dir.path(), every_fault(durations));
  auto options = options_for(sb, dir.path());
  options.exclusive = exclusive;
  options.connections = 8;
  auto config = write_config(dir / "zefortd.yaml", options, numbered_jobs(jobs));
  auto r = run_zefortd({"run", "-c", config.string(), "--json"}, key_env());
  EXPECT_TRUE(r.exited(0)) << r.describe();

  auto stats = sb.stats();
  const auto text = boost::json::serialize(stats);
  outcome o;
  o.submissions = sandbox::count(stats, "submissions");
  o.duplicates = sandbox::count(stats, "duplicate_bodies");
  o.open = sandbox::count(stats, "open");
  o.requests = sandbox::count(stats, "requests");
  o.limited = sandbox::count(stats, "rate_limited");
  EXPECT_EQ(o.submissions, jobs + o.duplicates) << "every job was submitted: " << text;
  EXPECT_EQ(o.open, 0u) << "a task was left in the list: " << text;
  EXPECT_EQ(sandbox::count(stats, "early_dismissals"), 0u) << text;
  EXPECT_GT(sandbox::count(stats, "in_doubt"), 0u) << "the faults made submissions in doubt";
  EXPECT_GT(o.limited, 0u) << "the rate limit was reached";
  EXPECT_LE(o.limited * 20, o.requests) << "more than 5% of the requests were answered 429";

  boost::json::value doc;
  try {
    doc = boost::json::parse(r.out);
  } catch (const std::exception& e) {
    ADD_FAILURE() << "stdout is not JSON: " << e.what() << ": " << r.out.substr(0, 500);
    return o;
  }
  const auto& runs = doc.at("runs").as_array();
  EXPECT_EQ(runs.size(), static_cast<std::size_t>(jobs));
  std::set<std::string> names;
  for (const auto& v : runs) {
    const auto& run = v.as_object();
    names.insert(std::string(run.at("job").as_string()));
    EXPECT_EQ(run.at("outcome").as_string(), "done") << boost::json::serialize(run);
    if (run.at("possible_duplicate").as_bool()) ++o.marked;
  }
  EXPECT_EQ(names.size(), static_cast<std::size_t>(jobs));
  // No duplicate beyond those the summary marks.
  EXPECT_LE(o.duplicates, o.marked) << text;
  std::cout << "[ faults   ] " << label << ": " << r.wall.count() << " ms, " << o.requests
            << " requests, " << o.limited << " answered 429 ("
            << (o.requests
                    ? 100.0 * static_cast<double>(o.limited) / static_cast<double>(o.requests)
                    : 0.0)
            << "%), " << o.duplicates << " submitted twice, " << o.marked << " marked, " << o.open
            << " left open; " << text << "\n";
  return o;
}

TEST(Faults, ThreeHundredJobsExclusiveWithTasksOfSecondsSubmitNothingTwice) {
  // In-doubt lookups go first and start at once, so a task that lasts seconds is still pending,
  // its body in details.data, when the lookup reads it: found, never sent again.
  const auto o = run_through_every_fault("5s:10s", true, "300 jobs, 5-10 s tasks, exclusive");
  EXPECT_EQ(o.duplicates, 0u) << "a job was submitted twice although its task lasted seconds";
}

TEST(Faults, ThreeHundredJobsExclusiveWithSubSecondTasksMarkEveryDuplicate) {
  run_through_every_fault("100ms:600ms", true, "300 jobs, 0.1-0.6 s tasks, exclusive");
}

}  // namespace
}  // namespace zefortd::it
