// End to end against the sandbox: the reference's example, a backend failure, repeated runs,
// the journal lock, and `validate`.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <csignal>
#include <fstream>
#include <regex>

#include "harness.hpp"

namespace zefortd::it {
namespace {

std::string task_id_of(const std::string& err) {
  std::smatch m;
  static const std::regex submitted(R"(submitted, task ([A-Za-z0-9_.-]+))");
  return std::regex_search(err, m, submitted) ? m[1].str() : std::string();
}

TEST(EndToEnd, ReferenceExampleIsSubmittedPolledAndDismissed) {
  temp_dir dir;
  sandbox sb(dir.path(), {"--task-duration", "300ms:600ms", "--quiet"});
  auto options = options_for(sb, dir.path());
  auto config = write_config(dir / "zefortd.yaml", options,
                             {example_job("end-contracts-of-service", "contracts of service")});

  auto r = run_batch(config);
  ASSERT_TRUE(r.exited(0)) << r.describe();

  auto stats = sb.stats();
  EXPECT_EQ(sandbox::count(stats, "submissions"), 1u);
  EXPECT_EQ(sandbox::count(stats, "dismissals"), 1u);
  EXPECT_EQ(sandbox::count(stats, "early_dismissals"), 0u);
  EXPECT_EQ(sandbox::count(stats, "open"), 0u);

  const std::string task = task_id_of(r.err);
  ASSERT_FALSE(task.empty()) << r.err;
  EXPECT_TRUE(contains(r.err, "job end-contracts-of-service: submitted, task " + task));
  EXPECT_TRUE(contains(r.err, "task " + task + " finished: done"));
  EXPECT_TRUE(contains(r.err, "task " + task + " dismissed"));
  EXPECT_TRUE(contains(r.out, "end-contracts-of-service"));
  EXPECT_TRUE(contains(r.out, task));
  EXPECT_TRUE(contains(r.out, "done"));
  EXPECT_TRUE(contains(r.out, "1 run: 1 done"));

  ASSERT_TRUE(fs::exists(options.journal));
  auto status = run_zefortd({"status", "-c", config.string(), "--json"}, {});
  ASSERT_TRUE(status.exited(0)) << status.describe();
  auto doc = boost::json::parse(status.out).as_object();
  EXPECT_EQ(doc.at("open").as_array().size(), 0u);
  bool listed = false;
  for (const auto& v : doc.at("recent").as_array()) {
    const auto& run = v.as_object();
    if (run.at("job") == "end-contracts-of-service" && run.at("task") == task.c_str()) {
      listed = true;
      EXPECT_EQ(run.at("phase"), "dismissed");
      EXPECT_EQ(run.at("backend_status"), "done");
    }
  }
  EXPECT_TRUE(listed) << status.out;
}

TEST(EndToEnd, FailedBackendTaskExitsOneAndIsDismissed) {
  temp_dir dir;
  sandbox sb(dir.path(), {"--task-duration", "200ms:400ms", "--quiet"});
  auto config = write_config(dir / "zefortd.yaml", options_for(sb, dir.path()),
                             {example_job("doomed", "doomed", "sandbox_fail: true")});

  auto r = run_batch(config);
  EXPECT_TRUE(r.exited(1)) << r.describe();
  auto stats = sb.stats();
  EXPECT_EQ(sandbox::count(stats, "submissions"), 1u);
  EXPECT_EQ(sandbox::count(stats, "dismissals"), 1u);
  EXPECT_EQ(sandbox::count(stats, "open"), 0u);
  EXPECT_TRUE(contains(r.err, "finished: failed"));
  EXPECT_TRUE(contains(r.err, "dismissed"));
  EXPECT_TRUE(contains(r.out, "doomed"));
  EXPECT_TRUE(contains(r.out, "failed"));
  EXPECT_TRUE(contains(r.out, "1 run: 1 failed"));
}

TEST(EndToEnd, CompletedRunDoesNotBlockTheNext) {
  temp_dir dir;
  sandbox sb(dir.path(), {"--task-duration", "100ms:200ms", "--quiet"});
  auto config = write_config(dir / "zefortd.yaml", options_for(sb, dir.path()),
                             {example_job("nightly", "contracts of service")});

  auto first = run_batch(config);
  ASSERT_TRUE(first.exited(0)) << first.describe();
  auto second = run_batch(config);
  ASSERT_TRUE(second.exited(0)) << second.describe();

  auto stats = sb.stats();
  EXPECT_EQ(sandbox::count(stats, "submissions"), 2u);
  EXPECT_EQ(sandbox::count(stats, "dismissals"), 2u);
  EXPECT_EQ(sandbox::count(stats, "open"), 0u);
  EXPECT_NE(task_id_of(first.err), task_id_of(second.err));
  EXPECT_TRUE(contains(second.out, "1 run: 1 done")) << second.out;
}

TEST(EndToEnd, SecondProcessOnTheSameJournalIsRefusedAtOnce) {
  temp_dir dir;
  sandbox sb(dir.path(), {"--task-duration", "60s", "--quiet"});
  auto config = write_config(dir / "zefortd.yaml", options_for(sb, dir.path()),
                             {example_job("long", "long running")});

  child first(zefortd_bin, {"run", "-c", config.string(), "--log-level", "debug"}, key_env());
  // The first poll of the task leaves only once its id is durable (write-ahead): after it, the
  // journal holds the open run. ("submitted, task" is logged when the answer arrives, before.)
  auto polled = [](std::string_view line) {
    return line.find("GET /api/tasks/") != std::string_view::npos &&
           line.find("GET /api/tasks/ ") == std::string_view::npos;
  };
  ASSERT_TRUE(first.wait_for_stderr_line(polled, std::chrono::steady_clock::now() + 60s))
      << first.wait(1s).describe();

  // The daemon holds the key in memory: it can leave no core dump (RLIMIT_CORE 0, not dumpable).
  const std::string limits = read_file("/proc/" + std::to_string(first.pid()) + "/limits");
  EXPECT_TRUE(std::regex_search(limits, std::regex(R"(Max core file size\s+0\s+0\s)"))) << limits;

  auto second = run_zefortd({"run", "-c", config.string()}, key_env(), 30s);
  EXPECT_TRUE(second.exited(5)) << second.describe();
  EXPECT_LT(second.wall, 10s) << "the second process should give up at once";
  EXPECT_TRUE(contains(second.err, std::to_string(first.pid())))
      << "the message should name the PID holding the lock";

  // `status` reads the journal while the lock is held, and shows the open run.
  auto status = run_zefortd({"status", "--json", "-c", config.string()}, {}, 30s);
  ASSERT_TRUE(status.exited(0)) << status.describe();
  auto open = boost::json::parse(status.out).at("open").as_array();
  ASSERT_EQ(open.size(), 1u) << status.out;
  EXPECT_EQ(open[0].at("job"), "long");
  EXPECT_EQ(open[0].at("phase"), "pending");

  // The lock holder stops cleanly on SIGTERM and says how to resume.
  first.send(SIGTERM);
  auto r = first.wait(60s);
  EXPECT_TRUE(r.exited(130)) << r.describe();
  EXPECT_TRUE(contains(r.err, "run the same command again to resume"));
  EXPECT_EQ(sandbox::count(sb.stats(), "submissions"), 1u);
}

TEST(EndToEnd, ValidateAcceptsAGoodFileAndPointsAtTheMistakeInABadOne) {
  temp_dir dir;
  config_options options;
  options.base_url = "https://127.0.0.1:9/api";
  options.journal = dir / "zefortd.journal";
  auto good = write_config(dir / "good.yaml", options, numbered_jobs(3));
  auto ok = run_zefortd({"validate", "-c", good.string()}, {});
  EXPECT_TRUE(ok.exited(0)) << ok.describe();
  EXPECT_TRUE(contains(ok.out, "is valid"));
  EXPECT_TRUE(contains(ok.out, "3 jobs"));

  // A misspelt key: the message names file, line and column, and the key probably meant.
  auto text = read_file(good);
  auto at = text.find("  initial_delay:");
  ASSERT_NE(at, std::string::npos);
  text.replace(at, 16, "  initial_dealy:");
  auto bad = dir / "bad.yaml";
  {
    std::ofstream out(bad);
    out << text;
  }
  int line = 1;
  for (std::size_t i = 0; i < at; ++i) line += text[i] == '\n';
  auto r = run_zefortd({"validate", "-c", bad.string()}, {});
  EXPECT_TRUE(r.exited(2)) << r.describe();
  EXPECT_TRUE(contains(r.err, bad.string() + ":" + std::to_string(line) + ":3"));
  EXPECT_TRUE(contains(r.err, "initial_delay")) << "the message should suggest the real key";

  // A bad duration names its place too.
  text = read_file(good);
  at = text.find("timeout: 10s");
  text.replace(at, 12, "timeout: 10 parsecs");
  {
    std::ofstream out(bad, std::ios::trunc);
    out << text;
  }
  line = 1;
  for (std::size_t i = 0; i < at; ++i) line += text[i] == '\n';
  r = run_zefortd({"validate", "-c", bad.string()}, {});
  EXPECT_TRUE(r.exited(2)) << r.describe();
  EXPECT_TRUE(contains(r.err, bad.string() + ":" + std::to_string(line) + ":"));
}

}  // namespace
}  // namespace zefortd::it

namespace zefortd::it {
namespace {

TEST(EndToEnd, SighupEndsARunAsSigtermDoesWithItsSummary) {
  temp_dir dir;
  sandbox sb(dir.path(), {"--task-duration", "60s", "--quiet"});
  auto config = write_config(dir / "zefortd.yaml", options_for(sb, dir.path()),
                             {example_job("long", "long running")});
  child first(zefortd_bin, {"run", "-c", config.string()}, key_env());
  auto submitted = [](std::string_view line) {
    return line.find("job long: submitted, task") != std::string_view::npos;
  };
  ASSERT_TRUE(first.wait_for_stderr_line(submitted, std::chrono::steady_clock::now() + 60s))
      << first.wait(1s).describe();
  // A terminal closing (or `kill -HUP`) ends a batch as SIGTERM would: the summary, exit 130,
  // and the open task resumes at the next start; `run` has no configuration to reload.
  first.send(SIGHUP);
  auto r = first.wait(60s);
  EXPECT_TRUE(r.exited(130)) << r.describe();
  EXPECT_TRUE(contains(r.out, "long")) << "the summary names the job: " << r.describe();
  auto status = run_zefortd({"status", "--json", "-c", config.string()}, {}, 30s);
  ASSERT_TRUE(status.exited(0)) << status.describe();
  EXPECT_EQ(boost::json::parse(status.out).at("open").as_array().size(), 1u) << status.out;
}

TEST(EndToEnd, AReaderThatGoesAwayDoesNotEndTheBatch) {
  temp_dir dir;
  sandbox sb(dir.path(), {"--task-duration", "50ms:200ms", "--quiet"});
  auto config = write_config(dir / "zefortd.yaml", options_for(sb, dir.path()), numbered_jobs(5));
  // `head -1` leaves after the first line: every later write to the pipe fails with EPIPE,
  // which must not kill zefortd (SIGPIPE, status 141) halfway through the batch.
  const fs::path rc = dir / "zefortd.rc";
  child shell(
      "/bin/bash",
      {"-c", std::string(zefortd_bin) + " run -c '" + config.string() +
                 "' --log-level debug 2>&1 | head -1 >/dev/null; echo ${PIPESTATUS[0]} > '" +
                 rc.string() + "'"},
      key_env());
  auto r = shell.wait(120s);
  ASSERT_TRUE(r.exited(0)) << r.describe();
  EXPECT_EQ(read_file(rc), "0\n") << "zefortd's own exit status";
  const auto stats = sb.stats();
  EXPECT_EQ(sandbox::count(stats, "submissions"), 5u) << boost::json::serialize(stats);
  EXPECT_EQ(sandbox::count(stats, "dismissals"), 5u) << boost::json::serialize(stats);
}

TEST(EndToEnd, SigtermEndsARunThatWaitsOnALongRetryAfter) {
  temp_dir dir;
  // Every answer is a 429 asking for an hour: the run's only work is waiting.
  sandbox sb(dir.path(), {"--rate-429", "1", "--retry-after", "3600", "--quiet"});
  auto config = write_config(dir / "zefortd.yaml", options_for(sb, dir.path()),
                             {example_job("patient", "waits an hour")});
  child first(zefortd_bin, {"run", "-c", config.string()}, key_env());
  auto throttled = [](std::string_view line) { return line.find("429") != std::string_view::npos; };
  ASSERT_TRUE(first.wait_for_stderr_line(throttled, std::chrono::steady_clock::now() + 60s))
      << first.wait(1s).describe();
  const auto sent = std::chrono::steady_clock::now();
  first.send(SIGTERM);
  auto r = first.wait(60s);
  EXPECT_TRUE(r.exited(130)) << r.describe();
  // Not a speed figure: an hour's wait against the service manager's stop timeout.
  EXPECT_LT(std::chrono::steady_clock::now() - sent, 30s) << "the Retry-After wait held the stop";
}

// The service manager's stop: `serve` waiting on an hour's Retry-After stops at once, exit 0
// (systemd's TimeoutStopSec would otherwise kill it), and its open run resumes next start.
TEST(EndToEnd, SigtermStopsServeWhileItWaitsOnALongRetryAfter) {
  temp_dir dir;
  sandbox sb(dir.path(), {"--rate-429", "1", "--retry-after", "3600", "--quiet"});
  auto config = write_config(dir / "zefortd.yaml", options_for(sb, dir.path()),
                             {example_job("patient", "waits an hour")});
  child serve(zefortd_bin, {"serve", "-c", config.string()}, key_env());
  auto throttled = [](std::string_view line) { return line.find("429") != std::string_view::npos; };
  ASSERT_TRUE(serve.wait_for_stderr_line(throttled, std::chrono::steady_clock::now() + 60s))
      << serve.wait(1s).describe();
  const auto sent = std::chrono::steady_clock::now();
  serve.send(SIGTERM);
  auto r = serve.wait(60s);
  EXPECT_TRUE(r.exited(0)) << r.describe();
  // Not a speed figure: an hour's wait against the service manager's stop timeout.
  EXPECT_LT(std::chrono::steady_clock::now() - sent, 30s) << "the Retry-After wait held the stop";
  auto status = run_zefortd({"status", "--json", "-c", config.string()}, {}, 30s);
  ASSERT_TRUE(status.exited(0)) << status.describe();
  EXPECT_EQ(boost::json::parse(status.out).at("open").as_array().size(), 1u)
      << "the run waits in the journal for the next start: " << status.out;
}

}  // namespace
}  // namespace zefortd::it
