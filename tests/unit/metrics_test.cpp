// Tests for core/metrics: the registry fed by events, and its exposition read back by
// prometheus_client's parser (tests/tools/parse_metrics.py), which zefortd's code does not share.
#include "core/metrics.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <string>

#include <filesystem>
#include <unistd.h>

namespace zefortd {
namespace {

// Runs the independent parser over `text`; its output (sorted samples) or "refused: ...".
std::string parsed(const std::string& text, int* status = nullptr) {
  std::string in = (std::filesystem::temp_directory_path() / "zefortd-metrics-XXXXXX").string();
  const int fd = ::mkstemp(in.data());
  if (fd < 0) return "mkstemp failed";
  ::close(fd);
  std::ofstream(in) << text;
  const std::string command = "/usr/bin/python3 " ZEFORTD_PARSE_METRICS " < '" + in + "' 2>&1";
  std::FILE* p = ::popen(command.c_str(), "r");
  if (!p) return "popen failed";
  std::string out;
  char buf[4096];
  while (std::size_t n = std::fread(buf, 1, sizeof buf, p)) out.append(buf, n);
  const int rc = ::pclose(p);
  std::filesystem::remove(in);
  if (status) *status = rc;
  return out;
}

bool has_line(const std::string& out, const std::string& line) {
  return ("\n" + out + "\n").find("\n" + line + "\n") != std::string::npos;
}

run_report ended(std::string run, std::string job, run_outcome o, unix_ms at) {
  run_report r;
  r.run = std::move(run);
  r.job = std::move(job);
  r.outcome = o;
  r.ended = at;
  return r;
}

TEST(Metrics, AFreshRegistryParsesWithHelpAndTypeForEveryFamily) {
  metrics_registry m("1.2.3");
  int rc = -1;
  const std::string out = parsed(m.render(), &rc);
  ASSERT_EQ(rc, 0) << out;
  EXPECT_TRUE(has_line(out, "zefortd_build_info{version=1.2.3} 1")) << out;
  EXPECT_TRUE(has_line(out, "zefortd_open_tasks{} 0")) << out;
  EXPECT_TRUE(has_line(out, "zefortd_request_duration_seconds_count{} 0")) << out;
}

TEST(Metrics, TheParserRefusesAFamilyWithoutType) {
  int rc = 0;
  const std::string out = parsed("# HELP x_total a thing\nx_total 1\n", &rc);
  EXPECT_NE(rc, 0) << out;  // the check itself can fail
}

TEST(Metrics, EventsBecomeCountersGaugesAndHistograms) {
  metrics_registry m("v");
  m.set_pacing(10, 4);
  m.on_event(events::submitted{"r1", "ends", "tk-1", false}, 1'000);
  m.on_event(events::submitted{"r2", "ends", "tk-2", true}, 1'000);
  m.on_event(events::in_doubt{"r2", "ends"}, 900);
  m.on_event(events::request_done{http_method::post, "/api/x", 201, 120}, 1'000);
  m.on_event(events::request_done{http_method::get, "/api/t", 503, 40}, 1'100);
  m.on_event(events::request_done{http_method::get, "/api/t", 0, 30'000}, 1'200);
  m.on_event(events::retry{"r1", "ends", "poll", "503", 1000}, 1'200);
  m.on_event(events::finished{"r1", "ends", "tk-1", "done", "", 3}, 61'000);
  m.on_event(events::dismissed{"r1", "ends", "tk-1"}, 61'400);
  const run_report r1 = ended("r1", "ends", run_outcome::dismissed, 1'700'000'000'000);
  m.on_event(events::run_ended{r1}, 61'400);
  m.set_open_tasks(1);  // r2, by the engine's count
  m.on_event(events::slots_missed{"nightly", 2, 1'699'990'000'000, false}, 61'400);
  m.on_event(events::slot_fired{"nightly", "r3", 1'700'000'000'000}, 61'400);
  m.on_event(events::slot_skipped{"nightly", 1'700'000'060'000}, 61'500);
  m.on_event(events::slot_skipped{"nightly", 1'700'000'120'000}, 61'600);

  int rc = -1;
  const std::string out = parsed(m.render(), &rc);
  ASSERT_EQ(rc, 0) << out;
  for (const char* line : {
           "zefortd_jobs_submitted_total{job=ends} 2",
           "zefortd_tasks_done_total{job=ends} 1",
           "zefortd_tasks_dismissed_total{job=ends} 1",
           "zefortd_in_doubt_total{} 1",
           "zefortd_in_doubt_found_total{} 1",
           "zefortd_requests_total{code=2xx,method=post} 1",
           "zefortd_requests_total{code=5xx,method=get} 1",
           "zefortd_requests_total{code=none,method=get} 1",
           "zefortd_retries_total{what=poll} 1",
           "zefortd_schedule_slots_missed_total{job=nightly} 2",
           "zefortd_schedule_slots_fired_total{job=nightly} 1",
           "zefortd_schedule_slots_skipped_total{job=nightly} 2",
           "zefortd_open_tasks{} 1",  // r2 still open
           "zefortd_pacing_rate_per_second{} 10",
           "zefortd_pacing_concurrency{} 4",
           "zefortd_last_success_timestamp_seconds{job=ends} 1.7e+09",
           "zefortd_task_duration_seconds_bucket{le=60} 1",
           "zefortd_task_duration_seconds_bucket{le=15} 0",
           "zefortd_task_duration_seconds_count{} 1",
           "zefortd_dismiss_delay_seconds_bucket{le=0.5} 1",
           "zefortd_dismiss_delay_seconds_bucket{le=0.1} 0",
           "zefortd_request_duration_seconds_bucket{le=0.25} 2",
           "zefortd_request_duration_seconds_bucket{le=+Inf} 3",
           "zefortd_request_duration_seconds_sum{} 30.16",
       })
    EXPECT_TRUE(has_line(out, line)) << line << " not in\n" << out;
  EXPECT_EQ(out.find("tk-"), std::string::npos) << "no task ids in labels";
}

TEST(Metrics, FailuresLossesAndGiveUpsAreCountedApart) {
  metrics_registry m("v");
  m.on_event(events::run_ended{ended("a", "j", run_outcome::backend_failed, 1)}, 0);
  m.on_event(events::run_ended{ended("b", "j", run_outcome::rejected, 1)}, 0);
  m.on_event(events::run_ended{ended("c", "j", run_outcome::lost, 1)}, 0);
  m.on_event(events::run_ended{ended("d", "j", run_outcome::gave_up, 1)}, 0);
  m.on_event(events::resubmitted{"e", "j", "not found"}, 0);
  const std::string out = parsed(m.render());
  EXPECT_TRUE(has_line(out, "zefortd_tasks_failed_total{job=j} 2")) << out;
  EXPECT_TRUE(has_line(out, "zefortd_tasks_lost_total{job=j} 1")) << out;
  EXPECT_TRUE(has_line(out, "zefortd_tasks_gave_up_total{job=j} 1")) << out;
  EXPECT_TRUE(has_line(out, "zefortd_in_doubt_resubmitted_total{} 1")) << out;
  EXPECT_FALSE(has_line(out, "zefortd_last_success_timestamp_seconds{job=j} 0")) << out;
}

TEST(Metrics, StatusClasses) {
  EXPECT_EQ(status_class(0), "none");
  EXPECT_EQ(status_class(204), "2xx");
  EXPECT_EQ(status_class(429), "4xx");
  EXPECT_EQ(status_class(599), "5xx");
}

}  // namespace
}  // namespace zefortd
