// Tests for app/report's `zefortd status`, as an operator reads it: the text in aligned columns
// with correct plurals, and the JSON document scripts read, from one journal state.
#include "app/report.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "temp_dir.hpp"

namespace zefortd {
namespace {

namespace js = boost::json;
using namespace std::chrono_literals;

constexpr unix_ms t0 = 1'764'806'400'000;  // 2025-12-04T00:00:00Z

intent_record intent(std::string run, std::string job, unix_ms at) {
  intent_record r;
  r.run = std::move(run);
  r.job = std::move(job);
  r.revision = "rev";
  r.endpoint = "contracts/bulk_update/";
  r.body = js::parse(R"({"status":"done","search":{}})").as_object();
  r.at = at;
  return r;
}

class Report : public ::testing::Test {
 protected:
  void SetUp() override {
    std::ofstream(dir_.path() / "zefortd.yaml")
        << "api:\n  base_url: https://127.0.0.1:9/api\njobs:\n"
           "  - name: end-contracts\n    payload: {status: done}\n"
           "  - name: tag\n    schedule: \"0 3 * * *\"\n    payload: {tags_add: [x]}\n";
    cfg_ = load_config(dir_.path() / "zefortd.yaml");
    // An open task of end-contracts; tag ran twice: once cleanly, once marked a duplicate.
    for (const journal_record& r : std::vector<journal_record>{
             intent("r-open", "end-contracts", t0),
             submitted_record{"r-open", "tk-open", false, t0}, intent("r-1", "tag", t0 - 7'200'000),
             submitted_record{"r-1", "tk-1", false, t0 - 7'199'000},
             finished_record{"r-1", "done", "", 1, t0 - 7'000'000},
             dismissed_record{"r-1", t0 - 7'000'000}, intent("r-2", "tag", t0 - 3'600'000),
             resubmit_record{"r-2", "in doubt", t0 - 3'599'000},
             submitted_record{"r-2", "tk-2b", false, t0 - 3'598'000},
             finished_record{"r-2", "done", "", 12, t0 - 3'500'000},
             dismissed_record{"r-2", t0 - 3'500'000},
             duplicate_record{
                 "r-2", "sent again after a POST in doubt", {"tk-2a", "tk-2b"}, t0 - 3'500'000}}) {
      auto problem = state_.apply(r);
      ASSERT_FALSE(problem) << *problem;
    }
  }

  std::string status(bool json) {
    std::ostringstream out;
    print_status(out, dir_.path() / "zefortd.journal", state_, cfg_,
                 std::chrono::system_clock::time_point(std::chrono::milliseconds(t0 + 65'000)),
                 json);
    return out.str();
  }

  temp_dir dir_{"zefortd-report"};
  config cfg_;
  journal_state state_;
};

// The column a header word starts at, and what the row below it has there.
std::size_t column(const std::string& line, const std::string& word) {
  return line.find(word);
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);) out.push_back(l);
  return out;
}

TEST_F(Report, TextHasAlignedColumnsAndCorrectPlurals) {
  const std::string text = status(false);
  const auto lines = lines_of(text);
  EXPECT_NE(text.find("\n1 open task\n"), std::string::npos) << text;
  EXPECT_NE(text.find("\n1 possible duplicate (marked * above)\n"), std::string::npos) << text;
  EXPECT_NE(text.find("\n1 schedule\n"), std::string::npos) << text;
  // Under each header, the rows' cells start where the header's words do.
  std::size_t tables = 0;
  for (std::size_t i = 0; i + 1 < lines.size(); ++i) {
    if (lines[i].rfind("  JOB ", 0) != 0) continue;
    ++tables;
    for (std::size_t j = i + 1; j < lines.size() && !lines[j].empty(); ++j) {
      SCOPED_TRACE(lines[i] + "\n" + lines[j]);
      const std::string& row = lines[j];
      // Text columns start under their header's first letter...
      for (const char* word :
           {"TASK", "STATE", "OUTCOME", "ENDED", "NEXT POLL", "RUN", "WHY", "SCHEDULE", "TZ"}) {
        const auto at = column(lines[i], std::string(" ") + word + " ");
        if (at == std::string::npos) continue;
        ASSERT_LT(at + 1, row.size()) << word;
        EXPECT_EQ(row[at], ' ') << word;
        EXPECT_NE(row[at + 1], ' ') << word;
      }
      // ...and numbers end under its last.
      for (const std::string word : {"AGE", "POLLS", "CONTRACTS", "MISSED"}) {
        const auto at = column(lines[i], " " + word);
        if (at == std::string::npos) continue;
        const std::size_t last = at + word.size();
        ASSERT_LT(last, row.size()) << word;
        EXPECT_NE(row[last], ' ') << word;
        EXPECT_TRUE(last + 1 == row.size() || row[last + 1] == ' ') << word;
      }
    }
  }
  EXPECT_EQ(tables, 4u) << "open tasks, last runs, duplicates, schedules:\n" << text;
  EXPECT_NE(text.find("tk-open"), std::string::npos);
  EXPECT_NE(text.find("tag *"), std::string::npos) << "the duplicate is marked in last runs";
  EXPECT_NE(text.find("tk-2a,tk-2b"), std::string::npos) << text;
  EXPECT_NE(text.find("2025-12-04T03:00:00Z"), std::string::npos) << "the schedule's next fire";
}

TEST_F(Report, JsonHasOpenTasksLastRunsDuplicatesAndSchedules) {
  const js::object doc = js::parse(status(true)).as_object();
  const auto& open = doc.at("open").as_array();
  ASSERT_EQ(open.size(), 1u);
  EXPECT_EQ(open[0].at("task"), "tk-open");
  EXPECT_EQ(open[0].at("age_seconds"), 65);
  EXPECT_FALSE(open[0].at("polls_estimate").is_null());
  const auto& last = doc.at("last_runs").as_array();
  ASSERT_FALSE(last.empty());
  std::vector<const js::value*> tag;
  for (const auto& r : last)
    if (r.at("job") == "tag") tag.push_back(&r);
  ASSERT_EQ(tag.size(), 2u);
  EXPECT_EQ(tag[0]->at("run"), "r-2") << "the newest of the job first";
  EXPECT_EQ(tag[0]->at("outcome"), "done");
  EXPECT_EQ(tag[0]->at("contracts"), 12);
  EXPECT_EQ(tag[0]->at("possible_duplicate"), true);
  EXPECT_EQ(tag[1]->at("run"), "r-1");
  EXPECT_EQ(tag[1]->at("possible_duplicate"), false);
  const auto& dups = doc.at("possible_duplicates").as_array();
  ASSERT_EQ(dups.size(), 1u);
  EXPECT_EQ(dups[0].at("tasks"), (js::array{"tk-2a", "tk-2b"}));
  const auto& schedules = doc.at("schedules").as_array();
  ASSERT_EQ(schedules.size(), 1u);
  EXPECT_EQ(schedules[0].at("next_fire"), "2025-12-04T03:00:00Z");
  EXPECT_EQ(schedules[0].at("missed"), 0);
}

}  // namespace
}  // namespace zefortd
