// Tests for core/journal_state: replay into run phases, refusal of contradicting records, the
// orchestrator's queries, and live_records() (replaying it rebuilds the same open work).
#include "core/journal_state.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <boost/json/parse.hpp>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "core/run_machine.hpp"

namespace zefortd {
namespace {

intent_record intent(std::string run, unix_ms at, std::string batch = "", std::string job = "job",
                     bool dismiss = true) {
  intent_record r;
  r.run = std::move(run);
  r.job = std::move(job);
  r.revision = "rev-" + r.job;
  r.batch = std::move(batch);
  r.endpoint = "contracts/bulk_update/";
  r.body = boost::json::parse(R"({"status":"done","search":{"q":")" + r.run + R"("}})").as_object();
  r.dismiss = dismiss;
  r.at = at;
  return r;
}

void apply_all(journal_state& s, const std::vector<journal_record>& records) {
  for (const auto& r : records) {
    auto problem = s.apply(r);
    ASSERT_FALSE(problem) << *problem;
  }
}

std::vector<std::string> ids(const std::vector<const run_state*>& runs) {
  std::vector<std::string> out;
  for (const auto* r : runs) out.push_back(r->intent.run);
  return out;
}

TEST(JournalState, ReplayFollowsARunThroughEveryPhase) {
  journal_state s;
  apply_all(s, {intent("r-1", 100)});
  const run_state* r = s.find_run("r-1");
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->phase, run_phase::intended);
  EXPECT_TRUE(r->open());
  EXPECT_TRUE(r->task.empty());

  apply_all(s, {resubmit_record{"r-1", "in doubt", 110}});
  EXPECT_EQ(r->resubmits, 1u);
  EXPECT_EQ(r->phase, run_phase::intended);

  apply_all(s, {submitted_record{"r-1", "tk-1", true, 120}});
  EXPECT_EQ(r->phase, run_phase::submitted);
  EXPECT_EQ(r->task, "tk-1");
  EXPECT_TRUE(r->adopted);
  EXPECT_EQ(r->submitted_at, 120);
  EXPECT_TRUE(s.task_known("tk-1"));

  apply_all(s, {finished_record{"r-1", "done", "all good", 12, 130}});
  EXPECT_EQ(r->phase, run_phase::finished);
  EXPECT_EQ(r->backend_status, "done");
  EXPECT_EQ(r->backend_info, "all good");
  EXPECT_EQ(r->contracts, 12u);
  EXPECT_EQ(r->ended_at, 130);
  EXPECT_TRUE(r->open()) << "the dismissal is still to do";
  EXPECT_FALSE(r->backend_failed());

  apply_all(s, {dismissed_record{"r-1", 140}});
  EXPECT_EQ(r->phase, run_phase::dismissed);
  EXPECT_FALSE(r->open());
  EXPECT_TRUE(s.open_runs().empty());
}

// A run ending in each way there is: rejected, lost, gave up, failed by the backend and kept.
std::vector<journal_record> ends_of_runs() {
  return {intent("rejected", 1),
          failed_record{"rejected", 400, "bad", 2},
          intent("lost", 3),
          submitted_record{"lost", "tk-l", false, 4},
          failed_record{"lost", 404, "gone", 5},
          intent("gave-up", 6),
          submitted_record{"gave-up", "tk-g", false, 7},
          gave_up_record{"gave-up", 8},
          intent("kept", 9, "", "job", false),
          submitted_record{"kept", "tk-k", false, 10},
          finished_record{"kept", "error", "boom", 0, 11}};
}

TEST(JournalState, EndsOfARun) {
  journal_state s;
  apply_all(s, ends_of_runs());
  EXPECT_EQ(s.find_run("rejected")->phase, run_phase::failed);
  EXPECT_EQ(s.find_run("rejected")->http_status, 400u);
  EXPECT_EQ(s.find_run("rejected")->failure, "bad");
  EXPECT_EQ(s.find_run("lost")->phase, run_phase::failed);
  EXPECT_EQ(s.find_run("lost")->ended_at, 5);
  EXPECT_EQ(s.find_run("gave-up")->phase, run_phase::gave_up);
  EXPECT_EQ(s.find_run("kept")->phase, run_phase::finished);
  EXPECT_TRUE(s.find_run("kept")->backend_failed());
  EXPECT_FALSE(s.find_run("kept")->open()) << "dismiss: false, nothing left to do";
  EXPECT_TRUE(s.open_runs().empty());
}

TEST(JournalState, RefusesRecordsForUnknownRuns) {
  journal_state s;
  apply_all(s, {intent("r-1", 1)});
  const std::vector<journal_record> orphans = {
      submitted_record{"r-2", "tk", false, 1},  resubmit_record{"r-2", "", 1},
      finished_record{"r-2", "done", "", 0, 1}, dismissed_record{"r-2", 1},
      failed_record{"r-2", 400, "", 1},         gave_up_record{"r-2", 1}};
  for (const auto& r : orphans) {
    auto problem = s.apply(r);
    ASSERT_TRUE(problem);
    EXPECT_NE(problem->find("r-2"), std::string::npos) << *problem;
  }
  EXPECT_FALSE(s.task_known("tk"));
  EXPECT_EQ(s.runs().size(), 1u);
  EXPECT_EQ(s.find_run("r-1")->phase, run_phase::intended);
}

TEST(JournalState, RefusesADuplicateIntentAndAnUnknownBatchEnd) {
  journal_state s;
  apply_all(s, {intent("r-1", 1)});
  auto problem = s.apply(intent("r-1", 2));
  ASSERT_TRUE(problem);
  EXPECT_NE(problem->find("duplicate"), std::string::npos);
  EXPECT_EQ(s.find_run("r-1")->intent.at, 1);

  problem = s.apply(batch_end_record{"b-x", 3});
  ASSERT_TRUE(problem);
  EXPECT_NE(problem->find("b-x"), std::string::npos);
}

TEST(JournalState, OpenRunsAndBatches) {
  journal_state s;
  apply_all(s, {batch_record{"b-1", {"a", "b"}, 1}, intent("a1", 2, "b-1", "a"),
                intent("b1", 3, "b-1", "b"), submitted_record{"a1", "tk-a", false, 4},
                batch_record{"b-2", {"c"}, 5}, intent("c1", 6, "b-2", "c"),
                failed_record{"c1", 400, "bad", 7}, batch_end_record{"b-2", 8},
                intent("s1", 9, "", "serve-job")});
  EXPECT_EQ(ids(s.open_runs()), (std::vector<std::string>{"a1", "b1", "s1"}));
  EXPECT_EQ(ids(s.runs_of_batch("b-1")), (std::vector<std::string>{"a1", "b1"}));
  EXPECT_EQ(ids(s.runs_of_batch("b-2")), (std::vector<std::string>{"c1"}));
  EXPECT_TRUE(s.runs_of_batch("b-none").empty());
  ASSERT_EQ(s.open_batches().size(), 1u);
  EXPECT_EQ(s.open_batches()[0]->record.batch, "b-1");
  EXPECT_EQ(s.open_batches()[0]->record.jobs, (std::vector<std::string>{"a", "b"}));
  EXPECT_TRUE(s.batches().at("b-2").ended);
  EXPECT_TRUE(s.job_has_open_run("a"));
  EXPECT_FALSE(s.job_has_open_run("c"));
  EXPECT_FALSE(s.job_has_open_run("nobody"));
}

TEST(JournalState, RevisionsSeenComeFromIntentsAndRecords) {
  journal_state s;
  apply_all(s, {intent("r-1", 1, "", "a"), revision_seen_record{"b", "rev-7"}});
  EXPECT_TRUE(s.revision_seen("a", "rev-a"));
  EXPECT_TRUE(s.revision_seen("b", "rev-7"));
  EXPECT_FALSE(s.revision_seen("a", "rev-7"));
  EXPECT_FALSE(s.revision_seen("c", "rev-c"));
}

TEST(JournalState, BatchRunsDoNotMarkARevisionSeen) {
  journal_state s;
  apply_all(s, {batch_record{"b-1", {"a"}, 1}, intent("r-1", 2, "b-1", "a")});
  EXPECT_FALSE(s.revision_seen("a", "rev-a")) << "`run` submits anew each time";
  apply_all(s, {intent("r-2", 3, "", "a")});
  EXPECT_TRUE(s.revision_seen("a", "rev-a"));
  // Compaction keeps the revisions `serve` ran, and only those.
  journal_state again;
  for (const auto& r : s.live_records(0)) ASSERT_FALSE(again.apply(r));
  EXPECT_TRUE(again.revision_seen("a", "rev-a"));
}

TEST(JournalState, SlotsKeepTheLastSlotAndCountTheMissedOnesAcrossCompaction) {
  journal_state s;
  apply_all(s, {slot_record{"a", "@every 1s", 1000, slot_outcome::fired, 0, 1},
                slot_record{"b", "0 3 * * *", 5000, slot_outcome::missed, 4, 2},
                slot_record{"a", "@every 1s", 2000, slot_outcome::skipped, 0, 3},
                slot_record{"b", "0 3 * * *", 9000, slot_outcome::fired, 2, 4}});
  ASSERT_EQ(s.slots().size(), 2u);
  EXPECT_EQ(s.slots().at("a").last_slot, 2000);
  EXPECT_EQ(s.slots().at("a").last_outcome, slot_outcome::skipped);
  EXPECT_EQ(s.slots().at("a").missed, 0u);
  EXPECT_EQ(s.slots().at("b").last_slot, 9000);
  EXPECT_EQ(s.slots().at("b").missed, 6u);
  EXPECT_EQ(s.slots().at("b").schedule, "0 3 * * *");

  journal_state again;
  const auto live = s.live_records(0);
  EXPECT_EQ(
      std::count_if(live.begin(), live.end(),
                    [](const journal_record& r) { return std::holds_alternative<slot_record>(r); }),
      2);
  apply_all(again, live);
  EXPECT_EQ(again.slots().at("a").last_slot, 2000);
  EXPECT_EQ(again.slots().at("b").last_slot, 9000);
  EXPECT_EQ(again.slots().at("b").missed, 6u);
}

TEST(JournalState, TaskKnown) {
  journal_state s;
  apply_all(s, {intent("r-1", 1), submitted_record{"r-1", "tk-1", false, 2}, intent("r-2", 3),
                submitted_record{"r-2", "tk-2", true, 4}});
  EXPECT_TRUE(s.task_known("tk-1"));
  EXPECT_TRUE(s.task_known("tk-2"));
  EXPECT_FALSE(s.task_known("tk-3"));
}

// Replay hands each decoded record over: its strings and payload move into the state.
TEST(JournalState, AnRvalueRecordIsMovedIn) {
  intent_record in = intent("r-moved", 10);
  const auto body = in.body;
  journal_record record = std::move(in);
  journal_state s;
  ASSERT_FALSE(s.apply(std::move(record)));
  ASSERT_TRUE(s.find_run("r-moved"));
  EXPECT_EQ(s.find_run("r-moved")->intent.body, body);
  EXPECT_TRUE(std::get<intent_record>(record).body.empty());  // moved from, not copied

  journal_record sub = submitted_record{"r-moved", "tsk_a_task_id_longer_than_sso", false, 11};
  ASSERT_FALSE(s.apply(std::move(sub)));
  EXPECT_EQ(s.find_run("r-moved")->task, "tsk_a_task_id_longer_than_sso");
  EXPECT_TRUE(s.task_known("tsk_a_task_id_longer_than_sso"));

  journal_record batch = batch_record{"b-a-batch-id-longer-than-sso", {"j1", "j2"}, 12};
  ASSERT_FALSE(s.apply(std::move(batch)));
  ASSERT_EQ(s.batches().count("b-a-batch-id-longer-than-sso"), 1u);
  EXPECT_EQ(s.batches().at("b-a-batch-id-longer-than-sso").record.jobs,
            (std::vector<std::string>{"j1", "j2"}));
}

// The last run looked up is remembered; a pruned run must not be found through that memory.
TEST(JournalState, APrunedRunIsNotFoundThroughTheLastLookup) {
  journal_state s;
  apply_all(s, {intent("r-gone", 1), submitted_record{"r-gone", "tk-gone", false, 2},
                finished_record{"r-gone", "done", "", 0, 3}, dismissed_record{"r-gone", 4}});
  s.prune(0);
  ASSERT_FALSE(s.find_run("r-gone"));
  const auto problem = s.apply(gave_up_record{"r-gone", 5});
  ASSERT_TRUE(problem);
  EXPECT_EQ(*problem, "record for unknown run 'r-gone'");
}

// A copy of a state finds runs in its own map, not in the one it was copied from.
TEST(JournalState, ACopyLooksUpItsOwnRuns) {
  journal_state original;
  apply_all(original, {intent("r-1", 1), submitted_record{"r-1", "tk-1", false, 2}});
  journal_state copy = original;
  ASSERT_FALSE(copy.apply(finished_record{"r-1", "done", "", 0, 3}));
  EXPECT_EQ(copy.find_run("r-1")->phase, run_phase::finished);
  EXPECT_EQ(original.find_run("r-1")->phase, run_phase::submitted);
}

// A const record is copied: the commit path still holds it.
TEST(JournalState, AConstRecordIsCopied) {
  const journal_record record = intent("r-kept", 10);
  journal_state s;
  ASSERT_FALSE(s.apply(record));
  EXPECT_FALSE(std::get<intent_record>(record).body.empty());
  EXPECT_EQ(s.find_run("r-kept")->intent.body, std::get<intent_record>(record).body);
}

std::string frames_of(const std::vector<journal_record>& records) {
  std::string bytes = encode_header();
  std::uint64_t seq = 0;
  for (const auto& r : records) append_frame(bytes, ++seq, encode_record(r));
  return bytes;
}

TEST(JournalState, ReplayFramesAppliesEveryRecord) {
  const std::vector<journal_record> records = {
      intent("r-1", 1), submitted_record{"r-1", "tk-1", false, 2}, intent("r-2", 3),
      finished_record{"r-1", "done", "", 4, 5}, dismissed_record{"r-1", 6}};
  const std::string bytes = frames_of(records);
  const scan_result scan = scan_journal(bytes);
  ASSERT_EQ(scan.frames.size(), records.size());
  journal_state replayed;
  EXPECT_FALSE(replay_frames(scan.frames, replayed));
  journal_state applied;
  apply_all(applied, records);
  ASSERT_EQ(replayed.runs().size(), 2u);
  EXPECT_EQ(replayed.find_run("r-1")->phase, run_phase::dismissed);
  EXPECT_EQ(replayed.find_run("r-1")->intent.body, applied.find_run("r-1")->intent.body);
  EXPECT_EQ(replayed.find_run("r-2")->phase, run_phase::intended);
  EXPECT_TRUE(replayed.task_known("tk-1"));
}

TEST(JournalState, ReplayFramesNamesTheFirstBadRecord) {
  std::string bytes = frames_of({intent("r-1", 1), dismissed_record{"r-1", 2}});
  const std::uint64_t third = bytes.size();
  append_frame(bytes, 3, R"({"t":"submitted","run":"r-unknown","task":"tk"})");
  append_frame(bytes, 4, "not json");
  const scan_result scan = scan_journal(bytes);
  journal_state s;
  const auto e = replay_frames(scan.frames, s);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->seq, 3u);
  EXPECT_EQ(e->offset, third);
  EXPECT_EQ(e->message, "record for unknown run 'r-unknown'");

  const std::string undecodable = frames_of({intent("r-1", 1)}) + encode_frame(2, "[]");
  journal_state t;
  const auto f = replay_frames(scan_journal(undecodable).frames, t);
  ASSERT_TRUE(f);
  EXPECT_EQ(f->seq, 2u);
  EXPECT_EQ(f->message, "record is not a JSON object");
}

// `status` said "failed" for a submission that `run` had reported "rejected": one set of words.
TEST(JournalState, OutcomesUseTheWordsOfRun) {
  journal_state s;
  apply_all(s, ends_of_runs());
  apply_all(
      s, {intent("done", 12), submitted_record{"done", "tk-d", false, 13},
          finished_record{"done", "done", "", 2, 14}, dismissed_record{"done", 15},
          intent("kept-ok", 16, "", "job", false), submitted_record{"kept-ok", "tk-ko", false, 17},
          finished_record{"kept-ok", "done", "", 1, 18}, intent("open", 19),
          submitted_record{"open", "tk-o", false, 20}, finished_record{"open", "done", "", 1, 21}});
  EXPECT_STREQ(s.find_run("rejected")->outcome(), to_string(run_outcome::rejected));
  EXPECT_STREQ(s.find_run("lost")->outcome(), to_string(run_outcome::lost));
  EXPECT_STREQ(s.find_run("gave-up")->outcome(), to_string(run_outcome::gave_up));
  EXPECT_STREQ(s.find_run("kept")->outcome(), to_string(run_outcome::backend_failed));
  EXPECT_STREQ(s.find_run("done")->outcome(), to_string(run_outcome::dismissed));
  EXPECT_STREQ(s.find_run("kept-ok")->outcome(), to_string(run_outcome::finished));
  EXPECT_STREQ(s.find_run("open")->outcome(), "finished");  // still to be dismissed
  apply_all(s, {intent("new", 22)});
  EXPECT_STREQ(s.find_run("new")->outcome(), "submitting");
}

// What `journal repair` keeps must replay: after a lost intent its run's later records are
// orphans, and after a lost task id the run must stay in doubt rather than end without a task.
TEST(JournalState, ReplayCheckLeavesOutWhatWouldNotReplay) {
  replay_check check;
  auto keep = [&](const journal_record& r) { return check(encode_record(r)); };
  EXPECT_EQ(keep(intent("r-1", 1)), "");
  EXPECT_EQ(keep(submitted_record{"r-1", "tk-1", false, 2}), "");
  EXPECT_EQ(keep(finished_record{"r-1", "done", "", 1, 3}), "");
  // r-2's intent was lost.
  EXPECT_EQ(keep(submitted_record{"r-2", "tk-2", false, 4}), "record for unknown run 'r-2'");
  EXPECT_EQ(keep(dismissed_record{"r-2", 5}), "record for unknown run 'r-2'");
  // r-3's submitted record was lost: its end is left out, it stays in doubt.
  EXPECT_EQ(keep(intent("r-3", 6)), "");
  EXPECT_EQ(keep(finished_record{"r-3", "done", "", 1, 7}),
            "an end of run 'r-3', whose task id was lost: the run stays in doubt");
  EXPECT_EQ(keep(gave_up_record{"r-3", 8}),
            "an end of run 'r-3', whose task id was lost: the run stays in doubt");
  // A rejected submission never had a task: its failure is kept.
  EXPECT_EQ(keep(failed_record{"r-3", 400, "bad", 9}), "");
  EXPECT_EQ(keep(dismissed_record{"r-1", 10}), "");
  EXPECT_EQ(check("not json"), "record is not a JSON object");
}

TEST(JournalState, PhaseNames) {
  EXPECT_STREQ(to_string(run_phase::intended), "submitting");
  EXPECT_STREQ(to_string(run_phase::submitted), "pending");
  EXPECT_STREQ(to_string(run_phase::gave_up), "gave-up");
}

// --- live_records ------------------------------------------------------------------------------

journal_state replay_live(const journal_state& s, std::size_t keep_recent) {
  journal_state out;
  for (const auto& r : s.live_records(keep_recent)) {
    auto problem = out.apply(r);
    EXPECT_FALSE(problem) << *problem;
  }
  return out;
}

void expect_same_run(const run_state& a, const run_state& b) {
  SCOPED_TRACE(a.intent.run);
  EXPECT_EQ(a.phase, b.phase);
  EXPECT_EQ(a.task, b.task);
  EXPECT_EQ(a.adopted, b.adopted);
  EXPECT_EQ(a.submitted_at, b.submitted_at);
  EXPECT_EQ(a.intent.body, b.intent.body);
  EXPECT_EQ(a.intent.job, b.intent.job);
  EXPECT_EQ(a.intent.revision, b.intent.revision);
  EXPECT_EQ(a.intent.batch, b.intent.batch);
  EXPECT_EQ(a.intent.endpoint, b.intent.endpoint);
  EXPECT_EQ(a.intent.dismiss, b.intent.dismiss);
  EXPECT_EQ(a.intent.at, b.intent.at);
  EXPECT_EQ(a.backend_status, b.backend_status);
  EXPECT_EQ(a.backend_info, b.backend_info);
  EXPECT_EQ(a.contracts, b.contracts);
  EXPECT_EQ(a.ended_at, b.ended_at);
  EXPECT_EQ(a.http_status, b.http_status);
  EXPECT_EQ(a.failure, b.failure);
}

void expect_same_open_work(const journal_state& a, const journal_state& b) {
  auto ra = a.open_runs();
  auto rb = b.open_runs();
  ASSERT_EQ(ids(ra), ids(rb));
  for (std::size_t i = 0; i < ra.size(); ++i) expect_same_run(*ra[i], *rb[i]);
  auto ba = a.open_batches();
  auto bb = b.open_batches();
  ASSERT_EQ(ba.size(), bb.size());
  for (std::size_t i = 0; i < ba.size(); ++i) {
    EXPECT_EQ(ba[i]->record.batch, bb[i]->record.batch);
    EXPECT_EQ(ba[i]->record.jobs, bb[i]->record.jobs);
    EXPECT_EQ(ba[i]->record.at, bb[i]->record.at);
    EXPECT_EQ(ids(a.runs_of_batch(ba[i]->record.batch)), ids(b.runs_of_batch(bb[i]->record.batch)));
  }
  for (const auto& [id, r] : a.runs())
    EXPECT_EQ(a.revision_seen(r.intent.job, r.intent.revision),
              b.revision_seen(r.intent.job, r.intent.revision))
        << id;
  for (const auto* r : ra) {
    if (!r->task.empty()) {
      EXPECT_TRUE(b.task_known(r->task)) << r->task;
    }
  }
}

// A journal with every phase, serve runs and batch runs, built from seeded random histories.
journal_state busy_journal(std::uint64_t seed, int runs) {
  std::mt19937_64 rng(seed);
  journal_state s;
  unix_ms now = 1'000'000;
  apply_all(s,
            {batch_record{"b-open", {"j0", "j1", "j2"}, now}, batch_record{"b-done", {"j3"}, now}});
  for (int i = 0; i < runs; ++i) {
    const std::string id = "r-" + std::to_string(1000 + i);
    const std::string job = "j" + std::to_string(rng() % 6);
    const std::string batch = rng() % 3 == 0 ? "b-open" : (rng() % 2 ? "b-done" : "");
    const bool dismiss = rng() % 4 != 0;
    now += 10 + static_cast<unix_ms>(rng() % 1000);  // unique ended_at
    apply_all(s, {intent(id, now, batch, job, dismiss)});
    if (rng() % 5 == 0) apply_all(s, {resubmit_record{id, "in doubt", now + 1}});
    const int last = static_cast<int>(rng() % 7);  // how far this run got
    if (last == 0) continue;                       // intended
    if (last == 1) {
      apply_all(s, {failed_record{id, 400, "bad search " + id, now + 2}});
      continue;
    }
    apply_all(s, {submitted_record{id, "tk-" + id, rng() % 2 == 0, now + 3}});
    if (last == 2) continue;  // submitted
    if (last == 3) {
      apply_all(s, {gave_up_record{id, now + 4}});
      continue;
    }
    if (last == 4) {
      apply_all(s, {failed_record{id, 404, "gone", now + 5}});
      continue;
    }
    const char* status = rng() % 3 == 0 ? "failed" : "done";
    apply_all(s, {finished_record{id, status, "info " + id, rng() % 50, now + 6}});
    if (last == 6 && dismiss) apply_all(s, {dismissed_record{id, now + 7}});
  }
  apply_all(s, {batch_end_record{"b-done", now + 10}, revision_seen_record{"old-job", "rev-x"}});
  return s;
}

TEST(JournalStateLive, ReplayRebuildsTheSameOpenWork) {
  for (std::uint64_t seed : {1u, 2u, 3u, 4u, 5u}) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    journal_state s = busy_journal(seed, 400);
    ASSERT_FALSE(s.open_runs().empty());
    for (std::size_t keep : {0u, 5u, 100u, 10'000u}) {
      SCOPED_TRACE("keep_recent " + std::to_string(keep));
      journal_state again = replay_live(s, keep);
      expect_same_open_work(s, again);
      EXPECT_TRUE(again.revision_seen("old-job", "rev-x"));
      // Every run of an open batch is kept, open or not: `run` reports them on resume.
      EXPECT_EQ(ids(s.runs_of_batch("b-open")), ids(again.runs_of_batch("b-open")));
      for (const auto* r : again.runs_of_batch("b-open"))
        expect_same_run(*s.find_run(r->intent.run), *r);
      EXPECT_EQ(again.open_batches().size(), 1u);
      // A second compaction changes nothing.
      journal_state twice = replay_live(again, keep);
      expect_same_open_work(again, twice);
      EXPECT_EQ(twice.runs().size(), again.runs().size());
    }
  }
}

// Runs that are neither open nor in an open batch: history, of which keep_recent survive.
std::vector<const run_state*> history(const journal_state& s) {
  std::vector<const run_state*> out;
  std::set<std::string> open_batches;
  for (const auto* b : s.open_batches()) open_batches.insert(b->record.batch);
  for (const auto& [id, r] : s.runs())
    if (!r.open() && !open_batches.count(r.intent.batch)) out.push_back(&r);
  return out;
}

TEST(JournalStateLive, KeepsOnlyTheMostRecentClosedRuns) {
  journal_state s = busy_journal(9, 400);
  auto closed = history(s);
  ASSERT_GT(closed.size(), 20u);
  std::sort(closed.begin(), closed.end(),
            [](const run_state* a, const run_state* b) { return a->ended_at > b->ended_at; });
  for (std::size_t keep : {0u, 1u, 10u, 20u}) {
    SCOPED_TRACE("keep_recent " + std::to_string(keep));
    journal_state again = replay_live(s, keep);
    auto kept = history(again);
    ASSERT_EQ(kept.size(), keep);
    for (std::size_t i = 0; i < keep; ++i) {
      const run_state* found = again.find_run(closed[i]->intent.run);
      ASSERT_NE(found, nullptr) << "recent run " << closed[i]->intent.run << " dropped";
      expect_same_run(*closed[i], *found);
    }
    EXPECT_EQ(again.runs().size(), s.runs().size() - closed.size() + keep);
  }
  journal_state all = replay_live(s, closed.size() + 5);
  EXPECT_EQ(all.runs().size(), s.runs().size());
}

// KNOWN BUG, reported and not fixed here (it needs a decision on what compaction must keep):
// live_records() drops closed runs beyond keep_recent together with their task ids, yet a
// gave-up task (still pending) and a finished task of a `dismiss: false` job stay in the API's
// task list. After a compaction task_known() is false for them, so an in-doubt lookup can adopt
// the old gave-up task (same job, same body) as a new run's, and `dismiss_foreign` dismisses a
// task whose job said to keep it. Run with --gtest_also_run_disabled_tests to see it fail.
TEST(JournalStateLive, CompactionRemembersTasksStillInTheTaskList) {
  journal_state s;
  apply_all(s, {intent("old", 10), submitted_record{"old", "tk-old", false, 11},
                gave_up_record{"old", 12}, intent("kept", 20, "", "job", false),
                submitted_record{"kept", "tk-kept", false, 21},
                finished_record{"kept", "done", "", 1, 22}});
  for (int i = 0; i < 5; ++i) {
    const std::string id = "new-" + std::to_string(i);
    apply_all(
        s, {intent(id, 100 + 10 * i), submitted_record{id, "tk-" + id, false, 101 + 10 * i},
            finished_record{id, "done", "", 1, 102 + 10 * i}, dismissed_record{id, 103 + 10 * i}});
  }
  journal_state again = replay_live(s, 2);
  EXPECT_TRUE(again.task_known("tk-old")) << "a pending task the journal gave up on";
  EXPECT_TRUE(again.task_known("tk-kept")) << "a finished task kept by dismiss: false";
}

TEST(JournalStateLive, EmptyStateHasNoLiveRecords) {
  journal_state s;
  EXPECT_TRUE(s.live_records(100).empty());
}

TEST(JournalStateLive, LiveRecordsOrderIntentsBeforeTheirFollowers) {
  journal_state s = busy_journal(11, 200);
  std::set<std::string> seen;
  for (const auto& r : s.live_records(50)) {
    std::visit(
        [&](const auto& x) {
          using T = std::decay_t<decltype(x)>;
          if constexpr (std::is_same_v<T, intent_record>) {
            EXPECT_TRUE(seen.insert(x.run).second) << "intent twice: " << x.run;
          } else if constexpr (requires { x.run; }) {
            EXPECT_TRUE(seen.count(x.run)) << "record before its intent: " << x.run;
          }
        },
        r);
  }
}

}  // namespace
}  // namespace zefortd

namespace zefortd {
namespace {

TEST(JournalStateCensus, CensusOrphansAndDuplicatesSurviveCompaction) {
  journal_state s;
  apply_all(
      s, {census_record{{"tk-x", "tk-y"}, 1}, intent("r-1", 10),
          resubmit_record{"r-1", "in doubt", 11},
          duplicate_record{"r-1", "could be tk-o", {"tk-o"}, 12}, orphan_record{"tk-o", false, 13},
          orphan_record{"tk-p", false, 14}, orphan_record{"tk-p", true, 15}});
  EXPECT_TRUE(s.has_census());
  EXPECT_TRUE(s.task_censused("tk-x"));
  EXPECT_TRUE(s.task_orphaned("tk-o"));
  EXPECT_FALSE(s.task_orphaned("tk-p")) << "dismissed";
  EXPECT_TRUE(s.task_censused("tk-p")) << "a dismissed orphan is nobody's task again";
  journal_state again = replay_live(s, 0);
  EXPECT_TRUE(again.has_census());
  EXPECT_TRUE(again.task_censused("tk-y"));
  EXPECT_EQ(again.orphans(), (std::set<std::string>{"tk-o"}));
  const run_state* r = again.find_run("r-1");
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->possible_duplicate);
  EXPECT_EQ(r->duplicate_reason, "could be tk-o");
  EXPECT_EQ(r->duplicate_tasks, std::vector<std::string>{"tk-o"});
}

// A repair that lost records marks the batches begun before it, through compaction, until they
// end: their jobs without a run may have been sent.
TEST(JournalStateCensus, ALostRecordConcernsTheBatchesBegunBeforeItWhileTheyAreOpen) {
  journal_state s;
  const batch_record before{"b-1", {"a", "b"}, 100};
  const batch_record after{"b-2", {"c"}, 300};
  apply_all(s, {before, lost_record{1, 200}, after});
  EXPECT_TRUE(s.may_have_lost_intents(before));
  EXPECT_FALSE(s.may_have_lost_intents(after)) << "begun after the repair";
  journal_state again = replay_live(s, 0);
  EXPECT_TRUE(again.may_have_lost_intents(before));
  apply_all(s, {batch_end_record{"b-1", 400}});
  journal_state ended = replay_live(s, 0);
  EXPECT_FALSE(ended.may_have_lost_intents(before)) << "dropped with the last batch it concerns";
}

TEST(JournalStateCensus, ACompleteListRoundForgetsCensusedTasksNoLongerListed) {
  journal_state s;
  apply_all(s, {census_record{{"tk-x", "tk-y"}, 1}});
  s.keep_lingering({"tk-y"});
  EXPECT_FALSE(s.task_censused("tk-x"));
  EXPECT_TRUE(s.task_censused("tk-y"));
  EXPECT_TRUE(s.has_census()) << "the census was taken, even when every task left";
}

TEST(JournalStateCensus, ADuplicateMarkForAnUnknownRunIsRefused) {
  journal_state s;
  EXPECT_TRUE(s.apply(duplicate_record{"r-9", "x", {}, 1}));
}

}  // namespace
}  // namespace zefortd
