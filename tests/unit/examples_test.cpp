// The example configurations in config/ and config/examples/ load as they are: they are what
// operators copy, so each one is read with load_config, as `zefortd validate` would read it.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <set>

#include "core/config.hpp"

namespace zefortd {
namespace {

namespace fs = std::filesystem;

std::vector<fs::path> examples() {
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(fs::path(ZEFORTD_CONFIG_DIR) / "examples"))
    if (e.path().extension() == ".yaml") files.push_back(e.path());
  std::sort(files.begin(), files.end());
  return files;
}

TEST(Examples, EveryExampleLoads) {
  const auto files = examples();
  // end dates, status changes, tags by search, a nightly schedule, a timer-driven batch
  ASSERT_GE(files.size(), 5u);
  std::set<std::string> names;
  for (const fs::path& file : files) {
    SCOPED_TRACE(file.string());
    config cfg;
    ASSERT_NO_THROW(cfg = load_config(file));
    EXPECT_FALSE(cfg.jobs.empty());
    // The shipped units pass the key by LoadCredential=; an api_key_file would shadow it.
    EXPECT_FALSE(cfg.api.api_key_file);
    // Job names stay unique across the examples, so any of them can be combined in one file.
    for (const auto& j : cfg.jobs) EXPECT_TRUE(names.insert(j.name).second) << j.name;
  }
}

TEST(Examples, TheTimerBatchUsesTheUnitsJournalAndHasNoSchedules) {
  // zefortd-run@.service sets STATE_DIRECTORY=/var/lib/zefortd-run/INSTANCE.
  const char* saved = std::getenv("STATE_DIRECTORY");
  const std::string keep = saved ? saved : "";
  setenv("STATE_DIRECTORY", "/var/lib/zefortd-run/nightly", 1);
  const config cfg = load_config(fs::path(ZEFORTD_CONFIG_DIR) / "examples" / "nightly-batch.yaml");
  if (saved) {
    setenv("STATE_DIRECTORY", keep.c_str(), 1);
  } else {
    unsetenv("STATE_DIRECTORY");
  }
  EXPECT_EQ(cfg.state.journal, fs::path("/var/lib/zefortd-run/nightly/zefortd.journal"));
  for (const auto& j : cfg.jobs) EXPECT_FALSE(j.schedule) << j.name;
}

TEST(Examples, TheNightlyScheduleIsScheduled) {
  const config cfg =
      load_config(fs::path(ZEFORTD_CONFIG_DIR) / "examples" / "nightly-schedule.yaml");
  ASSERT_EQ(cfg.jobs.size(), 1u);
  EXPECT_EQ(cfg.jobs[0].schedule, "15 2 * * *");
}

}  // namespace
}  // namespace zefortd
