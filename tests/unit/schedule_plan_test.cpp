// Tests for the slot planner with injected times: on-time slots, catch_up after downtime, missed
// slots counted and sampled, jobs that never fired, @every across restarts, and a DST day.
#include "core/schedule_plan.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <ctime>
#include <string>

#include "time_helpers.hpp"

namespace zefortd {
namespace {

using namespace std::chrono;
using testing_time::at;
using testing_time::scoped_tz;

schedule sched(const std::string& text) {
  auto s = parse_schedule(text);
  EXPECT_TRUE(s.has_value()) << text;
  return *s;
}

std::string show(const std::optional<sys_seconds>& t) {
  return t ? format_utc(*t) : "none";
}

std::vector<std::string> show(const std::vector<sys_seconds>& ts) {
  std::vector<std::string> out;
  for (const auto& t : ts) out.push_back(format_utc(t));
  return out;
}

slot_decision plan(const std::string& text, std::optional<std::string> last,
                   const std::string& started, system_clock::time_point now,
                   milliseconds catch_up = hours{1}, job_timezone tz = job_timezone::utc) {
  slot_query q;
  if (last) q.last_slot = at(*last);
  q.started = at(started);
  q.now = now;
  return plan_slots(sched(text), tz, catch_up, q);
}

using strings = std::vector<std::string>;

TEST(SchedulePlan, OnTimeSlotFires) {
  // The engine woke 200 ms after the slot.
  const auto d = plan("0 3 * * *", "2025-06-01T03:00:00Z", "2025-06-01T00:00:00Z",
                      at("2025-06-02T03:00:00Z") + milliseconds{200});
  EXPECT_EQ(show(d.fire), "2025-06-02T03:00:00Z");
  EXPECT_EQ(d.missed, 0u);
  EXPECT_EQ(show(d.wake), "2025-06-03T03:00:00Z");
}

TEST(SchedulePlan, NothingDueSaysWhenToWake) {
  const auto d =
      plan("0 3 * * *", "2025-06-01T03:00:00Z", "2025-06-01T00:00:00Z", at("2025-06-01T12:00:00Z"));
  EXPECT_EQ(d.fire, std::nullopt);
  EXPECT_EQ(d.missed, 0u);
  EXPECT_EQ(show(d.wake), "2025-06-02T03:00:00Z");
}

TEST(SchedulePlan, SlotWhileUpFiresEvenWithoutCatchUp) {
  // catch_up applies to slots missed while down; a late wake-up is not downtime.
  const auto d = plan("0 3 * * *", "2025-06-01T03:00:00Z", "2025-06-01T00:00:00Z",
                      at("2025-06-02T03:00:05Z"), milliseconds{0});
  EXPECT_EQ(show(d.fire), "2025-06-02T03:00:00Z");
}

TEST(SchedulePlan, SlotMissedWhileDownRunsOnceIfYoungerThanCatchUp) {
  const auto young =
      plan("0 3 * * *", "2025-06-01T03:00:00Z", "2025-06-02T03:20:00Z", at("2025-06-02T03:20:00Z"));
  EXPECT_EQ(show(young.fire), "2025-06-02T03:00:00Z");
  EXPECT_EQ(young.missed, 0u);
  EXPECT_EQ(show(young.wake), "2025-06-03T03:00:00Z");

  // Exactly catch_up old still runs; a second older does not.
  EXPECT_EQ(show(plan("0 3 * * *", "2025-06-01T03:00:00Z", "2025-06-02T04:00:00Z",
                      at("2025-06-02T04:00:00Z"))
                     .fire),
            "2025-06-02T03:00:00Z");
  const auto old =
      plan("0 3 * * *", "2025-06-01T03:00:00Z", "2025-06-02T04:00:01Z", at("2025-06-02T04:00:01Z"));
  EXPECT_EQ(old.fire, std::nullopt);
  EXPECT_EQ(old.missed, 1u);
  EXPECT_EQ(show(old.missed_sample), (strings{"2025-06-02T03:00:00Z"}));
  EXPECT_EQ(show(old.wake), "2025-06-03T03:00:00Z");
}

TEST(SchedulePlan, LongDowntimeFiresTheLatestAndCountsTheRest) {
  // Down from Jun 1 to Jun 5 03:30: slots Jun 2, 3, 4 missed, Jun 5 (30 min old) runs.
  const auto d =
      plan("0 3 * * *", "2025-06-01T03:00:00Z", "2025-06-05T03:30:00Z", at("2025-06-05T03:30:00Z"));
  EXPECT_EQ(show(d.fire), "2025-06-05T03:00:00Z");
  EXPECT_EQ(d.missed, 3u);
  EXPECT_FALSE(d.missed_capped);
  EXPECT_EQ(show(d.missed_sample),
            (strings{"2025-06-02T03:00:00Z", "2025-06-03T03:00:00Z", "2025-06-04T03:00:00Z"}));
  // With catch_up 10m nothing runs and all four are missed; the sample keeps the oldest three.
  const auto late = plan("0 3 * * *", "2025-06-01T03:00:00Z", "2025-06-05T03:30:00Z",
                         at("2025-06-05T03:30:00Z"), minutes{10});
  EXPECT_EQ(late.fire, std::nullopt);
  EXPECT_EQ(late.missed, 4u);
  EXPECT_EQ(late.missed_sample.size(), max_missed_sample);
  EXPECT_EQ(show(late.wake), "2025-06-06T03:00:00Z");
}

TEST(SchedulePlan, ManyMissedSlotsAreCountedUpToTheCap) {
  const auto started = steady_clock::now();
  const auto d =
      plan("* * * * *", "2025-01-01T00:00:00Z", "2025-03-01T00:00:30Z", at("2025-03-01T00:00:30Z"));
  EXPECT_EQ(show(d.fire), "2025-03-01T00:00:00Z");
  EXPECT_EQ(d.missed, max_missed_counted);
  EXPECT_TRUE(d.missed_capped);
  EXPECT_EQ(show(d.missed_sample).front(), "2025-01-01T00:01:00Z");
  EXPECT_EQ(show(d.wake), "2025-03-01T00:01:00Z");
  EXPECT_LT(steady_clock::now() - started, seconds{2});
}

TEST(SchedulePlan, JobThatNeverFiredStartsFromTheStart) {
  // No slot before the start counts, however recent.
  const auto first =
      plan("0 3 * * *", std::nullopt, "2025-06-02T03:10:00Z", at("2025-06-02T03:10:00Z"));
  EXPECT_EQ(first.fire, std::nullopt);
  EXPECT_EQ(first.missed, 0u);
  EXPECT_EQ(show(first.wake), "2025-06-03T03:00:00Z");
  // At the wake-up the slot fires, still without a last slot.
  const auto then = plan("0 3 * * *", std::nullopt, "2025-06-02T03:10:00Z",
                         at("2025-06-03T03:00:00Z") + milliseconds{5});
  EXPECT_EQ(show(then.fire), "2025-06-03T03:00:00Z");
  // A slot exactly at the start is due.
  EXPECT_EQ(
      show(
          plan("0 3 * * *", std::nullopt, "2025-06-02T03:00:00Z", at("2025-06-02T03:00:00Z")).fire),
      "2025-06-02T03:00:00Z");
}

TEST(SchedulePlan, NoSlotTwiceEvenWhenTheClockStepsBack) {
  const auto d =
      plan("0 3 * * *", "2025-06-02T03:00:00Z", "2025-06-02T02:00:00Z", at("2025-06-02T02:30:00Z"));
  EXPECT_EQ(d.fire, std::nullopt);
  EXPECT_EQ(show(d.wake), "2025-06-03T03:00:00Z");
  const auto e = plan("@every 10m", "2025-06-02T03:00:00Z", "2025-06-02T02:00:00Z",
                      at("2025-06-02T02:30:00Z"));
  EXPECT_EQ(e.fire, std::nullopt);
  EXPECT_EQ(show(e.wake), "2025-06-02T03:10:00Z");
}

TEST(SchedulePlan, EveryFiresAtStartThenEachInterval) {
  const auto start = plan("@every 10m", std::nullopt, "2025-06-02T12:00:00Z",
                          at("2025-06-02T12:00:00Z") + milliseconds{500});
  EXPECT_EQ(show(start.fire), "2025-06-02T12:00:00Z");
  EXPECT_EQ(show(start.wake), "2025-06-02T12:10:00Z");
  const auto next = plan("@every 10m", "2025-06-02T12:00:00Z", "2025-06-02T12:00:00Z",
                         at("2025-06-02T12:10:00Z") + milliseconds{100});
  EXPECT_EQ(show(next.fire), "2025-06-02T12:10:00Z");
  EXPECT_EQ(next.missed, 0u);
  EXPECT_EQ(show(next.wake), "2025-06-02T12:20:00Z");
  const auto early = plan("@every 10m", "2025-06-02T12:00:00Z", "2025-06-02T12:00:00Z",
                          at("2025-06-02T12:09:59Z"));
  EXPECT_EQ(early.fire, std::nullopt);
  EXPECT_EQ(show(early.wake), "2025-06-02T12:10:00Z");
}

TEST(SchedulePlan, EveryAcrossARestartKeepsTheJournaledGrid) {
  // Last slot 12:00, down until 15:05: slots 12:10 … 15:00; 15:00 is 5 minutes old and runs.
  const auto d = plan("@every 10m", "2025-06-02T12:00:00Z", "2025-06-02T15:05:00Z",
                      at("2025-06-02T15:05:00Z"));
  EXPECT_EQ(show(d.fire), "2025-06-02T15:00:00Z");
  EXPECT_EQ(d.missed, 17u);
  EXPECT_EQ(show(d.missed_sample),
            (strings{"2025-06-02T12:10:00Z", "2025-06-02T12:20:00Z", "2025-06-02T12:30:00Z"}));
  EXPECT_EQ(show(d.wake), "2025-06-02T15:10:00Z");
  const auto strict = plan("@every 10m", "2025-06-02T12:00:00Z", "2025-06-02T15:05:00Z",
                           at("2025-06-02T15:05:00Z"), minutes{1});
  EXPECT_EQ(strict.fire, std::nullopt);
  EXPECT_EQ(strict.missed, 18u);
  EXPECT_EQ(show(strict.wake), "2025-06-02T15:10:00Z");
}

TEST(SchedulePlan, SkippedLocalTimeFiresAfterTheChange) {
  scoped_tz tz("Europe/Helsinki");
  // 03:30 does not exist on Mar 30 2025 in Helsinki: the slot is 04:00 EEST (01:00Z).
  const auto d = plan("30 3 * * *", "2025-03-29T01:30:00Z", "2025-03-29T00:00:00Z",
                      at("2025-03-30T01:00:10Z"), hours{1}, job_timezone::local);
  EXPECT_EQ(show(d.fire), "2025-03-30T01:00:00Z");
  EXPECT_EQ(show(d.wake), "2025-03-31T00:30:00Z");
  // And after it fired, the second 03:30 of the fall-back day is not a slot.
  const auto fall = plan("30 3 * * *", "2025-10-26T00:30:00Z", "2025-10-26T00:00:00Z",
                         at("2025-10-26T01:45:00Z"), hours{1}, job_timezone::local);
  EXPECT_EQ(fall.fire, std::nullopt);
  EXPECT_EQ(show(fall.wake), "2025-10-27T01:30:00Z");
}

}  // namespace
}  // namespace zefortd
