// Tests for `zefortd validate` and `validate --json` through run_command: the next fire times of
// scheduled jobs (RFC 3339 UTC), null schedules, and errors as JSON with exit status 2.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <boost/json/parse.hpp>
#include <chrono>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <regex>
#include <string>

#include "../unit/time_helpers.hpp"
#include "app/commands.hpp"

namespace zefortd {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;

class ValidateTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "zefortd-validate-XXXXXX").string();
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  fs::path write(const std::string& text) {
    const fs::path file = dir_ / "zefortd.yaml";
    std::ofstream(file) << text;
    return file;
  }

  // Runs `validate [--json] -c FILE`; returns the exit status and what went to stdout.
  std::pair<int, std::string> validate(const fs::path& file, bool as_json) {
    command_line cl;
    cl.command = "validate";
    cl.config_file = file;
    cl.json = as_json;
    ::testing::internal::CaptureStdout();
    const int status = run_command(cl);
    return {status, ::testing::internal::GetCapturedStdout()};
  }

  fs::path dir_;
};

const std::string head =
    "api:\n  base_url: https://sandbox.zefort.com/api\nstate:\n  journal: j\njobs:\n";

std::time_t parse_utc(const std::string& text) {
  std::tm tm{};
  EXPECT_NE(strptime(text.c_str(), "%Y-%m-%dT%H:%M:%SZ", &tm), nullptr) << text;
  return timegm(&tm);
}

TEST_F(ValidateTest, JsonListsEachJobWithItsNextFiveFireTimes) {
  const auto file = write(head +
                          "  - name: nightly\n    schedule: \"30 3 * * *\"\n    payload: {}\n"
                          "  - name: once\n    endpoint: contracts/bulk_delete/\n"
                          "    timezone: local\n    payload: {}\n"
                          "  - name: often\n    schedule: '@every 90s'\n    payload: {}\n");
  const std::time_t before = std::time(nullptr);
  const auto [status, out] = validate(file, true);
  ASSERT_EQ(status, 0) << out;
  const json::value v = json::parse(out);
  ASSERT_EQ(v.as_object().size(), 1u) << out;  // exactly {"jobs": [...]}
  const json::array& jobs = v.at("jobs").as_array();
  ASSERT_EQ(jobs.size(), 3u);

  const json::object& nightly = jobs[0].as_object();
  EXPECT_EQ(nightly.size(), 5u);
  EXPECT_EQ(nightly.at("name"), "nightly");
  EXPECT_EQ(nightly.at("endpoint"), "contracts/bulk_update/");
  EXPECT_EQ(nightly.at("schedule"), "30 3 * * *");
  EXPECT_EQ(nightly.at("timezone"), "utc");
  const json::array& next = nightly.at("next").as_array();
  ASSERT_EQ(next.size(), 5u);
  static const std::regex daily(R"(\d{4}-\d\d-\d\dT03:30:00Z)");
  std::time_t previous = before;
  for (const json::value& t : next) {
    const std::string text(t.as_string());
    EXPECT_TRUE(std::regex_match(text, daily)) << text;
    const std::time_t at = parse_utc(text);
    EXPECT_GT(at, previous);
    EXPECT_LE(at - previous, 86400) << "one a day, none skipped";
    previous = at;
  }

  const json::object& once = jobs[1].as_object();
  EXPECT_EQ(once.at("schedule"), nullptr);
  EXPECT_EQ(once.at("timezone"), "local");
  EXPECT_EQ(once.at("endpoint"), "contracts/bulk_delete/");
  EXPECT_TRUE(once.at("next").as_array().empty());

  // @every: at start, then every 90 s.
  const json::array& often = jobs[2].at("next").as_array();
  ASSERT_EQ(often.size(), 5u);
  const std::time_t first = parse_utc(std::string(often[0].as_string()));
  EXPECT_GE(first, before);
  EXPECT_LE(first, std::time(nullptr));
  for (std::size_t i = 1; i < often.size(); ++i)
    EXPECT_EQ(parse_utc(std::string(often[i].as_string())), first + 90 * std::time_t(i));
}

TEST_F(ValidateTest, JsonReportsErrorsWithTheirPlace) {
  const auto file = write(head + "  - name: bad\n    schedule: \"0 25 * * *\"\n    payload: {}\n");
  const auto [status, out] = validate(file, true);
  EXPECT_EQ(status, 2);
  const json::value v = json::parse(out);
  EXPECT_EQ(v, json::parse(R"({"errors": [{"file": ")" + file.string() +
                           R"(", "line": 7, "column": 18, "message": )"
                           R"("jobs[0].schedule: field 2 (hour): 25 is out of range 0-23"}]})"));
  // A file that cannot be read has no line or column.
  const auto [missing_status, missing] = validate(dir_ / "missing.yaml", true);
  EXPECT_EQ(missing_status, 2);
  const json::value m = json::parse(missing);
  EXPECT_EQ(m.at("errors").at(0).at("line"), nullptr);
  EXPECT_EQ(m.at("errors").at(0).at("column"), nullptr);
  EXPECT_EQ(m.at("errors").at(0).at("file"), json::value((dir_ / "missing.yaml").string()));
}

TEST_F(ValidateTest, TextShowsThreeFireTimesAndLocalTime) {
  const auto file = write(head +
                          "  - name: nightly\n    schedule: \"0 3 * * *\"\n"
                          "    timezone: local\n    payload: {}\n");
  const auto [status, out] = [&] {
    testing_time::scoped_tz tz("Europe/Helsinki");
    return validate(file, false);
  }();
  EXPECT_EQ(status, 0);
  EXPECT_NE(out.find("schedule \"0 3 * * *\" (local)"), std::string::npos) << out;
  static const std::regex fire(
      R"(\d{4}-\d\d-\d\dT0[01]:00:00Z \(local \d{4}-\d\d-\d\dT03:00:00\+0[23]:00\))");
  std::ptrdiff_t fires =
      std::distance(std::sregex_iterator(out.begin(), out.end(), fire), std::sregex_iterator());
  EXPECT_EQ(fires, 3) << out;
}

}  // namespace
}  // namespace zefortd
