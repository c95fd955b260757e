// Tests for the schedule book with an injected clock: @every fires at start and then each
// interval, kept across restarts by the journal; overlap skip and allow; catch_up after downtime
// (older slots missed and counted); a changed schedule starts afresh; the next wake-up.
#include "core/schedule_book.hpp"

#include <gtest/gtest.h>

#include <string>

#include "time_helpers.hpp"

namespace zefortd {
namespace {

using namespace std::chrono;
using testing_time::at;

job_config scheduled(const std::string& name, const std::string& text,
                     overlap_policy overlap = overlap_policy::skip) {
  job_config j;
  j.name = name;
  j.schedule = text;
  auto parsed = parse_schedule(text);
  EXPECT_TRUE(parsed.has_value()) << text;
  j.parsed_schedule = *parsed;
  j.overlap = overlap;
  return j;
}

unix_ms ms(sys_seconds t) {
  return duration_cast<milliseconds>(t.time_since_epoch()).count();
}

// Journals what the book decided, as the engine does.
void journal(journal_state& s, const std::vector<slot_due>& due) {
  for (const auto& d : due) ASSERT_FALSE(s.apply(d.record));
}

intent_record open_run(const std::string& job) {
  intent_record r;
  r.run = "r-" + job;
  r.job = job;
  r.revision = "rev";
  r.at = 1;
  return r;
}

TEST(ScheduleBook, EveryFiresAtStartThenEachInterval) {
  const std::vector<job_config> jobs{scheduled("tick", "@every 10s")};
  journal_state state;
  schedule_book book;
  const auto t0 = at("2025-06-01T12:00:00Z");

  auto due = book.take_due(jobs, state, t0);
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0].record.outcome, slot_outcome::fired);
  EXPECT_EQ(due[0].record.slot, ms(t0));
  journal(state, due);
  EXPECT_EQ(book.next_fire(), t0 + seconds{10});

  // Asked again before the next slot: nothing, and the same wake-up.
  EXPECT_TRUE(book.take_due(jobs, state, t0 + seconds{9}).empty());
  EXPECT_EQ(book.next_fire(), t0 + seconds{10});

  due = book.take_due(jobs, state, t0 + seconds{10} + milliseconds{300});
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0].record.slot, ms(t0 + seconds{10}));
  EXPECT_EQ(due[0].record.outcome, slot_outcome::fired);
}

TEST(ScheduleBook, NoSlotIsOfferedTwiceAcrossARestart) {
  const std::vector<job_config> jobs{scheduled("tick", "@every 10s")};
  journal_state state;
  const auto t0 = at("2025-06-01T12:00:00Z");
  {
    schedule_book book;
    journal(state, book.take_due(jobs, state, t0));
  }
  // A new process, 3 s later, with the same journal: the slot at t0 has fired; the next one is
  // t0 + 10 s, not "at start" again.
  schedule_book after_restart;
  EXPECT_TRUE(after_restart.take_due(jobs, state, t0 + seconds{3}).empty());
  EXPECT_EQ(after_restart.next_fire(), t0 + seconds{10});
}

TEST(ScheduleBook, OverlapSkipJournalsTheSlotAsSkippedAndAllowFiresIt) {
  const std::vector<job_config> jobs{scheduled("skip", "@every 1s"),
                                     scheduled("allow", "@every 1s", overlap_policy::allow)};
  journal_state state;
  ASSERT_FALSE(state.apply(open_run("skip")));
  ASSERT_FALSE(state.apply(open_run("allow")));
  schedule_book book;
  const auto due = book.take_due(jobs, state, at("2025-06-01T12:00:00Z"));
  ASSERT_EQ(due.size(), 2u);
  EXPECT_EQ(due[0].record.job, "skip");
  EXPECT_EQ(due[0].record.outcome, slot_outcome::skipped);
  EXPECT_EQ(due[1].record.job, "allow");
  EXPECT_EQ(due[1].record.outcome, slot_outcome::fired);
}

TEST(ScheduleBook, ASlotMissedWhileDownRunsWithinCatchUpAndOlderOnesAreCounted) {
  const std::vector<job_config> jobs{scheduled("hourly", "0 * * * *")};
  journal_state state;
  ASSERT_FALSE(state.apply(slot_record{"hourly", "0 * * * *", ms(at("2025-06-01T08:00:00Z")),
                                       slot_outcome::fired, 0, 1}));
  // Down from 08:10 to 12:30: 09:00, 10:00 and 11:00 passed unrun, 12:00 is 30 min old.
  schedule_book book;
  const auto due = book.take_due(jobs, state, at("2025-06-01T12:30:00Z"));
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0].record.outcome, slot_outcome::fired);
  EXPECT_EQ(due[0].record.slot, ms(at("2025-06-01T12:00:00Z")));
  EXPECT_EQ(due[0].record.missed, 3u);
  ASSERT_EQ(due[0].missed_sample.size(), 3u);
  EXPECT_EQ(due[0].missed_sample[0], at("2025-06-01T09:00:00Z"));
  journal(state, due);
  EXPECT_EQ(state.slots().at("hourly").missed, 3u);
  EXPECT_EQ(book.next_fire(), at("2025-06-01T13:00:00Z"));
}

TEST(ScheduleBook, ASlotOlderThanCatchUpIsMissedAndNotOfferedAgain) {
  auto job = scheduled("daily", "0 3 * * *");
  job.catch_up = minutes{30};
  const std::vector<job_config> jobs{job};
  journal_state state;
  ASSERT_FALSE(state.apply(slot_record{"daily", "0 3 * * *", ms(at("2025-06-01T03:00:00Z")),
                                       slot_outcome::fired, 0, 1}));
  schedule_book book;
  auto due = book.take_due(jobs, state, at("2025-06-02T05:00:00Z"));
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0].record.outcome, slot_outcome::missed);
  EXPECT_EQ(due[0].record.slot, ms(at("2025-06-02T03:00:00Z")));
  EXPECT_EQ(due[0].record.missed, 1u);
  journal(state, due);
  schedule_book after_restart;
  EXPECT_TRUE(after_restart.take_due(jobs, state, at("2025-06-02T05:01:00Z")).empty());
  EXPECT_EQ(state.slots().at("daily").missed, 1u);
}

TEST(ScheduleBook, AChangedScheduleStartsAfresh) {
  journal_state state;
  const auto t0 = at("2025-06-01T12:00:00Z");
  ASSERT_FALSE(state.apply(
      slot_record{"job", "0 3 * * *", ms(at("2025-06-01T03:00:00Z")), slot_outcome::fired, 0, 1}));
  schedule_book book;
  // Now every 6 hours: the last slot of the daily schedule does not count, so the job fires at
  // start, and hourly slots since 03:00 are not "missed".
  const auto due = book.take_due({scheduled("job", "@every 6h")}, state, t0);
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0].record.outcome, slot_outcome::fired);
  EXPECT_EQ(due[0].record.slot, ms(t0));
  EXPECT_EQ(due[0].record.missed, 0u);
}

TEST(ScheduleBook, AJobAddedByAReloadIsWatchedFromThen) {
  journal_state state;
  schedule_book book;
  EXPECT_TRUE(book.take_due({}, state, at("2025-06-01T11:00:00Z")).empty());
  EXPECT_EQ(book.next_fire(), std::nullopt);
  // Added at 12:30: the 12:00 slot was before it was watched and never ran, so it is not run.
  const std::vector<job_config> jobs{scheduled("hourly", "0 * * * *")};
  EXPECT_TRUE(book.take_due(jobs, state, at("2025-06-01T12:30:00Z")).empty());
  EXPECT_EQ(book.next_fire(), at("2025-06-01T13:00:00Z"));
}

TEST(ScheduleBook, UnscheduledJobsAreNotItsBusiness) {
  job_config plain;
  plain.name = "once";
  journal_state state;
  schedule_book book;
  EXPECT_TRUE(book.take_due({plain}, state, at("2025-06-01T12:00:00Z")).empty());
  EXPECT_EQ(book.next_fire(), std::nullopt);
}

}  // namespace
}  // namespace zefortd
