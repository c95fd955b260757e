// Tests for app/journal on an io_context with real files and fsyncs: group commit (one fdatasync
// per event-loop turn), durability on reopen, failed syncs, and compaction past the bound.
#include "app/journal.hpp"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/json/parse.hpp>
#include <cerrno>
#include <filesystem>
#include <string>
#include <vector>

#include "temp_dir.hpp"
#include "tracked_journal.hpp"

namespace zefortd {
namespace {

namespace fs = std::filesystem;

// Read once per process by the first journal: set before any test constructs one. 16 KiB makes
// a few hundred runs cross the bound several times.
constexpr std::uint64_t compact_bytes = 16 * 1024;
const bool compact_bound_set = [] {
  ::setenv("ZEFORTD_COMPACT_BYTES", std::to_string(compact_bytes).c_str(), 1);
  return true;
}();

intent_record intent(const std::string& run, unix_ms at, const std::string& batch = "") {
  intent_record r;
  r.run = run;
  r.job = "job-" + std::to_string(at % 7);
  r.revision = "rev-1";
  r.batch = batch;
  r.endpoint = "contracts/bulk_update/";
  r.body =
      boost::json::parse(R"({"status":"done","search":{"q_tags":")" + run + R"("}})").as_object();
  r.at = at;
  return r;
}

// Every record a run writes from intent to dismissal.
std::vector<journal_record> whole_run(const std::string& run, unix_ms at,
                                      const std::string& batch = "") {
  return {intent(run, at, batch), submitted_record{run, "tk-" + run, false, at + 1},
          finished_record{run, "done", "", 3, at + 2}, dismissed_record{run, at + 3}};
}

std::size_t count_calls(const faulty_file_io& io, const std::string& name) {
  return std::count(io.trace().begin(), io.trace().end(), name);
}

// Runs `body` as a coroutine on `ioc` to completion; rethrows what it threw.
template <typename F>
void run_coroutine(asio::io_context& ioc, F body) {
  std::exception_ptr error;
  asio::co_spawn(ioc, body(), [&](std::exception_ptr e) { error = e; });
  ioc.run();
  ioc.restart();
  if (error) std::rethrow_exception(error);
}

// Coroutines take their parameters by value (pointers for what they share): a coroutine
// lambda's captures die with the lambda, which may be before the coroutine ends.

// Commits one record; once the commit returns, counts the run as durable if a reader without
// the lock finds the record and the last write to the file was followed by an fdatasync.
asio::awaitable<void> commit_and_read_back(tracked_journal* j, journal_record record, fs::path path,
                                           std::string run, const faulty_file_io* io,
                                           int* durable) {
  std::vector<journal_record> records{std::move(record)};
  co_await j->commit(std::move(records));
  // Written, and the last write followed by an fdatasync.
  const auto& trace = io->trace();
  const auto last_write = std::find(trace.rbegin(), trace.rend(), "write_all");
  const auto last_sync = std::find(trace.rbegin(), trace.rend(), "fdatasync");
  const journal_state on_disk = replay(path, read_journal_unlocked(path).frames);
  if (on_disk.find_run(run) && last_sync < last_write) ++*durable;
}

// A whole run committed in two commits: intent + submitted, then finished + dismissed.
asio::awaitable<void> commit_in_two_parts(tracked_journal* j, std::vector<journal_record> records) {
  std::vector<journal_record> first{records[0], records[1]};
  co_await j->commit(std::move(first));
  std::vector<journal_record> second{records[2], records[3]};
  co_await j->commit(std::move(second));
}

asio::awaitable<void> commit_counted(tracked_journal* j, std::vector<journal_record> records,
                                     int* returned) {
  co_await j->commit(std::move(records));
  ++*returned;
}

void rethrow(std::exception_ptr e) {
  if (e) std::rethrow_exception(e);
}

journal_state reopen_state(const fs::path& path) {
  journal_file file = journal_file::open({path});
  return replay(path, file.frames());
}

TEST(AppJournal, CommitsInTheSameTurnShareOneSync) {
  temp_dir dir("zefortd-app");
  const fs::path path = dir.path() / "zefortd.journal";
  faulty_file_io io;
  asio::io_context ioc;
  constexpr int n = 50;
  {
    tracked_journal j(ioc.get_executor(), journal_file::open({path, &io}));
    const std::size_t syncs_before = count_calls(io, "fdatasync");
    const std::size_t writes_before = count_calls(io, "write_all");
    int durable_on_return = 0;
    for (int i = 0; i < n; ++i) {
      const std::string run = "r-" + std::to_string(i);
      asio::co_spawn(
          ioc, commit_and_read_back(&j, intent(run, 1000 + i), path, run, &io, &durable_on_return),
          rethrow);
    }
    ioc.run();
    EXPECT_EQ(j.syncs(), 1u);
    EXPECT_EQ(count_calls(io, "fdatasync") - syncs_before, 1u) << "one fdatasync for the group";
    EXPECT_EQ(count_calls(io, "write_all") - writes_before, 1u) << "one write for the group";
    EXPECT_EQ(durable_on_return, n);
    EXPECT_EQ(j.state().runs().size(), static_cast<std::size_t>(n));
  }
  journal_state again = reopen_state(path);
  ASSERT_EQ(again.runs().size(), static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i) {
    const run_state* r = again.find_run("r-" + std::to_string(i));
    ASSERT_NE(r, nullptr) << i;
    EXPECT_EQ(r->phase, run_phase::intended);
    EXPECT_EQ(r->intent.at, 1000 + i);
    EXPECT_EQ(r->intent.body, intent("r-" + std::to_string(i), 1000 + i).body);
  }
}

TEST(AppJournal, SeveralRecordsPerCommitAndSeveralCommitsPerCoroutine) {
  temp_dir dir("zefortd-app");
  const fs::path path = dir.path() / "zefortd.journal";
  asio::io_context ioc;
  {
    tracked_journal j(ioc.get_executor(), journal_file::open({path}));
    // Ten coroutines in step: every first commit shares turn 1, every second commit turn 2.
    for (int i = 0; i < 10; ++i)
      asio::co_spawn(ioc, commit_in_two_parts(&j, whole_run("r-" + std::to_string(i), 100 * i)),
                     rethrow);
    ioc.run();
    EXPECT_EQ(j.syncs(), 2u);
  }
  journal_state again = reopen_state(path);
  EXPECT_EQ(again.runs().size(), 10u);
  EXPECT_TRUE(again.open_runs().empty());
  for (const auto& [id, r] : again.runs()) EXPECT_EQ(r.phase, run_phase::dismissed) << id;
}

TEST(AppJournal, CommitsInDifferentTurnsSyncSeparately) {
  temp_dir dir("zefortd-app");
  const fs::path path = dir.path() / "zefortd.journal";
  faulty_file_io io;
  asio::io_context ioc;
  constexpr int n = 8;
  {
    tracked_journal j(ioc.get_executor(), journal_file::open({path, &io}));
    const std::size_t syncs_before = count_calls(io, "fdatasync");
    run_coroutine(ioc, [&]() -> asio::awaitable<void> {
      for (int i = 0; i < n; ++i) {
        std::vector<journal_record> records{intent("r-" + std::to_string(i), i)};
        co_await j.commit(std::move(records));
        EXPECT_EQ(j.syncs(), static_cast<std::uint64_t>(i + 1));
      }
    });
    EXPECT_EQ(j.syncs(), static_cast<std::uint64_t>(n));
    EXPECT_EQ(count_calls(io, "fdatasync") - syncs_before, static_cast<std::size_t>(n));
    // Coroutines that commit one after another (each started when the last returned).
    for (int i = n; i < 2 * n; ++i) {
      run_coroutine(ioc, [&, i]() -> asio::awaitable<void> {
        std::vector<journal_record> records{intent("r-" + std::to_string(i), i)};
        co_await j.commit(std::move(records));
      });
    }
    EXPECT_EQ(j.syncs(), static_cast<std::uint64_t>(2 * n));
  }
  EXPECT_EQ(reopen_state(path).runs().size(), static_cast<std::size_t>(2 * n));
}

TEST(AppJournal, EmptyCommitNeitherWritesNorSyncs) {
  temp_dir dir("zefortd-app");
  const fs::path path = dir.path() / "zefortd.journal";
  asio::io_context ioc;
  tracked_journal j(ioc.get_executor(), journal_file::open({path}));
  run_coroutine(ioc, [&]() -> asio::awaitable<void> { co_await j.commit({}); });
  EXPECT_EQ(j.syncs(), 0u);
  EXPECT_EQ(fs::file_size(path), journal_header_size);
}

TEST(AppJournal, ARecordThatContradictsTheJournalIsRefusedBeforeWriting) {
  temp_dir dir("zefortd-app");
  const fs::path path = dir.path() / "zefortd.journal";
  asio::io_context ioc;
  tracked_journal j(ioc.get_executor(), journal_file::open({path}));
  EXPECT_THROW(
      run_coroutine(
          ioc,
          [&]() -> asio::awaitable<void> {
            std::vector<journal_record> records{submitted_record{"r-none", "tk", false, 1}};
            co_await j.commit(std::move(records));
          }),
      std::logic_error);
  j.flush();
  EXPECT_EQ(j.syncs(), 0u);
  EXPECT_TRUE(read_journal_unlocked(path).frames.empty());
}

TEST(AppJournal, AFailedSyncFailsEveryCommitOfTheGroup) {
  temp_dir dir("zefortd-app");
  const fs::path path = dir.path() / "zefortd.journal";
  faulty_file_io io;
  asio::io_context ioc;
  tracked_journal j(ioc.get_executor(), journal_file::open({path, &io}));
  // The next call after opening is the group's write; the one after it its fdatasync.
  io.inject({io.ops() + 2, EIO});
  int failed = 0, returned = 0;
  for (int i = 0; i < 5; ++i) {
    std::vector<journal_record> records{intent("r-" + std::to_string(i), i)};
    asio::co_spawn(ioc, commit_counted(&j, std::move(records), &returned),
                   [&failed](std::exception_ptr e) {
                     if (!e) return;
                     try {
                       std::rethrow_exception(e);
                     } catch (const journal_io_error&) {
                       ++failed;
                     }
                   });
  }
  ioc.run();
  EXPECT_TRUE(io.fired());
  EXPECT_EQ(returned, 0) << "no action may follow a record that is not durable";
  EXPECT_EQ(failed, 5);
}

TEST(AppJournal, FlushWritesWhatIsPending) {
  temp_dir dir("zefortd-app");
  const fs::path path = dir.path() / "zefortd.journal";
  asio::io_context ioc;
  {
    tracked_journal j(ioc.get_executor(), journal_file::open({path}));
    std::vector<journal_record> records{intent("r-1", 1)};
    // Start the commit but stop the loop before its sync turn, as a shutdown would.
    asio::co_spawn(ioc, j.commit(std::move(records)), [](std::exception_ptr) {});
    ioc.run_one();
    EXPECT_EQ(j.syncs(), 0u);
    j.flush();
    EXPECT_EQ(j.syncs(), 1u);
    j.flush();
    ioc.run();  // the commit's own turn finds its record durable already
    EXPECT_EQ(j.syncs(), 1u) << "nothing pending, nothing synced";
  }
  EXPECT_EQ(reopen_state(path).runs().size(), 1u);
}

// Open work, batches and revisions: what a restart needs, compared field by field.
void expect_same_live_state(const journal_state& a, const journal_state& b) {
  auto oa = a.open_runs(), ob = b.open_runs();
  ASSERT_EQ(oa.size(), ob.size());
  for (std::size_t i = 0; i < oa.size(); ++i) {
    EXPECT_EQ(oa[i]->intent.run, ob[i]->intent.run);
    EXPECT_EQ(oa[i]->phase, ob[i]->phase);
    EXPECT_EQ(oa[i]->task, ob[i]->task);
    EXPECT_EQ(oa[i]->intent.body, ob[i]->intent.body);
  }
  auto ba = a.open_batches(), bb = b.open_batches();
  ASSERT_EQ(ba.size(), bb.size());
  for (std::size_t i = 0; i < ba.size(); ++i) {
    EXPECT_EQ(ba[i]->record.batch, bb[i]->record.batch);
    EXPECT_EQ(ba[i]->record.jobs, bb[i]->record.jobs);
  }
  for (const auto& [id, r] : a.runs())
    EXPECT_EQ(a.revision_seen(r.intent.job, r.intent.revision),
              b.revision_seen(r.intent.job, r.intent.revision))
        << id;
}

TEST(AppJournal, CompactionKeepsTheFileNearTheLiveStateAndReplaysTheSame) {
  ASSERT_TRUE(compact_bound_set);
  temp_dir dir("zefortd-app");
  const fs::path path = dir.path() / "zefortd.journal";
  asio::io_context ioc;
  constexpr int runs = 2000;
  std::uint64_t written = 0;
  std::uint64_t max_size = 0;
  journal_state before;
  {
    tracked_journal j(ioc.get_executor(), journal_file::open({path}));
    run_coroutine(ioc, [&]() -> asio::awaitable<void> {
      std::vector<journal_record> batch{batch_record{"b-1", {"job-0", "job-1"}, 1}};
      co_await j.commit(std::move(batch));
      for (int i = 0; i < runs; ++i) {
        const std::string id = "r-" + std::to_string(i);
        auto records = whole_run(id, 1000 * (i + 1));
        // A few runs stay open: submitted ones, and intents in an open batch.
        if (i % 100 == 0) records.resize(2);
        if (i % 400 == 0) records = {intent(id, 1000 * (i + 1), "b-1")};
        for (const auto& r : records)
          written += encode_record(r).size() + journal_frame_header_size;
        co_await j.commit(std::move(records));
        max_size = std::max<std::uint64_t>(max_size, fs::file_size(path));
      }
    });
    before = j.state();
  }
  // The size follows the live state (20 recent runs and the open ones), not the history.
  EXPECT_LT(max_size, written / 3) << "compaction never ran or kept history";
  EXPECT_LT(fs::file_size(path), written / 3);

  // The compacted file starts at a later sequence number and replays to the same live state.
  journal_file file = journal_file::open({path});
  ASSERT_FALSE(file.frames().empty());
  EXPECT_GT(file.frames().front().seq, 1u);
  journal_state after = replay(path, file.frames());
  expect_same_live_state(before, after);
  EXPECT_EQ(after.open_runs().size(), 20u);
  std::size_t closed_after = 0;
  for (const auto& [id, r] : after.runs())
    if (!r.open() && r.intent.batch != "b-1") ++closed_after;
  EXPECT_GE(closed_after, 20u) << "the 20 most recent closed runs are kept";
  EXPECT_LT(after.runs().size(), before.runs().size());
}

TEST(AppJournal, ReopenedCompactedJournalKeepsWorking) {
  temp_dir dir("zefortd-app");
  const fs::path path = dir.path() / "zefortd.journal";
  asio::io_context ioc;
  journal_state first;
  auto fill = [&](int from, int to) {
    tracked_journal j(ioc.get_executor(), journal_file::open({path}));
    run_coroutine(ioc, [&]() -> asio::awaitable<void> {
      for (int i = from; i < to; ++i) {
        auto records = whole_run("r-" + std::to_string(i), 1000 * (i + 1));
        if (i % 7 == 0) records.resize(1);  // left in doubt
        co_await j.commit(std::move(records));
      }
    });
    return j.state();
  };
  first = fill(0, 300);
  journal_state second = fill(300, 600);
  journal_state third = reopen_state(path);
  expect_same_live_state(second, third);
  // Runs left in doubt before the restarts are still open after several compactions.
  for (int i = 0; i < 600; i += 7) {
    const run_state* r = third.find_run("r-" + std::to_string(i));
    ASSERT_NE(r, nullptr) << i;
    EXPECT_EQ(r->phase, run_phase::intended);
  }
  std::size_t in_doubt = 0;
  for (int i = 0; i < 600; i += 7) ++in_doubt;
  EXPECT_EQ(third.open_runs().size(), in_doubt);
  EXPECT_LT(first.open_runs().size(), in_doubt);
}

}  // namespace
}  // namespace zefortd
