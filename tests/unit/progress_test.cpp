// Tests for core/progress: counts from events, the estimate of the time left, the redraw limit.
#include "core/progress.hpp"

#include <gtest/gtest.h>

namespace zefortd {
namespace {

run_report ended(std::string run, run_outcome o) {
  run_report r;
  r.run = std::move(run);
  r.job = "j";
  r.outcome = o;
  return r;
}

TEST(Progress, CountsFollowTheEventsAndTheEstimateFollowsThePace) {
  progress p(4, 0);
  EXPECT_EQ(p.peek(0),
            "0s, time left unknown | 0/4 submitted, 0 in flight, 0 done, 0 failed, 0 dismissed | "
            "0 requests, 0 retries");
  EXPECT_TRUE(p.on_event(events::submitted{"a", "j", "t1"}));
  EXPECT_TRUE(p.on_event(events::submitted{"b", "j", "t2"}));
  EXPECT_TRUE(p.on_event(events::request_done{http_method::post, "/", 201, 5}));
  EXPECT_TRUE(p.on_event(events::retry{"b", "j", "poll", "503", 100}));
  EXPECT_TRUE(p.on_event(events::dismissed{"a", "j", "t1"}));
  const run_report a = ended("a", run_outcome::dismissed);
  EXPECT_TRUE(p.on_event(events::run_ended{a}));
  const run_report c = ended("c", run_outcome::rejected);  // never submitted
  EXPECT_TRUE(p.on_event(events::run_ended{c}));
  EXPECT_FALSE(p.on_event(events::in_doubt{"b", "j"}));
  // 2 of 4 ended in 60 s: 60 s left.
  EXPECT_EQ(p.peek(60'000),
            "1m00s, ~1m00s left | 3/4 submitted, 1 in flight, 1 done, 1 failed, 1 dismissed | "
            "1 request, 1 retry");
}

TEST(Progress, AnInterruptedRunIsNotEnded) {
  progress p(1, 0);
  const run_report r = ended("a", run_outcome::none);
  EXPECT_FALSE(p.on_event(events::run_ended{r}));
  EXPECT_EQ(p.ended(), 0u);
}

TEST(Progress, RedrawnAtMostFourTimesASecond) {
  progress p(1, 0);
  EXPECT_TRUE(p.due(0));
  (void)p.line(1000);
  EXPECT_FALSE(p.due(1000));
  EXPECT_FALSE(p.due(1249));
  EXPECT_TRUE(p.due(1250));
}

TEST(Progress, ShortDurations) {
  EXPECT_EQ(short_duration(12'345), "12s");
  EXPECT_EQ(short_duration(245'000), "4m05s");
  EXPECT_EQ(short_duration(3'720'000), "1h02m");
  EXPECT_EQ(short_duration(-5), "0s");
}

}  // namespace
}  // namespace zefortd
