// The kill -9 proof: zefortd killed midway, at random moments, and at each named failpoint
// (between a durable write and the request, between an answer and its record, inside journal
// compaction), then run again to completion. The sandbox's counters must show each job submitted
// exactly once and each task dismissed, and the journal must check sound.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <csignal>
#include <iostream>
#include <random>

#include "harness.hpp"

namespace zefortd::it {
namespace {

constexpr int batch_size = 200;
// Longer than a restart: an in-doubt submission is recognisable in the task list only while
// its task is pending (DESIGN §5), so a shorter task could legitimately be submitted twice.
const std::vector<std::string> slow_tasks = {"--task-duration", "3s:5s", "--quiet"};

std::size_t open_batches(const fs::path& config) {
  auto status = run_zefortd({"status", "--json", "-c", config.string()}, {});
  EXPECT_TRUE(status.exited(0)) << status.describe();
  return boost::json::parse(status.out).at("open_batches").as_array().size();
}

void expect_journal_sound(const fs::path& config) {
  auto check = run_zefortd({"journal", "check", "-c", config.string()}, {});
  EXPECT_TRUE(check.exited(0)) << check.describe() << "\n" << check.out;
  EXPECT_TRUE(contains(check.out, "sound"));
  auto status = run_zefortd({"status", "--json", "-c", config.string()}, {});
  ASSERT_TRUE(status.exited(0)) << status.describe();
  auto doc = boost::json::parse(status.out).as_object();
  EXPECT_EQ(doc.at("open").as_array().size(), 0u) << status.out;
  EXPECT_EQ(doc.at("open_batches").as_array().size(), 0u) << status.out;
}

TEST(Kill, KilledMidwayAndRunAgain) {
  temp_dir dir;
  sandbox sb(dir.path(), slow_tasks);
  auto config =
      write_config(dir / "zefortd.yaml", options_for(sb, dir.path()), numbered_jobs(batch_size));

  auto killed = run_and_kill_after_lines(config, "submitted, task", 60);
  ASSERT_EQ(killed.signal, SIGKILL) << killed.describe();
  EXPECT_GE(count_lines(killed.err, "submitted, task"), 60u);
  EXPECT_GE(sandbox::count(sb.stats(), "submissions"), 60u);

  auto r = run_batch(config);
  ASSERT_TRUE(r.exited(0)) << r.describe();
  sandbox::expect_each_job_once(sb.stats(), batch_size);
  EXPECT_TRUE(contains(r.out, "200 runs: 200 done")) << r.out;
  for (int i = 0; i < batch_size; ++i)
    EXPECT_EQ(count_lines(r.out, "job-" + std::to_string(i) + " "), 1u) << "job-" << i;
  EXPECT_GE(count_lines(r.out, "(resumed)"), 60u);
  expect_journal_sound(config);
}

TEST(Kill, KilledAtRandomMoments) {
  constexpr int kills_wanted = 30;
  temp_dir dir;
  sandbox sb(dir.path(), slow_tasks);
  auto config =
      write_config(dir / "zefortd.yaml", options_for(sb, dir.path()), numbered_jobs(batch_size));

  const auto seed = std::random_device{}();
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> delay_ms(0, 1500);
  // A resumed run that only has polls and dismissals left can finish before its kill, or be
  // killed after its batch's end is durable (in the compaction that follows). The next run is
  // then a new batch, by design: it gets new bodies, so that duplicate_bodies keeps meaning "the
  // same submission sent twice", and the expected counts grow by one batch. The journal, not the
  // exit status, says whether a batch is still open.
  int kills = 0, exits = 0, batches_retired = 0;
  std::uint64_t submitted_before_retiring = 0;
  for (int i = 0; i < 4 * kills_wanted && kills < kills_wanted; ++i) {
    auto r = run_and_kill_after(config, std::chrono::milliseconds(delay_ms(rng)));
    if (r.signal == SIGKILL) {
      ++kills;
    } else {
      ASSERT_TRUE(r.exited(0)) << r.describe() << "\nseed " << seed;
      ++exits;
    }
    if (open_batches(config) != 0) continue;
    // No batch open: the last one ended, or the new one's record never became durable (then
    // nothing was submitted with these bodies since they were written).
    auto submitted = sandbox::count(sb.stats(), "submissions");
    if (submitted == submitted_before_retiring) continue;
    ++batches_retired;
    submitted_before_retiring = submitted;
    write_config(config, options_for(sb, dir.path()),
                 numbered_jobs(batch_size, "batch " + std::to_string(batches_retired)));
  }
  EXPECT_GE(kills, kills_wanted) << "seed " << seed;

  auto r = run_batch(config);
  ASSERT_TRUE(r.exited(0)) << r.describe() << "\nseed " << seed;
  auto stats = sb.stats();
  sandbox::expect_each_job_once(stats, batch_size * (batches_retired + 1));
  expect_journal_sound(config);
  std::cout << "[ kill     ] " << kills << " kills, " << exits << " clean exits, "
            << batches_retired + 1 << " batches, seed " << seed << ": "
            << boost::json::serialize(stats) << "\n";
}

struct failpoint_case {
  const char* spec;  // ZEFORTD_FAILPOINT
  bool compacting;   // with a small compaction bound, so that compaction happens
};

std::ostream& operator<<(std::ostream& o, const failpoint_case& c) {
  return o << c.spec;
}

class Failpoint : public testing::TestWithParam<failpoint_case> {};

TEST_P(Failpoint, KilledThereThenRunToCompletion) {
  const auto& c = GetParam();
  temp_dir dir;
  sandbox sb(dir.path(), slow_tasks);
  auto config =
      write_config(dir / "zefortd.yaml", options_for(sb, dir.path()), numbered_jobs(batch_size));
  env_map env;
  if (c.compacting) env["ZEFORTD_COMPACT_BYTES"] = "16384";

  env_map crash = env;
  crash["ZEFORTD_FAILPOINT"] = c.spec;
  auto killed = run_batch(config, crash);
  ASSERT_EQ(killed.signal, SIGKILL) << "the failpoint did not fire: " << killed.describe();

  // A crash in the compaction that follows a batch's end leaves that batch complete, and the
  // next run is then a new batch, by design: give it new bodies and expect twice the jobs.
  int batches = 1;
  if (open_batches(config) == 0) {
    EXPECT_EQ(count_lines(killed.err, "dismissed"), static_cast<std::size_t>(batch_size));
    write_config(config, options_for(sb, dir.path()), numbered_jobs(batch_size, "batch 2"));
    batches = 2;
  }

  auto r = run_batch(config, env);
  ASSERT_TRUE(r.exited(0)) << r.describe();
  auto stats = sb.stats();
  sandbox::expect_each_job_once(stats, batch_size * batches);
  EXPECT_TRUE(contains(r.out, "200 runs: 200 done")) << r.out;
  expect_journal_sound(config);
  if (c.compacting) {
    // The journal's size follows the open work, not the history.
    EXPECT_LT(fs::file_size(dir / "zefortd.journal"), 64u * 1024u);
  }
  std::cout << "[ kill     ] " << c.spec << ": " << batches << " batch(es), "
            << boost::json::serialize(stats) << "\n";
}

// A compaction that would not halve the file is skipped, so with one batch in the journal the
// only compaction is the one after the batch's end: compaction-*:1 crashes there. A crash in a
// compaction with work in flight is Kill.CompactionWithOpenWork below.
INSTANTIATE_TEST_SUITE_P(Kill, Failpoint,
                         testing::Values(failpoint_case{"after-intent:3", false},
                                         failpoint_case{"after-intent:50", false},
                                         failpoint_case{"after-post:3", false},
                                         failpoint_case{"after-post:50", false},
                                         failpoint_case{"after-dismiss:3", false},
                                         failpoint_case{"after-dismiss:50", false},
                                         failpoint_case{"compaction-tmp", true},
                                         failpoint_case{"compaction-rename", true}),
                         [](const testing::TestParamInfo<failpoint_case>& info) {
                           std::string name;
                           for (const char* p = info.param.spec; *p; ++p)
                             name += std::isalnum(static_cast<unsigned char>(*p)) ? *p : '_';
                           return name;
                         });

class CompactionWithOpenWork : public testing::TestWithParam<const char*> {};

// A journal with a finished batch's history and an interrupted batch with tasks pending and
// submissions in doubt: the next start compacts at its first commit, and crashes there.
TEST_P(CompactionWithOpenWork, KilledInCompactionThenRunToCompletion) {
  constexpr int history_jobs = 100;  // a batch under the 64 KiB end-of-batch compaction bound
  temp_dir dir;
  sandbox sb(dir.path(), slow_tasks);
  auto config = dir / "zefortd.yaml";
  const env_map no_compaction{{"ZEFORTD_COMPACT_BYTES", "1073741824"}};
  const env_map small_bound{{"ZEFORTD_COMPACT_BYTES", "16384"}};

  write_config(config, options_for(sb, dir.path()), numbered_jobs(history_jobs, "history"));
  auto history = run_batch(config, no_compaction);
  ASSERT_TRUE(history.exited(0)) << history.describe();
  const auto history_bytes = fs::file_size(dir / "zefortd.journal");

  write_config(config, options_for(sb, dir.path()), numbered_jobs(batch_size));
  auto first = run_and_kill_after_lines(config, "submitted, task", 60, no_compaction);
  ASSERT_EQ(first.signal, SIGKILL) << first.describe();
  ASSERT_EQ(open_batches(config), 1u);

  env_map crash = small_bound;
  crash["ZEFORTD_FAILPOINT"] = GetParam();
  auto killed = run_batch(config, crash);
  ASSERT_EQ(killed.signal, SIGKILL) << "the failpoint did not fire: " << killed.describe();
  EXPECT_EQ(count_lines(killed.err, "dismissed"), 0u) << "the crash should come at the start";
  EXPECT_EQ(open_batches(config), 1u) << "the interrupted batch must survive the crash";

  auto r = run_batch(config, small_bound);
  ASSERT_TRUE(r.exited(0)) << r.describe();
  sandbox::expect_each_job_once(sb.stats(), history_jobs + batch_size);
  EXPECT_TRUE(contains(r.out, "200 runs: 200 done")) << r.out;
  EXPECT_TRUE(contains(r.err, "compacted"));
  expect_journal_sound(config);
  EXPECT_LT(fs::file_size(dir / "zefortd.journal"), history_bytes);
}

INSTANTIATE_TEST_SUITE_P(Kill, CompactionWithOpenWork,
                         testing::Values("compaction-tmp", "compaction-rename"),
                         [](const testing::TestParamInfo<const char*>& info) {
                           std::string name = info.param;
                           for (auto& ch : name)
                             if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
                           return name;
                         });

}  // namespace
}  // namespace zefortd::it
