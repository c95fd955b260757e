// Tests for the engine's census of the task list (api.exclusive) and the orphans of in-doubt
// POSTs: the list is read before the first submission, an unknown finished task is adopted only
// when it can be told whose it is, and otherwise the run is sent again, marked, and the task is
// dismissed once it finishes. Without `exclusive`, unknown tasks are left alone.
#include <gtest/gtest.h>

#include "engine_driver.hpp"

namespace zefortd {
namespace {

using namespace engine_testing;

config exclusive_config(int jobs) {
  config cfg = make_config(jobs);
  cfg.api.exclusive = true;
  return cfg;
}

std::string list_of(const std::vector<std::string>& tasks) {
  json::array a;
  for (const auto& t : tasks) a.push_back(json::parse(t));
  return json::serialize(a);
}

transport_result broken_after_send() {
  transport_result r;
  r.ec = make_error_code(boost::system::errc::connection_reset);
  r.maybe_sent = true;
  return r;
}

template <class R>
std::vector<R> records_of(const driver& d) {
  std::vector<R> out;
  for (const auto& r : d.records)
    if (const auto* x = std::get_if<R>(&r)) out.push_back(*x);
  return out;
}

bool sent_to(const driver& d, http_method m, const std::string& target) {
  for (const auto& r : d.sent)
    if (r.method == m && r.target == target) return true;
  return false;
}

TEST(EngineCensus, TheListIsReadBeforeTheFirstSubmission) {
  driver d(exclusive_config(1));
  d.e.start_batch({"job-0"}, d.now());
  d.drain();
  d.sync();
  ASSERT_EQ(d.sent.size(), 1u) << "only the census page leaves";
  EXPECT_EQ(d.sent[0].method, http_method::get);
  EXPECT_EQ(d.sent[0].target, "/api/tasks/");
  EXPECT_EQ(d.count_records<intent_record>(), 0u);
  d.reply(d.take(), answer(200, list_of({task_json("old-1", "done")})));
  auto census = records_of<census_record>(d);
  ASSERT_EQ(census.size(), 1u);
  EXPECT_EQ(census[0].tasks, std::vector<std::string>{"old-1"});
  d.sync();
  ASSERT_EQ(d.sent.size(), 1u);
  EXPECT_EQ(d.sent[0].method, http_method::post) << "the submission follows the census";
  EXPECT_FALSE(sent_to(d, http_method::patch, "/api/tasks/old-1/"))
      << "a task of the census is not ours";
}

TEST(EngineCensus, AFailedCensusIsTriedAgainAndNothingIsSubmittedMeanwhile) {
  driver d(exclusive_config(1));
  d.e.start_batch({"job-0"}, d.now());
  d.drain();
  d.sync();
  d.reply(d.take(), answer(503, "busy"));
  EXPECT_TRUE(d.sent.empty());
  EXPECT_EQ(d.count_records<census_record>(), 0u);
  d.advance_to_timer();
  ASSERT_EQ(d.sent.size(), 1u);
  EXPECT_EQ(d.sent[0].target, "/api/tasks/");
}

// r-1's POST broke after it was sent; the journal has a census that holds old-1.
std::vector<journal_record> in_doubt_with_census() {
  return {census_record{{"old-1"}, wall0 - 5000}, batch_record{"b-1", {"job-0"}, wall0 - 2000},
          intent("r-1", 0, "b-1")};
}

TEST(EngineCensus, TheOneUnknownFinishedTaskIsTheInDoubtRunsOwn) {
  driver d(exclusive_config(1), state_of(in_doubt_with_census()));
  d.e.start_batch({}, d.now());
  d.drain();
  ASSERT_EQ(d.sent.size(), 1u);
  // The task finished: its details.data no longer holds the body, so it cannot be matched.
  d.reply(d.take(), answer(200, list_of({task_json("old-1", "done"), task_json("tk-9", "done")})));
  auto adopted = records_of<submitted_record>(d);
  ASSERT_EQ(adopted.size(), 1u);
  EXPECT_EQ(adopted[0].run, "r-1");
  EXPECT_EQ(adopted[0].task, "tk-9");
  EXPECT_TRUE(adopted[0].adopted);
  EXPECT_EQ(d.count_records<resubmit_record>(), 0u);
  EXPECT_EQ(d.count_records<duplicate_record>(), 0u);
  d.sync();
  EXPECT_TRUE(sent_to(d, http_method::get, "/api/tasks/tk-9/")) << "then polled and dismissed";
}

TEST(EngineCensus, TwoUnknownTasksForOneRunAreOrphansAndTheRunIsSentAgainMarked) {
  driver d(exclusive_config(1), state_of(in_doubt_with_census()));
  d.e.start_batch({}, d.now());
  d.drain();
  d.reply(d.take(), answer(200, list_of({task_json("tk-8", "done"), task_json("tk-9", "done")})));
  EXPECT_EQ(d.count_records<resubmit_record>(), 1u);
  auto marks = records_of<duplicate_record>(d);
  ASSERT_EQ(marks.size(), 1u);
  EXPECT_EQ(marks[0].run, "r-1");
  EXPECT_EQ(marks[0].tasks, (std::vector<std::string>{"tk-8", "tk-9"}));
  EXPECT_EQ(records_of<orphan_record>(d).size(), 2u);
  d.sync();
  EXPECT_TRUE(sent_to(d, http_method::post, "/api/contracts/bulk_update/"));
  ASSERT_TRUE(sent_to(d, http_method::get, "/api/tasks/tk-8/"));
  ASSERT_TRUE(sent_to(d, http_method::get, "/api/tasks/tk-9/"));
  // An orphan that has finished is dismissed, and the journal says so.
  for (std::size_t i = 0; i < d.sent.size(); ++i)
    if (d.sent[i].target == "/api/tasks/tk-8/") {
      d.reply(d.take(i), answer(200, task_json("tk-8", "done")));
      break;
    }
  ASSERT_TRUE(sent_to(d, http_method::patch, "/api/tasks/tk-8/"));
  for (std::size_t i = 0; i < d.sent.size(); ++i)
    if (d.sent[i].method == http_method::patch) {
      d.reply(d.take(i), answer(204, ""));
      break;
    }
  bool dismissed = false;
  for (const auto& o : records_of<orphan_record>(d))
    dismissed = dismissed || (o.task == "tk-8" && o.dismissed);
  EXPECT_TRUE(dismissed);
}

TEST(EngineCensus, APostInFlightWhileTheListIsReadHoldsTheVerdictUntilItAnswers) {
  // Census taken, two fresh jobs: both POSTs leave; one breaks, the other is still in flight
  // when the lookup's list shows two finished tasks nobody knows.
  driver d(exclusive_config(2), state_of({census_record{{}, wall0 - 5000}}));
  d.e.start_batch({"job-0", "job-1"}, d.now());
  d.drain();
  d.sync();
  d.reply(d.take(), answer(200, "[]"));  // this process's first read of the list
  d.sync();
  ASSERT_EQ(d.sent.size(), 2u);
  auto a = d.take(0), b = d.take(0);
  d.reply(a, broken_after_send());
  ASSERT_EQ(d.sent.size(), 1u);
  auto page = d.take();
  ASSERT_EQ(page.target, "/api/tasks/");
  d.reply(page, answer(200, list_of({task_json("tk-a", "done"), task_json("tk-b", "done")})));
  EXPECT_EQ(d.count_records<submitted_record>(), 0u) << "b's answer decides";
  EXPECT_EQ(d.count_records<resubmit_record>(), 0u);
  d.reply(b, answer(201, task_json("tk-b", "pending")));
  auto subs = records_of<submitted_record>(d);
  ASSERT_EQ(subs.size(), 2u);
  EXPECT_EQ(subs[1].task, "tk-a");
  EXPECT_TRUE(subs[1].adopted);
  EXPECT_EQ(d.count_records<resubmit_record>(), 0u);
}

TEST(EngineCensus, APostThatBreaksWhileTheListIsReadDefersTheVerdict) {
  driver d(exclusive_config(2), state_of({census_record{{}, wall0 - 5000}}));
  d.e.start_batch({"job-0", "job-1"}, d.now());
  d.drain();
  d.sync();
  d.reply(d.take(), answer(200, "[]"));
  d.sync();
  auto a = d.take(0), b = d.take(0);
  d.reply(a, broken_after_send());
  auto page = d.take();
  d.reply(b, broken_after_send());  // b goes in doubt while a's lookup pages
  d.reply(page, answer(200, list_of({task_json("tk-a", "done"), task_json("tk-b", "done")})));
  EXPECT_EQ(d.count_records<submitted_record>(), 0u) << "either task could be either run's";
  EXPECT_EQ(d.count_records<resubmit_record>(), 0u);
  // The next round looks for both: two unknown finished tasks, two runs, each applied once.
  d.sync();
  ASSERT_EQ(d.sent.size(), 1u);
  d.reply(d.take(), answer(200, list_of({task_json("tk-a", "done"), task_json("tk-b", "done")})));
  EXPECT_EQ(d.count_records<submitted_record>(), 2u);
  EXPECT_EQ(d.count_records<resubmit_record>(), 0u);
  EXPECT_EQ(d.count_records<duplicate_record>(), 0u);
}

// Several runs in doubt, fewer tasks nobody owns than runs and one still pending: which run owns
// which cannot be told, so all are sent again and marked; each reason says how many of them can
// really have been applied twice (an operator checks two jobs, not three).
TEST(EngineCensus, MarkedRunsSayHowManyOfThemCanHaveBeenAppliedTwice) {
  driver d(exclusive_config(3),
           state_of({census_record{{}, wall0 - 9000},
                     batch_record{"b-1", {"job-0", "job-1", "job-2"}, wall0 - 5000},
                     intent("r-0", 0, "b-1"), intent("r-1", 1, "b-1"), intent("r-2", 2, "b-1")}));
  d.e.start_batch({}, d.now());
  d.drain();
  ASSERT_EQ(d.sent.size(), 1u);
  d.reply(d.take(),
          answer(200, list_of({task_json("tk-x", "done"), task_json("tk-y", "pending")})));
  d.sync();
  EXPECT_EQ(d.count_records<resubmit_record>(), 3u);
  const auto marks = records_of<duplicate_record>(d);
  ASSERT_EQ(marks.size(), 3u);
  for (const auto& m : marks)
    EXPECT_NE(
        m.reason.find("2 tasks nobody owns, shared by 3 runs: at most 2 of them applied twice"),
        std::string::npos)
        << m.reason;
}

TEST(EngineCensus, OrphansInTheJournalAreDismissedOnTheNextStart) {
  driver d(exclusive_config(0),
           state_of({census_record{{}, wall0 - 5000}, orphan_record{"tk-7", false, wall0 - 100}}));
  d.e.start_batch({}, d.now());
  d.drain();
  ASSERT_TRUE(sent_to(d, http_method::get, "/api/tasks/tk-7/"));
  for (std::size_t i = 0; i < d.sent.size(); ++i)
    if (d.sent[i].target == "/api/tasks/tk-7/") {
      d.reply(d.take(i), answer(200, task_json("tk-7", "done")));
      break;
    }
  // The census round of this start closes the gate until it has read the list.
  if (!d.sent.empty() && d.sent[0].target == "/api/tasks/") d.reply(d.take(), answer(200, "[]"));
  d.sync();
  ASSERT_TRUE(sent_to(d, http_method::patch, "/api/tasks/tk-7/"));
}

TEST(EngineCensus, WithoutExclusiveAnUnknownFinishedTaskIsLeftAloneAndTheResubmissionMarked) {
  driver d(make_config(1),
           state_of({batch_record{"b-1", {"job-0"}, wall0 - 2000}, intent("r-1", 0, "b-1")}));
  d.e.start_batch({}, d.now());
  d.drain();
  d.reply(d.take(), answer(200, list_of({task_json("tk-9", "done")})));
  EXPECT_EQ(d.count_records<resubmit_record>(), 1u);
  auto marks = records_of<duplicate_record>(d);
  ASSERT_EQ(marks.size(), 1u);
  EXPECT_FALSE(marks[0].reason.empty());
  EXPECT_EQ(d.count_records<orphan_record>(), 0u);
  d.sync();
  EXPECT_FALSE(sent_to(d, http_method::patch, "/api/tasks/tk-9/"));
  EXPECT_FALSE(sent_to(d, http_method::get, "/api/tasks/tk-9/"));
}

}  // namespace
}  // namespace zefortd
