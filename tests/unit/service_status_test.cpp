// The STATUS= line of `serve`: what it says, when it changes, and that it goes at most once a
// second. Time is passed in; nothing sleeps.
#include "core/service_status.hpp"

#include <gtest/gtest.h>

namespace zefortd {
namespace {

// 2026-12-04T07:00:00Z and friends, in milliseconds.
constexpr unix_ms day_start = 1'796'342'400'000;  // 2026-12-04T00:00:00Z
constexpr unix_ms seven = day_start + 7 * 3'600'000;
constexpr unix_ms ms_per_day = 86'400'000;

run_report ended(std::string job, run_outcome outcome, unix_ms at, std::string detail = {}) {
  run_report r;
  r.run = job + "-run";
  r.job = std::move(job);
  r.outcome = outcome;
  r.ended = at;
  r.detail = std::move(detail);
  return r;
}

TEST(ServiceStatus, SaysOpenTasksRunsFinishedTodayAndTheNextFire) {
  service_status s;
  s.on_event(events::run_ended{ended("a", run_outcome::dismissed, seven)}, seven);
  s.on_event(events::run_ended{ended("b", run_outcome::dismissed, seven + 1000)}, seven + 1000);
  service_facts f{3, 12, sys_seconds(std::chrono::seconds((seven + 3'600'000) / 1000))};
  EXPECT_EQ(s.line(f, seven + 2000),
            "12 open tasks · 2 runs finished today · next fire 2026-12-04T08:00:00Z");
  f.open_tasks = 1;
  f.next_fire.reset();
  EXPECT_EQ(s.line(f, seven + 2000), "1 open task · 2 runs finished today · no schedule");
}

TEST(ServiceStatus, FailedRunsAreCountedAndTheirReasonIsTheLastError) {
  service_status s;
  s.on_event(events::run_ended{ended("a", run_outcome::dismissed, seven)}, seven);
  s.on_event(events::run_ended{ended("nightly", run_outcome::gave_up, seven + 5000,
                                     "still pending after 1d")},
             seven + 5000);
  EXPECT_EQ(s.line({1, 0, {}}, seven + 6000),
            "0 open tasks · 2 runs finished today, 1 failed · no schedule · last error 07:00:05Z "
            "nightly: gave up: still pending after 1d");
}

TEST(ServiceStatus, TheCountStartsAgainAtMidnightUtc) {
  service_status s;
  s.on_event(events::run_ended{ended("a", run_outcome::dismissed, seven)}, seven);
  EXPECT_NE(s.line({1, 0, {}}, seven).find("1 run finished today"), std::string::npos);
  const unix_ms tomorrow = day_start + ms_per_day + 60'000;
  EXPECT_NE(s.line({1, 0, {}}, tomorrow).find("0 runs finished today"), std::string::npos);
  s.on_event(events::run_ended{ended("a", run_outcome::dismissed, tomorrow)}, tomorrow);
  EXPECT_NE(s.line({1, 0, {}}, tomorrow).find("1 run finished today"), std::string::npos);
  // An interrupted run has not finished: it resumes.
  s.on_event(events::run_ended{ended("b", run_outcome::none, tomorrow)}, tomorrow);
  EXPECT_NE(s.line({1, 0, {}}, tomorrow).find("1 run finished today"), std::string::npos);
}

TEST(ServiceStatus, ARetryIsTheLastErrorAndAnOlderOneCarriesItsDate) {
  service_status s;
  s.on_event(events::retry{"r", "close-contracts", "submit", "HTTP 503: busy", 1000}, seven);
  EXPECT_NE(s.line({1, 0, {}}, seven).find("last error 07:00:00Z close-contracts: submit: HTTP 503"),
            std::string::npos);
  EXPECT_NE(s.line({1, 0, {}}, seven + ms_per_day)
                .find("last error 2026-12-04T07:00:00Z close-contracts: submit: HTTP 503"),
            std::string::npos);
}

TEST(ServiceStatus, ARefusedKeyComesFirstUntilItIsAccepted) {
  service_status s;
  s.on_event(events::key_refused{"HTTP 401: invalid token", 30'000}, seven);
  const std::string refused = s.line({1, 4, {}}, seven);
  EXPECT_EQ(refused.rfind("API key refused", 0), 0u) << refused;
  EXPECT_NE(refused.find("HTTP 401: invalid token"), std::string::npos) << refused;
  s.on_event(events::key_accepted{}, seven + 30'000);
  EXPECT_EQ(s.line({1, 4, {}}, seven + 30'000).rfind("4 open tasks", 0), 0u);
}

TEST(ServiceStatus, ALongErrorIsCutOnACharacterBoundary) {
  service_status s;
  std::string message(service_status::max_error_bytes - 3, 'x');
  message += "ééééé";
  s.on_event(events::retry{"r", "j", "poll", message, 0}, seven);
  const std::string line = s.line({1, 0, {}}, seven);
  const auto at = line.find("j: poll: ");
  ASSERT_NE(at, std::string::npos);
  const std::string error = line.substr(at);
  EXPECT_LE(error.size(), service_status::max_error_bytes + std::string("…").size());
  EXPECT_TRUE(error.ends_with("x…") || error.ends_with("é…")) << error;
}

TEST(ServiceStatus, AChangedLineGoesAtMostOnceASecond) {
  service_status s;
  EXPECT_EQ(s.due("a", 10'000), "a");
  EXPECT_EQ(s.due("a", 12'000), std::nullopt);  // unchanged: nothing to say
  EXPECT_EQ(s.retry_at(), steady_never);
  EXPECT_EQ(s.due("b", 12'000), "b");
  EXPECT_EQ(s.due("c", 12'400), std::nullopt);  // too soon: it waits
  EXPECT_EQ(s.retry_at(), 13'000);
  EXPECT_EQ(s.due("d", 13'000), "d");  // the newest line, when its time comes
  EXPECT_EQ(s.retry_at(), steady_never);
  // A change that went back before it could be sent is nothing to send.
  EXPECT_EQ(s.due("e", 13'100), std::nullopt);
  EXPECT_EQ(s.due("d", 13'200), std::nullopt);
  EXPECT_EQ(s.retry_at(), steady_never);
}

}  // namespace
}  // namespace zefortd
