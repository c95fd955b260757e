// Tests for `zefortd run --json` (app/summary_json) over every outcome a run can end with,
// interrupted runs included: each field of the documented shape with its JSON type, RFC 3339 UTC
// times, null where a value is absent, the counts, and the exit status.
#include "app/summary_json.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "core/exit_code.hpp"

namespace zefortd {
namespace {

namespace js = boost::json;

constexpr unix_ms t0 = 1'764'806'400'000;  // 2025-12-04T00:00:00Z

run_report report(std::string job, run_outcome o) {
  run_report r;
  r.run = "r-" + job;
  r.job = std::move(job);
  r.outcome = o;
  r.started = t0;
  if (o != run_outcome::none) r.ended = t0 + 61'500;
  if (o != run_outcome::rejected && o != run_outcome::none) r.task = "tk-" + r.job;
  return r;
}

TEST(SummaryJson, EveryOutcomeHasTheDocumentedShape) {
  std::vector<run_report> reports{
      report("a", run_outcome::dismissed),      report("b", run_outcome::finished),
      report("c", run_outcome::backend_failed), report("d", run_outcome::rejected),
      report("e", run_outcome::lost),           report("f", run_outcome::gave_up),
      report("g", run_outcome::none),  // interrupted: resumes on the next start
  };
  reports[0].contracts = 3;
  reports[0].backend_status = "done";
  reports[0].possible_duplicate = true;
  reports[0].duplicate_reason = "in doubt";
  reports[0].duplicate_tasks = {"tk-x", "tk-a"};
  reports[3].detail = "400 Bad Request: search: This field is required.";
  const int status = exit_status_of(reports, true);
  const js::object doc = summary_json(reports, status);

  EXPECT_EQ(doc.at("exit_status"), status);
  EXPECT_EQ(status, exit_code::interrupted) << "the largest that applies";
  const auto& runs = doc.at("runs").as_array();
  ASSERT_EQ(runs.size(), reports.size());
  for (const auto& v : runs) {
    const auto& r = v.as_object();
    SCOPED_TRACE(js::serialize(r));
    for (const char* key : {"job", "run", "task", "outcome", "backend_status", "contracts",
                            "started", "ended", "possible_duplicate", "detail"})
      EXPECT_TRUE(r.contains(key)) << key;
    EXPECT_TRUE(r.at("job").is_string());
    EXPECT_TRUE(r.at("outcome").is_string());
    EXPECT_TRUE(r.at("possible_duplicate").is_bool());
    EXPECT_TRUE(r.at("contracts").is_number());
    EXPECT_EQ(r.at("started"), "2025-12-04T00:00:00Z");
    EXPECT_TRUE(r.at("task").is_string() || r.at("task").is_null());
    EXPECT_TRUE(r.at("ended").is_null() || r.at("ended").as_string().ends_with("Z"));
  }
  EXPECT_EQ(runs[0].at("outcome"), "done");
  EXPECT_EQ(runs[0].at("contracts"), 3);
  EXPECT_EQ(runs[0].at("possible_duplicate"), true);
  EXPECT_EQ(runs[0].at("duplicate_tasks"), (js::array{"tk-x", "tk-a"}));
  EXPECT_EQ(runs[0].at("ended"), "2025-12-04T00:01:01Z");
  EXPECT_EQ(runs[3].at("outcome"), "rejected");
  EXPECT_TRUE(runs[3].at("task").is_null()) << "a rejected submission created no task";
  EXPECT_EQ(runs[3].at("detail"), "400 Bad Request: search: This field is required.");
  EXPECT_EQ(runs[4].at("outcome"), "lost");
  EXPECT_EQ(runs[5].at("outcome"), "gave up");
  EXPECT_TRUE(runs[6].at("ended").is_null()) << "interrupted: not ended";
  EXPECT_EQ(runs[6].at("possible_duplicate"), false);
  const auto& counts = doc.at("counts").as_object();
  std::int64_t total = 0;
  for (const auto& [k, n] : counts) total += n.to_number<std::int64_t>();
  EXPECT_EQ(total, static_cast<std::int64_t>(reports.size())) << js::serialize(counts);
  EXPECT_EQ(counts.at("done"), 1);
  EXPECT_EQ(counts.at("rejected"), 1);
}

}  // namespace
}  // namespace zefortd
