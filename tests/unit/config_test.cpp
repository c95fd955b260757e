// Tests for configuration loading: defaults, every error kind with its exact file:line:column and
// suggestion, include globs, relative paths, revisions, and the shipped example configuration.
#include "core/config.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <boost/json/parse.hpp>
#include <cstdlib>
#include <fstream>

#include "core/suggest.hpp"

namespace zefortd {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;
using namespace std::chrono_literals;

// Two lines every valid file needs; tests append from line 3.
const std::string api = "api:\n  base_url: https://sandbox.zefort.com/api\n";

// A fresh directory per test, and no systemd variables leaking in from the environment.
class ConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/zefortd-config-test-XXXXXX";
    ASSERT_NE(mkdtemp(pattern), nullptr);
    dir_ = pattern;
    for (const char* name : {"STATE_DIRECTORY", "CONFIGURATION_DIRECTORY"}) {
      if (const char* value = std::getenv(name)) saved_.emplace_back(name, value);
      unsetenv(name);
    }
  }
  void TearDown() override {
    fs::remove_all(dir_);
    unsetenv("STATE_DIRECTORY");
    unsetenv("CONFIGURATION_DIRECTORY");
    for (const auto& [name, value] : saved_) setenv(name.c_str(), value.c_str(), 1);
  }

  fs::path write(const std::string& name, const std::string& text) {
    const fs::path path = dir_ / name;
    fs::create_directories(path.parent_path());
    std::ofstream(path) << text;
    return path;
  }
  config load(const std::string& text) { return load_config(write("zefortd.yaml", text)); }
  std::string error_of(const std::string& text) {
    try {
      load(text);
    } catch (const config_error& e) {
      return e.what();
    }
    return "no error";
  }
  // "DIR/zefortd.yaml:L:C: " for expected messages.
  std::string at(int line, int column, const std::string& file = "zefortd.yaml") const {
    return (dir_ / file).string() + ":" + std::to_string(line) + ":" + std::to_string(column) +
           ": ";
  }

  fs::path dir_;
  std::vector<std::pair<std::string, std::string>> saved_;
};

using ConfigLoad = ConfigTest;
using ConfigErrors = ConfigTest;
using ConfigInclude = ConfigTest;
using ConfigPaths = ConfigTest;
using ConfigHostile = ConfigTest;

TEST_F(ConfigLoad, DefaultsFromAMinimalFile) {
  const config cfg = load(api);
  EXPECT_EQ(cfg.file, dir_ / "zefortd.yaml");
  EXPECT_EQ(cfg.api.base_url.buffer(), "https://sandbox.zefort.com/api/");
  EXPECT_EQ(cfg.api.api_key_file, std::nullopt);
  EXPECT_EQ(cfg.api.ca_file, std::nullopt);
  EXPECT_EQ(cfg.api.timeout, 30s);
  EXPECT_EQ(cfg.api.connections, 4u);
  EXPECT_EQ(cfg.api.rate_limit, 10);
  EXPECT_FALSE(cfg.api.exclusive) << "another client may share the key unless told otherwise";
  EXPECT_EQ(cfg.polling.initial_delay, 2s);
  EXPECT_EQ(cfg.polling.max_delay, 2min);
  EXPECT_EQ(cfg.polling.multiplier, 2);
  EXPECT_EQ(cfg.polling.give_up_after, 24h);
  EXPECT_EQ(cfg.polling.list_above, 50u);
  EXPECT_FALSE(cfg.polling.dismiss_foreign);
  EXPECT_EQ(cfg.state.journal, dir_ / "zefortd.journal");
  EXPECT_EQ(cfg.metrics.listen, std::nullopt);
  EXPECT_TRUE(cfg.included_files.empty());
  EXPECT_TRUE(cfg.jobs.empty());
}

TEST_F(ConfigLoad, EveryKeyRead) {
  const config cfg = load(
      "api:\n"
      "  base_url: https://Sandbox.Zefort.COM/api/v2\n"
      "  api_key_file: /etc/zefortd/api-key\n"
      "  ca_file: /etc/zefortd/ca.pem\n"
      "  timeout: 1m30s\n"
      "  connections: 256\n"
      "  rate_limit: 0.5\n"
      "polling:\n"
      "  initial_delay: 500ms\n"
      "  max_delay: 500ms\n"
      "  multiplier: 1\n"
      "  give_up_after: 2d\n"
      "  list_above: 0\n"
      "  dismiss_foreign: true\n"
      "state:\n"
      "  journal: /var/lib/zefortd/j\n"
      "metrics:\n"
      "  listen: \"[::1]:9464\"\n"
      "jobs:\n"
      "  - name: Nightly_job-1.v2\n"
      "    endpoint: /contracts/bulk_delete/\n"
      "    schedule: \"0 3 * * *\"\n"
      "    timezone: local\n"
      "    overlap: allow\n"
      "    catch_up: 0\n"
      "    payload: {status: done, n: 3}\n"
      "    dismiss: false\n");
  EXPECT_EQ(cfg.api.base_url.buffer(), "https://sandbox.zefort.com/api/v2/");
  EXPECT_EQ(cfg.api.api_key_file, fs::path("/etc/zefortd/api-key"));
  EXPECT_EQ(cfg.api.ca_file, fs::path("/etc/zefortd/ca.pem"));
  EXPECT_EQ(cfg.api.timeout, 90s);
  EXPECT_EQ(cfg.api.connections, 256u);
  EXPECT_EQ(cfg.api.rate_limit, 0.5);
  EXPECT_EQ(cfg.polling.initial_delay, 500ms);
  EXPECT_EQ(cfg.polling.max_delay, 500ms);
  EXPECT_EQ(cfg.polling.multiplier, 1);
  EXPECT_EQ(cfg.polling.give_up_after, 48h);
  EXPECT_EQ(cfg.polling.list_above, 0u);
  EXPECT_TRUE(cfg.polling.dismiss_foreign);
  EXPECT_EQ(cfg.state.journal, fs::path("/var/lib/zefortd/j"));
  EXPECT_EQ(cfg.metrics.listen, "[::1]:9464");
  ASSERT_EQ(cfg.jobs.size(), 1u);
  const job_config& job = cfg.jobs[0];
  EXPECT_EQ(job.name, "Nightly_job-1.v2");
  EXPECT_EQ(job.endpoint, "contracts/bulk_delete/");
  EXPECT_EQ(job.schedule, "0 3 * * *");
  EXPECT_EQ(job.timezone, job_timezone::local);
  EXPECT_EQ(job.overlap, overlap_policy::allow);
  EXPECT_EQ(job.catch_up, 0ms);
  EXPECT_EQ(json::value(job.payload), json::parse(R"({"status": "done", "n": 3})"));
  EXPECT_FALSE(job.dismiss);
  EXPECT_EQ(job.where.file, dir_ / "zefortd.yaml");
  EXPECT_EQ(job.where.line, 20);
  EXPECT_EQ(job.where.column, 5);
}

TEST_F(ConfigLoad, JobDefaultsAndFindJob) {
  const config cfg =
      load(api + "jobs:\n  - name: a\n    payload: {}\n  - name: b\n    payload: {}\n");
  ASSERT_EQ(cfg.jobs.size(), 2u);
  const job_config& a = cfg.jobs[0];
  EXPECT_EQ(a.endpoint, "contracts/bulk_update/");
  EXPECT_EQ(a.schedule, std::nullopt);
  EXPECT_EQ(a.timezone, job_timezone::utc);
  EXPECT_EQ(a.overlap, overlap_policy::skip);
  EXPECT_EQ(a.catch_up, 1h);
  EXPECT_TRUE(a.dismiss);
  EXPECT_EQ(cfg.find_job("b"), &cfg.jobs[1]);
  EXPECT_EQ(cfg.find_job("c"), nullptr);
}

// find_job's index is a cache over a public vector: edits after a lookup must still be seen.
TEST_F(ConfigLoad, FindJobSeesJobsEditedAfterALookup) {
  config cfg = load(api + "jobs:\n  - name: a\n    payload: {}\n  - name: b\n    payload: {}\n");
  ASSERT_EQ(cfg.find_job("a"), &cfg.jobs[0]);
  cfg.jobs[0].name = "renamed";  // in place: same size, the index is stale
  EXPECT_EQ(cfg.find_job("a"), nullptr);
  EXPECT_EQ(cfg.find_job("renamed"), &cfg.jobs[0]);
  std::swap(cfg.jobs[0], cfg.jobs[1]);
  EXPECT_EQ(cfg.find_job("b"), &cfg.jobs[0]);
  EXPECT_EQ(cfg.find_job("renamed"), &cfg.jobs[1]);
  cfg.jobs.push_back(cfg.jobs[0]);
  cfg.jobs.back().name = "c";
  EXPECT_EQ(cfg.find_job("c"), &cfg.jobs[2]);
  const config copy = cfg;  // a copy's index must point into the copy's own jobs
  EXPECT_EQ(copy.find_job("c"), &copy.jobs[2]);
  cfg.jobs.clear();
  EXPECT_EQ(cfg.find_job("b"), nullptr);
}

TEST_F(ConfigLoad, BaseUrlIsNormalised) {
  EXPECT_EQ(load("api:\n  base_url: HTTPS://X.Example\n").api.base_url.buffer(),
            "https://x.example/");
  EXPECT_EQ(load("api:\n  base_url: https://x.example/api/\n").api.base_url.buffer(),
            "https://x.example/api/");
  EXPECT_EQ(load("api:\n  base_url: https://x.example:8443/a/./b\n").api.base_url.buffer(),
            "https://x.example:8443/a/b/");
}

TEST_F(ConfigLoad, ScheduleKeptVerbatim) {
  const config cfg =
      load(api + "jobs:\n  - name: a\n    schedule: '@every 90s'\n    payload: {}\n");
  EXPECT_EQ(cfg.jobs[0].schedule, "@every 90s");
  ASSERT_TRUE(cfg.jobs[0].parsed_schedule.has_value());
  EXPECT_EQ(cfg.jobs[0].parsed_schedule->text(), "@every 90s");
  ASSERT_NE(cfg.jobs[0].parsed_schedule->if_every(), nullptr);
  EXPECT_EQ(cfg.jobs[0].parsed_schedule->if_every()->interval, 90s);
  const config none = load(api + "jobs:\n  - name: a\n    payload: {}\n");
  EXPECT_EQ(none.jobs[0].parsed_schedule, std::nullopt);
}

TEST_F(ConfigErrors, BadScheduleNamesTheFieldAtItsColumn) {
  const std::string job = api + "jobs:\n  - name: a\n    payload: {}\n";  // next line is 6
  // The value starts at column 15 (its quote); "25" is 2 characters into the expression.
  EXPECT_EQ(error_of(job + "    schedule: \"0 25 * * *\"\n"),
            at(6, 18) + "jobs[0].schedule: field 2 (hour): 25 is out of range 0-23");
  EXPECT_EQ(error_of(job + "    schedule: '0 3 * * *'\n"), "no error");
  // Unquoted: "xyz" is 12 characters in.
  EXPECT_EQ(error_of(job + "    schedule: 0 3 * * mon-xyz\n"),
            at(6, 27) +
                "jobs[0].schedule: field 5 (day-of-week): 'xyz' is not a number or a weekday "
                "name (sun..sat)");
  EXPECT_EQ(error_of(job + "    schedule: \"0 0 30 2 *\"\n"),
            at(6, 20) +
                "jobs[0].schedule: field 3 (day-of-month): never fires: no month in field 4 has "
                "such a day");
  EXPECT_EQ(error_of(job + "    schedule: '@every 5 minutes'\n"),
            at(6, 23) +
                "jobs[0].schedule: @every: expected a duration such as 90s, 5m, 6h or 1d, got "
                "'5 minutes'");
  EXPECT_EQ(error_of(job + "    schedule: 0 3 * *\n"),
            at(6, 15) +
                "jobs[0].schedule: expected five fields (minute hour day-of-month month "
                "day-of-week) or a macro such as @daily, got 4 fields");
}

TEST_F(ConfigErrors, UnknownKeySuggestsTheKeyMeant) {
  EXPECT_EQ(error_of(api + "polling:\n  intial_delay: 5s\n"),
            at(4, 3) + "unknown key 'intial_delay' in polling; did you mean 'initial_delay'?");
  EXPECT_EQ(error_of(api + "job:\n  - name: a\n"),
            at(3, 1) + "unknown key 'job' at the top level; did you mean 'jobs'?");
  EXPECT_EQ(error_of(api + "jobs:\n  - name: a\n    shedule: \"@daily\"\n    payload: {}\n"),
            at(5, 5) + "unknown key 'shedule' in jobs[0]; did you mean 'schedule'?");
  EXPECT_EQ(error_of("api:\n  Base_URL: https://x.example\n"),
            at(2, 3) + "unknown key 'Base_URL' in api; did you mean 'base_url'?");
}

TEST_F(ConfigErrors, UnknownKeyWithoutAPlausibleSuggestion) {
  EXPECT_EQ(error_of(api + "frobnicate: 1\n"),
            at(3, 1) + "unknown key 'frobnicate' at the top level");
  EXPECT_EQ(error_of(api + "state:\n  path: x\n"), at(4, 3) + "unknown key 'path' in state");
}

TEST_F(ConfigErrors, DuplicateKey) {
  EXPECT_EQ(error_of(api + "  timeout: 1s\n  timeout: 2s\n"),
            at(4, 3) + "duplicate key 'timeout' in api (first at line 3, column 3)");
  EXPECT_EQ(error_of(api + "jobs:\n  - name: a\n    payload:\n      k: 1\n      k: 2\n"),
            at(7, 7) + "duplicate key 'k' (first at line 6, column 7)");
}

TEST_F(ConfigErrors, WrongTypes) {
  EXPECT_EQ(error_of(api + "polling:\n  multiplier: fast\n"),
            at(4, 15) + "polling.multiplier: expected a number, got 'fast'");
  EXPECT_EQ(error_of(api + "  connections: many\n"),
            at(3, 16) + "api.connections: expected a whole number, got 'many'");
  EXPECT_EQ(error_of(api + "  connections: 2.5\n"),
            at(3, 16) + "api.connections: expected a whole number, got '2.5'");
  EXPECT_EQ(error_of(api + "  connections: [1]\n"),
            at(3, 16) + "api.connections: expected a whole number, got a list");
  EXPECT_EQ(error_of(api + "polling:\n  dismiss_foreign: yes\n"),
            at(4, 20) + "polling.dismiss_foreign: expected true or false, got 'yes'");
  EXPECT_EQ(error_of(api + "polling: 5\n"), at(3, 10) + "polling: expected a mapping, got '5'");
  EXPECT_EQ(
      error_of("- api\n"),
      at(1, 1) +
          "expected a mapping with api, polling, state, metrics, include and jobs, got a list");
  EXPECT_EQ(error_of(api + "jobs: {name: a}\n"),
            at(3, 7) + "jobs: expected a list of jobs, got a mapping");
  EXPECT_EQ(error_of(api + "  api_key_file: {a: 1}\n"),
            at(3, 17) + "api.api_key_file: expected a string, got a mapping");
}

TEST_F(ConfigErrors, BadDurations) {
  EXPECT_EQ(error_of(api + "  timeout: 30 seconds\n"),
            at(3, 12) +
                "api.timeout: expected a duration such as 500ms, 30s, 5m, 2h or 1d, got "
                "'30 seconds'");
  EXPECT_EQ(
      error_of(api + "  timeout: 30\n"),
      at(3, 12) + "api.timeout: expected a duration such as 500ms, 30s, 5m, 2h or 1d, got '30'");
  EXPECT_EQ(error_of(api + "  timeout:\n"),
            at(3, 3) +
                "api.timeout: expected a duration such as 500ms, 30s, 5m, 2h or 1d, got "
                "nothing");
  EXPECT_EQ(error_of(api + "  timeout: 0\n"), at(3, 12) + "api.timeout: must be more than 0");
}

// Each duration has a maximum: `timeout: 1000000d` used to validate and then overflow every
// deadline, and a huge max_delay slept past give_up_after.
TEST_F(ConfigErrors, DurationsBeyondTheirMaximum) {
  EXPECT_EQ(error_of(api + "  timeout: 1000000d\n"),
            at(3, 12) + "api.timeout: must be at most 1h, got '1000000d'");
  EXPECT_EQ(error_of(api + "  timeout: 99999999999999999999999ms\n"),
            at(3, 12) + "api.timeout: must be at most 1h, got '99999999999999999999999ms'");
  EXPECT_EQ(error_of(api + "  timeout: 1h1ms\n"),
            at(3, 12) + "api.timeout: must be at most 1h, got '1h1ms'");
  EXPECT_EQ(load(api + "  timeout: 1h\n").api.timeout, 1h);
  EXPECT_EQ(error_of(api + "polling:\n  initial_delay: 2d\n"),
            at(4, 18) + "polling.initial_delay: must be at most 1d, got '2d'");
  EXPECT_EQ(error_of(api + "polling:\n  max_delay: 106751991167d\n"),
            at(4, 14) + "polling.max_delay: must be at most 1d, got '106751991167d'");
  EXPECT_EQ(error_of(api + "polling:\n  give_up_after: 31d\n"),
            at(4, 18) + "polling.give_up_after: must be at most 30d, got '31d'");
  EXPECT_EQ(load(api + "polling:\n  max_delay: 1d\n  give_up_after: 30d\n").polling.give_up_after,
            std::chrono::days(30));
  const std::string job = api + "jobs:\n  - name: a\n    payload: {}\n";  // next line is 6
  EXPECT_EQ(error_of(job + "    catch_up: 3651d\n"),
            at(6, 15) + "jobs[0].catch_up: must be at most 30d, got '3651d'");
}

TEST_F(ConfigErrors, MissingBaseUrl) {
  EXPECT_EQ(error_of("api:\n  timeout: 5s\n"), at(2, 3) + "api: missing required key 'base_url'");
  EXPECT_EQ(error_of("polling:\n  multiplier: 2\n"),
            at(1, 1) + "missing required section 'api' with base_url");
  EXPECT_EQ(error_of(""),
            (dir_ / "zefortd.yaml").string() + ": missing required section 'api' with base_url");
}

TEST_F(ConfigErrors, BadBaseUrl) {
  EXPECT_EQ(error_of("api:\n  base_url: http://sandbox.zefort.com/api\n"),
            at(2, 13) + "api.base_url: must use https, got 'http://sandbox.zefort.com/api'");
  EXPECT_EQ(error_of("api:\n  base_url: sandbox.zefort.com/api\n"),
            at(2, 13) + "api.base_url: not an absolute URL: 'sandbox.zefort.com/api'");
  EXPECT_EQ(error_of("api:\n  base_url: https:/api\n"),
            at(2, 13) + "api.base_url: must name a host, got 'https:/api'");
  // A query may hold a token: it is not echoed.
  EXPECT_EQ(error_of("api:\n  base_url: https://x.example/api?key=s3cret\n"),
            at(2, 13) +
                "api.base_url: must not have a query or fragment, got 'https://x.example/api' "
                "(query or fragment not shown)");
  EXPECT_EQ(error_of("api:\n  base_url: http://x.example/api?key=s3cret#f\n"),
            at(2, 13) +
                "api.base_url: must use https, got 'http://x.example/api' (query or fragment not "
                "shown)");
  const std::string secret = error_of("api:\n  base_url: https://key:s3cret@x.example/api\n");
  EXPECT_EQ(secret.find("s3cret"), std::string::npos) << secret;
  EXPECT_EQ(secret.rfind(at(2, 13) + "api.base_url: must not hold a user name or password", 0), 0u)
      << secret;
}

// `https://127.0.0.1:PORT/api` passed validate, then retried "Connection refused" for a day.
TEST_F(ConfigErrors, BaseUrlPorts) {
  EXPECT_EQ(error_of("api:\n  base_url: https://127.0.0.1:PORT/api\n"),
            at(2, 13) +
                "api.base_url: the port must be a number from 1 to 65535, got none in "
                "'https://127.0.0.1:PORT/api'");
  EXPECT_EQ(error_of("api:\n  base_url: https://x.example:0/api\n"),
            at(2, 13) +
                "api.base_url: the port must be a number from 1 to 65535, got '0' in "
                "'https://x.example:0/api'");
  EXPECT_EQ(error_of("api:\n  base_url: https://x.example:65536/api\n"),
            at(2, 13) +
                "api.base_url: the port must be a number from 1 to 65535, got '65536' in "
                "'https://x.example:65536/api'");
  EXPECT_EQ(error_of("api:\n  base_url: https://x.example:/api\n"),
            at(2, 13) +
                "api.base_url: the port must be a number from 1 to 65535, got none in "
                "'https://x.example:/api'");
  EXPECT_EQ(load("api:\n  base_url: https://x.example:65535/api\n").api.base_url.port_number(),
            65535);
  EXPECT_EQ(load("api:\n  base_url: https://[::1]:1/api\n").api.base_url.port_number(), 1);
}

TEST_F(ConfigErrors, NonAsciiHostGetsThePunycodeHint) {
  const std::string hint =
      "write a non-ASCII host name in its ASCII (punycode) form, e.g. xn--bcher-kva.example for "
      "bücher.example";
  EXPECT_EQ(error_of("api:\n  base_url: https://bücher.example/api\n"),
            at(2, 13) + "api.base_url: not an absolute URL: 'https://bücher.example/api'; " + hint);
  EXPECT_EQ(error_of("api:\n  base_url: https://b%C3%BCcher.example/api\n"),
            at(2, 13) + "api.base_url: the host 'bücher.example' is not ASCII; " + hint);
  EXPECT_EQ(load("api:\n  base_url: https://xn--bcher-kva.example/api\n").api.base_url.host(),
            "xn--bcher-kva.example");
}

TEST_F(ConfigErrors, OutOfRangeValues) {
  EXPECT_EQ(error_of(api + "  connections: 0\n"),
            at(3, 16) + "api.connections: must be between 1 and 256, got 0");
  EXPECT_EQ(error_of(api + "  connections: 257\n"),
            at(3, 16) + "api.connections: must be between 1 and 256, got 257");
  EXPECT_EQ(error_of(api + "  rate_limit: -1\n"),
            at(3, 15) + "api.rate_limit: must be 0 (no limit) or more, got -1");
  EXPECT_EQ(error_of(api + "polling:\n  multiplier: 0.5\n"),
            at(4, 15) + "polling.multiplier: must be 1 or more, got 0.5");
  EXPECT_EQ(error_of(api + "polling:\n  initial_delay: 0s\n"),
            at(4, 18) + "polling.initial_delay: must be more than 0");
  EXPECT_EQ(error_of(api + "polling:\n  give_up_after: 0\n"),
            at(4, 18) + "polling.give_up_after: must be more than 0");
  EXPECT_EQ(error_of(api + "polling:\n  initial_delay: 10s\n  max_delay: 5s\n"),
            at(5, 14) + "polling.max_delay (5s) must not be less than polling.initial_delay (10s)");
  EXPECT_EQ(error_of(api + "polling:\n  initial_delay: 5m\n"),
            at(4, 18) + "polling.max_delay (2m) must not be less than polling.initial_delay (5m)");
  EXPECT_EQ(error_of(api + "metrics:\n  listen: 9464\n"),
            at(4, 11) + "metrics.listen: expected host:port such as 127.0.0.1:9464, got '9464'");
  EXPECT_EQ(
      error_of(api + "metrics:\n  listen: localhost:0\n"),
      at(4, 11) + "metrics.listen: expected host:port such as 127.0.0.1:9464, got 'localhost:0'");
}

TEST_F(ConfigErrors, JobNames) {
  EXPECT_EQ(error_of(api + "jobs:\n  - payload: {a: 1}\n"),
            at(4, 5) + "jobs[0]: missing required key 'name'");
  EXPECT_EQ(error_of(api + "jobs:\n  - name: my job\n    payload: {}\n"),
            at(4, 11) + "jobs[0].name: 'my job' may hold only letters, digits, '.', '_' and '-'");
  EXPECT_EQ(error_of(api + "jobs:\n  - name: \"\"\n    payload: {}\n"),
            at(4, 11) + "jobs[0].name: must not be empty");
  EXPECT_EQ(error_of(api + "jobs:\n  - name: a\n    payload: {}\n  - name: a\n    payload: {}\n"),
            at(6, 5) + "duplicate job name 'a'; first defined at " +
                at(4, 5).substr(0, at(4, 5).size() - 2));
  EXPECT_EQ(
      error_of(api + "jobs:\n  - just-a-name\n"),
      at(4, 5) + "jobs[0]: expected a mapping with at least name and payload, got 'just-a-name'");
}

TEST_F(ConfigErrors, JobFields) {
  const std::string job = api + "jobs:\n  - name: a\n    payload: {}\n";  // next line is 6
  EXPECT_EQ(error_of(job + "    endpoint: https://evil.example/x\n"),
            at(6, 15) +
                "jobs[0].endpoint: expected a path relative to api.base_url such as "
                "contracts/bulk_update/, got 'https://evil.example/x'");
  EXPECT_EQ(error_of(job + "    endpoint: //evil.example/x\n"),
            at(6, 15) +
                "jobs[0].endpoint: expected a path relative to api.base_url such as "
                "contracts/bulk_update/, got '//evil.example/x'");
  EXPECT_EQ(error_of(job + "    endpoint: /\n"),
            at(6, 15) + "jobs[0].endpoint: must name an endpoint such as contracts/bulk_update/");
  EXPECT_EQ(error_of(job + "    timezone: UTC\n"),
            at(6, 15) + "jobs[0].timezone: expected utc or local, got 'UTC'; did you mean 'utc'?");
  EXPECT_EQ(error_of(job + "    overlap: sometimes\n"),
            at(6, 14) + "jobs[0].overlap: expected skip or allow, got 'sometimes'");
  EXPECT_EQ(error_of(job + "    dismiss: yes\n"),
            at(6, 14) + "jobs[0].dismiss: expected true or false, got 'yes'");
  EXPECT_EQ(error_of(job + "    schedule: \"\"\n"),
            at(6, 15) + "jobs[0].schedule: empty; leave the key out for a job that runs once");
  EXPECT_EQ(error_of(job + "    catch_up: 1 hour\n"),
            at(6, 15) +
                "jobs[0].catch_up: expected a duration such as 500ms, 30s, 5m, 2h or 1d, "
                "got '1 hour'");
  EXPECT_EQ(error_of(api + "jobs:\n  - name: a\n    payload: [1, 2]\n"),
            at(5, 14) + "jobs[0].payload: expected a mapping (the JSON request body), got a list");
  EXPECT_EQ(error_of(api + "jobs:\n  - name: a\n    dismiss: true\n"),
            at(4, 5) + "jobs[0] ('a'): missing required key 'payload'");
}

TEST_F(ConfigErrors, BadTemplateReportedAtThePayload) {
  EXPECT_EQ(error_of(api + "jobs:\n"
                           "  - name: a\n"
                           "    payload:\n"
                           "      attributes:\n"
                           "        end_date: \"{{ tomorrow }}\"\n"),
            at(6, 7) + "jobs[0].payload.attributes.end_date: unknown template '{{ tomorrow }}'");
}

TEST_F(ConfigErrors, YamlSyntaxErrorAtItsPosition) {
  EXPECT_EQ(error_of("api:\n  base_url: [https://x.example\npolling: {}\n"),
            at(3, 8) + "end of sequence flow not found");
  EXPECT_EQ(error_of("api:\n\tbase_url: x\n"),
            at(2, 10) + "illegal map value (this line is indented with a tab; YAML needs spaces)");
  EXPECT_EQ(error_of(api + "---\napi: {}\n"),
            at(4, 1) + "more than one YAML document; keep everything in the first");
}

// yaml-cpp 0.7's LoadAll never returns on these, and allocates as it loops (found by
// tests/fuzz/config_fuzz): each must be a prompt error at the comma.
TEST_F(ConfigErrors, AStrayCommaIsAnErrorNotAnEndlessLoop) {
  EXPECT_EQ(error_of(","), at(1, 1) + "not YAML that can be read (a stray ',' outside [] or {}?)");
  EXPECT_EQ(error_of("# a comment\n,x\n"),
            at(2, 1) + "not YAML that can be read (a stray ',' outside [] or {}?)");
}

TEST_F(ConfigErrors, UnreadableFile) {
  const fs::path missing = dir_ / "absent.yaml";
  try {
    load_config(missing);
    FAIL() << "no error";
  } catch (const config_error& e) {
    EXPECT_EQ(std::string(e.what()), missing.string() + ": cannot read: No such file or directory");
    EXPECT_EQ(e.where().file, missing);
    EXPECT_EQ(e.where().line, 0);
  }
  fs::create_directory(dir_ / "a-directory.yaml");
  try {
    load_config(dir_ / "a-directory.yaml");
    FAIL() << "no error";
  } catch (const config_error& e) {
    EXPECT_EQ(std::string(e.what()),
              (dir_ / "a-directory.yaml").string() + ": cannot read: Is a directory");
  }
}

TEST(ConfigError, MessageFormat) {
  EXPECT_STREQ(config_error({"/etc/z.yaml", 3, 7}, "bad").what(), "/etc/z.yaml:3:7: bad");
  EXPECT_STREQ(config_error({"/etc/z.yaml", 0, 0}, "bad").what(), "/etc/z.yaml: bad");
  EXPECT_STREQ(config_error({"", 0, 0}, "bad").what(), "bad");
  EXPECT_EQ(config_error({"/etc/z.yaml", 3, 7}, "bad").where().column, 7);
}

TEST_F(ConfigPaths, RelativePathsResolveAgainstTheFile) {
  const config cfg = load(api +
                          "  api_key_file: secrets/api-key\n"
                          "  ca_file: ../ca.pem\n"
                          "state:\n"
                          "  journal: state/zefortd.journal\n");
  EXPECT_EQ(cfg.api.api_key_file, dir_ / "secrets/api-key");
  EXPECT_EQ(cfg.api.ca_file, dir_.parent_path() / "ca.pem");
  EXPECT_EQ(cfg.state.journal, dir_ / "state/zefortd.journal");
}

TEST_F(ConfigPaths, RelativeMainFileIsMadeAbsolute) {
  write("zefortd.yaml", api);
  const fs::path cwd = fs::current_path();
  fs::current_path(dir_);
  const config cfg = load_config("./zefortd.yaml");
  fs::current_path(cwd);
  EXPECT_EQ(cfg.file, dir_ / "zefortd.yaml");
  EXPECT_EQ(cfg.state.journal, dir_ / "zefortd.journal");
}

TEST_F(ConfigPaths, JournalDefaultsToStateDirectory) {
  setenv("STATE_DIRECTORY", "/var/lib/zefortd:/var/lib/other", 1);
  EXPECT_EQ(load(api).state.journal, fs::path("/var/lib/zefortd/zefortd.journal"));
  EXPECT_EQ(load(api + "state:\n  journal: /srv/j\n").state.journal, fs::path("/srv/j"));
}

TEST_F(ConfigPaths, DefaultConfigPath) {
  EXPECT_EQ(default_config_path(), fs::path("/etc/zefortd/zefortd.yaml"));
  setenv("CONFIGURATION_DIRECTORY", "/etc/zefortd-test:/etc/second", 1);
  EXPECT_EQ(default_config_path(), fs::path("/etc/zefortd-test/zefortd.yaml"));
}

TEST_F(ConfigInclude, GlobsSortedAndDeduplicated) {
  write("jobs.d/b.yaml", "jobs:\n  - name: from-b\n    payload: {x: 1}\n");
  write("jobs.d/a.yaml", "# comment first\njobs:\n  - name: from-a\n    payload: {x: 2}\n");
  write("jobs.d/empty.yaml", "");
  write("jobs.d/notes.txt", "not yaml: [");
  fs::create_directories(dir_ / "jobs.d/dir.yaml");  // a directory the glob also matches
  const config cfg = load(api +
                          "include:\n"
                          "  - jobs.d/*.yaml\n"
                          "  - jobs.d/a.yaml\n"
                          "  - nothing-here/*.yaml\n"
                          "jobs:\n"
                          "  - name: main\n"
                          "    payload: {}\n");
  EXPECT_EQ(cfg.included_files,
            (std::vector<fs::path>{dir_ / "jobs.d/a.yaml", dir_ / "jobs.d/b.yaml",
                                   dir_ / "jobs.d/empty.yaml"}));
  ASSERT_EQ(cfg.jobs.size(), 3u);
  EXPECT_EQ(cfg.jobs[0].name, "main");
  EXPECT_EQ(cfg.jobs[1].name, "from-a");
  EXPECT_EQ(cfg.jobs[1].where.file, dir_ / "jobs.d/a.yaml");
  EXPECT_EQ(cfg.jobs[1].where.line, 3);
  EXPECT_EQ(cfg.jobs[2].name, "from-b");
}

TEST_F(ConfigInclude, MainFileNotIncludedTwice) {
  write("more.yaml", "jobs:\n  - name: more\n    payload: {}\n");
  const config cfg = load(api + "include: ['*.yaml']\n");
  EXPECT_EQ(cfg.included_files, std::vector<fs::path>{dir_ / "more.yaml"});
  ASSERT_EQ(cfg.jobs.size(), 1u);
}

TEST_F(ConfigInclude, AbsolutePattern) {
  write("elsewhere/x.yaml", "jobs:\n  - name: x\n    payload: {}\n");
  const config cfg = load(api + "include:\n  - " + (dir_ / "elsewhere/*.yaml").string() + "\n");
  EXPECT_EQ(cfg.included_files, std::vector<fs::path>{dir_ / "elsewhere/x.yaml"});
}

TEST_F(ConfigInclude, Errors) {
  EXPECT_EQ(error_of(api + "include:\n  - missing.yaml\n"), at(4, 5) + "include[0]: cannot read '" +
                                                                (dir_ / "missing.yaml").string() +
                                                                "': No such file or directory");
  fs::create_directories(dir_ / "jobs.d");
  EXPECT_EQ(error_of(api + "include:\n  - jobs.d\n"),
            at(4, 5) + "include[0]: '" + (dir_ / "jobs.d").string() +
                "' is a directory; write 'jobs.d/*.yaml' to include its files");
  EXPECT_EQ(error_of(api + "include: jobs.d/*.yaml\n"),
            at(3, 10) + "include: expected a list of files or patterns, got 'jobs.d/*.yaml'");

  write("jobs.d/a.yaml", "api:\n  base_url: https://x.example\n");
  EXPECT_EQ(error_of(api + "include: [jobs.d/a.yaml]\n"),
            at(1, 1, "jobs.d/a.yaml") + "unknown key 'api' at the top level");
  write("jobs.d/a.yaml", "include: [other.yaml]\n");
  EXPECT_EQ(error_of(api + "include: [jobs.d/a.yaml]\n"),
            at(1, 10, "jobs.d/a.yaml") + "include: only the main configuration file may include");
  write("jobs.d/a.yaml", "jobs:\n  - name: a\n    payload: {}\n");
  EXPECT_EQ(error_of(api + "include: [jobs.d/a.yaml]\njobs:\n  - name: a\n    payload: {}\n"),
            at(2, 5, "jobs.d/a.yaml") + "duplicate job name 'a'; first defined at " +
                (dir_ / "zefortd.yaml").string() + ":5:5");
  write("jobs.d/a.yaml", "jobs:\n  - name: a\n    payload: {\n");
  EXPECT_EQ(error_of(api + "include: [jobs.d/a.yaml]\n").rfind(at(4, 1, "jobs.d/a.yaml"), 0), 0u);
  write("jobs.d/a.yaml", "jobs:\n  - name: b\n    shedule: x\n    payload: {}\n");
  EXPECT_EQ(
      error_of(api + "include: [jobs.d/a.yaml]\n"),
      at(3, 5, "jobs.d/a.yaml") + "unknown key 'shedule' in jobs[0]; did you mean 'schedule'?");
}

job_config job_with(const std::string& payload_json,
                    std::string endpoint = "contracts/bulk_update/") {
  job_config job;
  job.endpoint = std::move(endpoint);
  job.payload = json::parse(payload_json).as_object();
  return job;
}

TEST(ConfigRevision, StableAcrossKeyOrderAndMachines) {
  const job_config a = job_with(
      R"({"attributes": {"end_date": "2023-02-15"}, "status": "done",
          "search": {"q_tags": "contracts of service"}})");
  const job_config b = job_with(
      R"({"search": {"q_tags": "contracts of service"}, "status": "done",
          "attributes": {"end_date": "2023-02-15"}})");
  // SHA-256 of {"endpoint":"contracts/bulk_update/","payload":{"attributes":{...},"search":{...},
  // "status":"done"}}, keys sorted, no spaces: a fixed value, so revisions survive upgrades.
  EXPECT_EQ(a.revision(), "1147e57831becdd8");
  EXPECT_EQ(b.revision(), a.revision());
}

TEST(ConfigRevision, ChangesWithPayloadOrEndpoint) {
  const job_config base = job_with(R"({"status": "done", "n": [1, 2]})");
  EXPECT_NE(job_with(R"({"status": "open", "n": [1, 2]})").revision(), base.revision());
  EXPECT_NE(job_with(R"({"status": "done", "n": [2, 1]})").revision(), base.revision());
  EXPECT_NE(job_with(R"({"status": "done", "n": ["1", 2]})").revision(), base.revision());
  EXPECT_NE(job_with(R"({"status": "done", "n": [1, 2]})", "contracts/other/").revision(),
            base.revision());
  EXPECT_EQ(job_with(R"({"n": [1, 2], "status": "done"})").revision(), base.revision());
  job_config renamed = base;
  renamed.name = "another";
  renamed.dismiss = false;
  EXPECT_EQ(renamed.revision(), base.revision());  // only what is sent counts
  EXPECT_EQ(base.revision().size(), 16u);
  EXPECT_EQ(base.revision().find_first_not_of("0123456789abcdef"), std::string::npos);
}

TEST(ConfigSuggest, EditDistance) {
  EXPECT_EQ(edit_distance("", ""), 0u);
  EXPECT_EQ(edit_distance("abc", ""), 3u);
  EXPECT_EQ(edit_distance("intial_delay", "initial_delay"), 1u);
  EXPECT_EQ(edit_distance("nmae", "name"), 1u);  // a transposition
  EXPECT_EQ(edit_distance("kitten", "sitting"), 3u);
}

TEST(ConfigSuggest, OnlyPlausibleMatches) {
  constexpr std::string_view keys[] = {"name", "endpoint", "schedule", "timezone"};
  EXPECT_EQ(closest_match("nmae", keys), "name");
  EXPECT_EQ(closest_match("Schedul", keys), "schedule");
  EXPECT_EQ(closest_match("tz", keys), std::nullopt);
  EXPECT_EQ(closest_match("frequency", keys), std::nullopt);
  EXPECT_EQ(did_you_mean("endpiont", keys), "; did you mean 'endpoint'?");
  EXPECT_EQ(did_you_mean("zzz", keys), "");
}

TEST(ConfigSuggest, AKeyCutShortSuggestsTheWholeKey) {
  constexpr std::string_view keys[] = {"initial_delay", "max_delay",  "multiplier",
                                       "give_up_after", "list_above", "dismiss_foreign"};
  EXPECT_EQ(closest_match("give_up", keys), "give_up_after");
  EXPECT_EQ(closest_match("Initial", keys), "initial_delay");
  EXPECT_EQ(closest_match("dismiss", keys), "dismiss_foreign");
  EXPECT_EQ(closest_match("max", keys), "max_delay");
  EXPECT_EQ(closest_match("mu", keys), std::nullopt);     // too short to mean one key
  EXPECT_EQ(closest_match("delay", keys), std::nullopt);  // a suffix is not a prefix
}

TEST_F(ConfigErrors, UnknownKeyThatIsAPrefixGetsASuggestion) {
  EXPECT_EQ(error_of(api + "polling:\n  give_up: 1d\n"),
            at(4, 3) + "unknown key 'give_up' in polling; did you mean 'give_up_after'?");
}

// The example shipped in config/ must always load: it is what operators copy.
TEST(ConfigExample, ShippedExampleLoads) {
  const fs::path example = fs::path(ZEFORTD_CONFIG_DIR) / "zefortd.yaml";
  const config cfg = load_config(example);
  EXPECT_EQ(cfg.api.base_url.buffer(), "https://sandbox.zefort.com/api/");
  EXPECT_FALSE(cfg.api.api_key_file);  // commented out: the shipped unit passes LoadCredential=
  EXPECT_EQ(cfg.state.journal, fs::path("/var/lib/zefortd/zefortd.journal"));
  EXPECT_EQ(cfg.metrics.listen, "127.0.0.1:9464");
  const fs::path jobs_d = cfg.file.parent_path() / "jobs.d";
  EXPECT_EQ(cfg.included_files, (std::vector<fs::path>{jobs_d / "close-reviewed-renewals.yaml",
                                                       jobs_d / "tag-expiring-contracts.yaml"}));
  ASSERT_EQ(cfg.jobs.size(), 3u);

  const job_config* reference = cfg.find_job("end-contracts-of-service");
  ASSERT_NE(reference, nullptr);
  EXPECT_EQ(json::value(reference->payload), json::parse(R"({
    "attributes": {"end_date": "2023-02-15"}, "status": "done",
    "search": {"q_tags": "contracts of service"}})"));
  EXPECT_EQ(reference->schedule, "0 3 * * *");
  EXPECT_EQ(reference->revision(), "1147e57831becdd8");

  const job_config* every = cfg.find_job("close-reviewed-renewals");
  ASSERT_NE(every, nullptr);
  EXPECT_EQ(every->schedule, "@every 6h");
  EXPECT_EQ(every->catch_up, 0ms);

  const job_config* expiring = cfg.find_job("tag-expiring-contracts");
  ASSERT_NE(expiring, nullptr);
  EXPECT_EQ(expiring->timezone, job_timezone::local);
  EXPECT_EQ(expiring->payload.at("search").at("end_date_before"), "{{ today + 30d }}");
}

// What a hostile or wrong file can do is bounded, and every failure is a config_error naming the
// file (and line where there is one): `serve`'s reload catches only that.

// Ten levels of ten aliases each: 10^10 values once expanded. It grew until bad_alloc (exit 70, no
// file or line) and took `serve` down on SIGHUP.
TEST_F(ConfigHostile, AliasBombInAPayloadIsRefusedAtThePayload) {
  std::string text =
      api + "jobs:\n  - name: bomb\n    payload:\n      a: &a [x, x, x, x, x, x, x, x, x, x]\n";
  std::string previous = "a";
  for (char c = 'b'; c <= 'k'; ++c) {
    const std::string use = "*" + previous;
    text += std::string("      ") + c + ": &" + c + " [" + use;
    for (int i = 0; i < 9; ++i) text += ", " + use;
    text += "]\n";
    previous = std::string(1, c);
  }
  EXPECT_EQ(error_of(text), at(6, 7) +
                                "expands to more than 1000000 values, counting each use of "
                                "an alias; write it out plainly");
}

TEST_F(ConfigHostile, ExpansionIsBoundedInBytesToo) {
  // 900 KiB written once, used 20 times: 18 MiB, more than a journal frame holds.
  const std::string big = std::string(900 * 1024, 'x');
  std::string text =
      api + "jobs:\n  - name: wide\n    payload:\n      s: &s " + big + "\n      t: [*s";
  for (int i = 0; i < 19; ++i) text += ", *s";
  text += "]\n";
  EXPECT_EQ(error_of(text), at(6, 7) +
                                "expands to more than 8 MiB, counting each use of an alias; "
                                "write it out plainly");
}

// A body over the frame limit passed validate, then `run` logged an internal error, printed
// "0 runs" and exited 0. The limit is checked on the body as it will be sent.
TEST_F(ConfigHostile, PayloadTooLargeToJournalIsAnErrorNamingTheJob) {
  const std::string big = std::string(600 * 1024, 'x');
  std::string text = api + "jobs:\n  - name: small\n    payload: {a: 1}\n  - name: large\n" +
                     "    payload:\n      s: &s " + big +
                     "\n      t: [*s, *s, *s, *s, *s, *s, *s]\n";
  const std::string error = error_of(text);
  EXPECT_EQ(error,
            at(6, 5) + "jobs[1] ('large'): the payload is " +
                std::to_string(8 * (600 * 1024 + 2) + 19) +
                " bytes as JSON, templates resolved; at most 4 MiB can be journaled and sent")
      << error.substr(0, 300);
  // Templates count as what they resolve to: "{{now}}" (7 bytes) becomes 20.
  std::string templated = api + "jobs:\n  - name: dates\n    payload:\n      s: &s [";
  for (int i = 0; i < 30000; ++i) templated += i ? ",'{{now}}'" : "'{{now}}'";
  templated += "]\n      t: [*s, *s, *s, *s, *s, *s, *s]\n";
  EXPECT_NE(error_of(templated).find("jobs[0] ('dates'): the payload is "), std::string::npos);
}

// Each payload within its bound, but one anchored payload used by many jobs: the whole is bounded.
TEST_F(ConfigHostile, AnAliasUsedByManyJobsIsBoundedToo) {
  std::string text = api + "jobs:\n  - name: j0\n    payload: &p {s: [&s " +
                     std::string(700 * 1024, 'x') + ", *s, *s, *s, *s]}\n";
  for (int i = 1; i < 40; ++i) text += "  - name: j" + std::to_string(i) + "\n    payload: *p\n";
  // 5 x 700 KiB per job: the fifth job passes 16 MiB. Job i starts on line 4 + 2i.
  EXPECT_EQ(error_of(text),
            at(12, 5) +
                "jobs[4] ('j4'): the payloads of the jobs up to this one come to more than 16 MiB "
                "as JSON, each use of an alias counted");
  // The same total spread over an included file counts as much.
  write("more.yaml", "jobs:\n  - name: k\n    payload: {a: 1}\n");
  EXPECT_EQ(
      load(api + "include: [more.yaml]\njobs:\n  - name: j\n    payload: {a: 1}\n").jobs.size(),
      2u);
}

TEST_F(ConfigHostile, NestingBeyondWhatTheJournalReadsBackIsRefused) {
  auto nested = [&](int lists) {
    return api + "jobs:\n  - name: deep\n    payload: {a: " + std::string(lists, '[') +
           std::string(lists, ']') + "}\n";
  };
  EXPECT_EQ(load(nested(23)).jobs.size(), 1u);  // 24 levels with the payload itself
  EXPECT_EQ(error_of(nested(24)), at(5, 41) + "nested more than 24 levels deep");
}

TEST_F(ConfigHostile, FilesThatAreNotConfigurationFilesAreRefusedAtOnce) {
  const fs::path fifo = dir_ / "jobs.fifo";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  EXPECT_EQ(error_of(api + "include:\n  - jobs.fifo\n"),
            fifo.string() + ": cannot read: a FIFO, not a regular file");
  EXPECT_EQ(error_of(api + "include:\n  - /dev/zero\n"),
            "/dev/zero: cannot read: a device or socket, not a regular file");
  EXPECT_EQ(error_of(api + "include:\n  - /dev/null\n"),
            "/dev/null: cannot read: a device or socket, not a regular file");
  try {
    load_config("/dev/zero");
    FAIL() << "loaded /dev/zero";
  } catch (const config_error& e) {
    EXPECT_EQ(std::string(e.what()),
              "/dev/zero: cannot read: a device or socket, not a regular file");
  }
  const std::string too_large =
      ": cannot read: larger than 1024 KiB; a configuration file holds settings and jobs, not data";
  write("big.yaml", "jobs:\n" + std::string(1 << 20, '#'));
  EXPECT_EQ(error_of(api + "include:\n  - big.yaml\n"), (dir_ / "big.yaml").string() + too_large);
  EXPECT_EQ(error_of(api + "#" + std::string((1 << 20) - api.size() - 1, 'x')).find("larger"),
            std::string::npos);  // exactly 1 MiB is still read
  EXPECT_EQ(error_of(api + "#" + std::string((1 << 20) - api.size(), 'x')),
            (dir_ / "zefortd.yaml").string() + too_large);
}

TEST_F(ConfigHostile, ANulByteIsReportedWhereItIs) {
  EXPECT_EQ(error_of(api + "  timeout: 3" + std::string(1, '\0') + "s\n"),
            at(3, 13) + "a NUL byte; a configuration file is text (is this the right file?)");
  EXPECT_EQ(error_of(std::string(1, '\0') + api),
            at(1, 1) + "a NUL byte; a configuration file is text (is this the right file?)");
}

}  // namespace
}  // namespace zefortd
