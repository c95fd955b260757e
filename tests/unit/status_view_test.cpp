// Tests for core/status_view: what `status` shows from a journal state, a configuration and a
// time: open tasks with their estimated polls, the last runs per job, possible duplicates and
// schedules.
#include "core/status_view.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include "core/schedule.hpp"

namespace zefortd {
namespace {

using namespace std::chrono_literals;

intent_record intent(std::string run, std::string job, unix_ms at) {
  intent_record r;
  r.run = std::move(run);
  r.job = std::move(job);
  r.revision = "rev";
  r.endpoint = "contracts/bulk_update/";
  r.body = boost::json::parse(R"({"status":"done","search":{}})").as_object();
  r.at = at;
  return r;
}

void apply_all(journal_state& s, const std::vector<journal_record>& records) {
  for (const auto& r : records) {
    auto problem = s.apply(r);
    ASSERT_FALSE(problem) << *problem;
  }
}

std::chrono::system_clock::time_point at_ms(unix_ms ms) {
  return std::chrono::system_clock::time_point(std::chrono::milliseconds(ms));
}

config polling_2s_doubling() {
  config cfg;
  cfg.polling.initial_delay = 2s;
  cfg.polling.max_delay = 8s;
  cfg.polling.multiplier = 2;
  return cfg;
}

TEST(StatusView, OpenTaskShowsAgeAndThePollsItsBackoffMadeSoFar) {
  journal_state s;
  const unix_ms t0 = 1'700'000'000'000;
  apply_all(s, {intent("r1", "ends", t0), submitted_record{"r1", "tk-1", false, t0 + 1000}});
  // Mean waits 3/4 of 2s, 4s, 8s, 8s...: polls at +1.5s, +4.5s, +10.5s, +16.5s.
  auto v = make_status_view(s, polling_2s_doubling(), at_ms(t0 + 1000 + 11'000));
  ASSERT_EQ(v.open.size(), 1u);
  const auto& row = v.open[0];
  EXPECT_EQ(row.job, "ends");
  EXPECT_EQ(row.task, "tk-1");
  EXPECT_EQ(row.outcome, "pending");
  EXPECT_EQ(row.age, 11s);
  ASSERT_TRUE(row.polls);
  EXPECT_EQ(*row.polls, 3u);
  ASSERT_TRUE(row.next_poll);
  EXPECT_EQ(*row.next_poll, t0 + 1000 + 16'500);
}

TEST(StatusView, ASubmissionWithoutTaskIdHasNoPollEstimate) {
  journal_state s;
  apply_all(s, {intent("r1", "ends", 1000)});
  auto v = make_status_view(s, polling_2s_doubling(), at_ms(5000));
  ASSERT_EQ(v.open.size(), 1u);
  EXPECT_EQ(v.open[0].outcome, "submitting");
  EXPECT_FALSE(v.open[0].polls);
  EXPECT_FALSE(v.open[0].next_poll);
  EXPECT_EQ(v.open[0].age, 4s);
}

TEST(StatusView, LastRunsAreKeptPerJobNewestFirstInConfigurationOrder) {
  journal_state s;
  std::vector<journal_record> records;
  for (int i = 0; i < 5; ++i) {
    const std::string run = "a" + std::to_string(i);
    records.push_back(intent(run, "alpha", 100 + i));
    records.push_back(submitted_record{run, "tk-" + run, false, 200 + i});
    records.push_back(finished_record{run, "done", "", std::uint64_t(i), 300 + i});
    records.push_back(dismissed_record{run, 400 + i});
  }
  records.push_back(intent("b0", "beta", 50));
  records.push_back(failed_record{"b0", 400, "bad search", 60});
  apply_all(s, records);
  config cfg = polling_2s_doubling();
  cfg.jobs.resize(2);
  cfg.jobs[0].name = "beta";
  cfg.jobs[1].name = "alpha";
  auto v = make_status_view(s, cfg, at_ms(1000));
  ASSERT_EQ(v.last_runs.size(), 1u + last_runs_per_job);
  EXPECT_EQ(v.last_runs[0].job, "beta");
  EXPECT_EQ(v.last_runs[0].outcome, "rejected");
  EXPECT_EQ(v.last_runs[0].detail, "bad search");
  EXPECT_EQ(v.last_runs[1].run, "a4");
  EXPECT_EQ(v.last_runs[1].contracts, 4u);
  EXPECT_EQ(v.last_runs[1].outcome, "done");
  EXPECT_EQ(v.last_runs[3].run, "a2");
  EXPECT_TRUE(v.open.empty());
}

TEST(StatusView, AMarkedRunIsAPossibleDuplicateWithBothTasks) {
  journal_state s;
  apply_all(s, {intent("r1", "ends", 100), resubmit_record{"r1", "not in the list", 110},
                duplicate_record{"r1", "in doubt; tk-8 could be its own", {"tk-8"}, 111},
                submitted_record{"r1", "tk-9", false, 120}, intent("r2", "ends", 130),
                resubmit_record{"r2", "not in the list", 140}});
  auto v = make_status_view(s, polling_2s_doubling(), at_ms(1000));
  ASSERT_EQ(v.duplicates.size(), 1u) << "a resubmission the engine did not mark is not one";
  EXPECT_EQ(v.duplicates[0].run, "r1");
  EXPECT_EQ(v.duplicates[0].tasks, (std::vector<std::string>{"tk-9", "tk-8"}));
  EXPECT_EQ(v.duplicates[0].reason, "in doubt; tk-8 could be its own");
  ASSERT_EQ(v.open.size(), 2u);
  EXPECT_TRUE(v.open[0].possible_duplicate);
  EXPECT_FALSE(v.open[1].possible_duplicate);
}

TEST(StatusView, SchedulesShowTheirNextFire) {
  config cfg = polling_2s_doubling();
  cfg.jobs.resize(3);
  cfg.jobs[0].name = "nightly";
  cfg.jobs[0].schedule = "0 3 * * *";
  cfg.jobs[0].parsed_schedule = parse_schedule("0 3 * * *").value();
  cfg.jobs[1].name = "adhoc";
  cfg.jobs[2].name = "often";
  cfg.jobs[2].schedule = "@every 6h";
  cfg.jobs[2].parsed_schedule = parse_schedule("@every 6h").value();
  // 2026-12-02T05:00:00Z
  const auto now = std::chrono::sys_days(std::chrono::year(2026) / 12 / 2) + 5h;
  auto v = make_status_view(journal_state{}, cfg, now);
  ASSERT_EQ(v.schedules.size(), 2u);
  EXPECT_EQ(v.schedules[0].job, "nightly");
  ASSERT_TRUE(v.schedules[0].next_fire);
  EXPECT_EQ(format_utc(*v.schedules[0].next_fire), "2026-12-03T03:00:00Z");
  EXPECT_EQ(v.schedules[0].timezone, "utc");
  EXPECT_EQ(v.schedules[0].missed, 0u) << "no slot records: nothing missed";
  EXPECT_EQ(v.schedules[1].job, "often");
  EXPECT_TRUE(v.schedules[1].next_fire_at_start);
}

TEST(StatusView, SlotRecordsGiveMissedSlotsAndTheNextEveryFire) {
  config cfg = polling_2s_doubling();
  cfg.jobs.resize(2);
  cfg.jobs[0].name = "nightly";
  cfg.jobs[0].schedule = "0 3 * * *";
  cfg.jobs[0].parsed_schedule = parse_schedule("0 3 * * *").value();
  cfg.jobs[1].name = "often";
  cfg.jobs[1].schedule = "@every 6h";
  cfg.jobs[1].parsed_schedule = parse_schedule("@every 6h").value();
  const auto day = std::chrono::sys_days(std::chrono::year(2026) / 12 / 2);
  const auto ms = [](std::chrono::system_clock::time_point t) -> unix_ms {
    return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
  };
  journal_state s;
  apply_all(s, {slot_record{"nightly", "0 3 * * *", ms(day - 24h + 3h), slot_outcome::missed, 2, 0},
                slot_record{"nightly", "0 3 * * *", ms(day + 3h), slot_outcome::fired, 1, 0},
                slot_record{"often", "@every 6h", ms(day + 1h), slot_outcome::fired, 0, 0}});
  auto v = make_status_view(s, cfg, day + 5h);
  ASSERT_EQ(v.schedules.size(), 2u);
  EXPECT_EQ(v.schedules[0].missed, 3u) << "the totals of every slot record";
  ASSERT_TRUE(v.schedules[0].next_fire);
  EXPECT_EQ(format_utc(*v.schedules[0].next_fire), "2026-12-03T03:00:00Z");
  EXPECT_FALSE(v.schedules[1].next_fire_at_start) << "it fired before: counts from that slot";
  ASSERT_TRUE(v.schedules[1].next_fire);
  EXPECT_EQ(format_utc(*v.schedules[1].next_fire), "2026-12-02T07:00:00Z");

  // The schedule changed since: its slots, and what they missed, say nothing any more.
  cfg.jobs[0].schedule = "0 4 * * *";
  cfg.jobs[0].parsed_schedule = parse_schedule("0 4 * * *").value();
  v = make_status_view(s, cfg, day + 5h);
  EXPECT_EQ(v.schedules[0].missed, 0u);
}

TEST(JournalStateSlots, AChangedScheduleStartsTheMissedCountAfresh) {
  journal_state s;
  apply_all(s, {slot_record{"j", "0 3 * * *", 1000, slot_outcome::missed, 5, 0},
                slot_record{"j", "0 4 * * *", 2000, slot_outcome::fired, 1, 0}});
  EXPECT_EQ(s.slots().at("j").missed, 1u);
}

}  // namespace
}  // namespace zefortd
