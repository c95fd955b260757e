// Tests for app/orchestrator as the engine's executor, with a real journal on disk whose I/O
// fails on purpose: a failed write or fsync, whether it happens while the action is performed
// or inside the coroutine that waits for durability, ends `run` at once with exit status 5 and
// sends nothing (the API address accepts no connection: a request would fail, not hang).
#include "app/orchestrator.hpp"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <boost/url/parse.hpp>
#include <cerrno>
#include <filesystem>

#include "core/exit_code.hpp"
#include "temp_dir.hpp"

namespace zefortd {
namespace {

namespace fs = std::filesystem;

config one_job(const fs::path& dir) {
  config cfg;
  cfg.file = dir / "zefortd.yaml";
  cfg.api.base_url = *boost::urls::parse_uri("https://127.0.0.1:1/api/");
  cfg.api.timeout = std::chrono::seconds(5);
  cfg.state.journal = dir / "zefortd.journal";
  job_config j;
  j.name = "job-0";
  j.payload = boost::json::object{{"status", "done"}, {"search", boost::json::object{}}};
  cfg.jobs.push_back(std::move(j));
  return cfg;
}

// The n-th journal call after the orchestrator is built fails, and every one after it.
int run_with_failure_at(std::uint64_t nth) {
  temp_dir dir("zefortd-orch");
  faulty_file_io io;
  config cfg = one_job(dir.path());
  auto file = journal_file::open({cfg.state.journal, &io});
  orchestrator o(cfg, secret("test-key"), std::move(file));
  io.inject({io.ops() + nth, EIO, false, true});
  auto reports = o.run_batch({"job-0"});
  EXPECT_TRUE(io.fired());
  return o.exit_status();
}

TEST(Orchestrator, AFailedWriteOfTheFirstCommitExitsFive) {
  EXPECT_EQ(run_with_failure_at(1), exit_code::journal);
}

TEST(Orchestrator, AFailedSyncInsideTheWaitingCoroutineExitsFive) {
  EXPECT_EQ(run_with_failure_at(2), exit_code::journal);
}

}  // namespace
}  // namespace zefortd
