// The integration-test harness: a temporary directory, a zefort-sandbox process, its counters
// read over verified HTTPS with the project's own client, a configuration writer, and ways to
// run the real zefortd binary (to completion, or killed on cue).
#pragma once

#include <gtest/gtest.h>
#include <sys/types.h>

#include <boost/json/object.hpp>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace zefortd::it {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

inline constexpr const char* zefortd_bin = ZEFORTD_BIN;
inline constexpr const char* sandbox_bin = SANDBOX_BIN;
inline constexpr const char* default_key = "sandbox-key";

// A directory made with mkdtemp, removed at the end unless the current test failed (then its
// path is printed, with the sandbox log, configurations and journals in it).
class temp_dir {
 public:
  temp_dir();
  ~temp_dir();
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;
  const fs::path& path() const { return path_; }
  fs::path operator/(std::string_view name) const { return path_ / name; }

 private:
  fs::path path_;
};

// A running zefort-sandbox. The constructor returns once the sandbox printed its address; the
// destructor stops it with SIGTERM and reaps it.
class sandbox {
 public:
  // `dir` receives ca.pem and sandbox.log; `args` are extra flags such as --task-duration.
  sandbox(const fs::path& dir, std::vector<std::string> args, std::string api_key = default_key);
  ~sandbox();
  sandbox(const sandbox&) = delete;
  sandbox& operator=(const sandbox&) = delete;

  const std::string& host() const { return host_; }
  unsigned port() const { return port_; }
  // https://HOST:PORT/api
  std::string base_url() const;
  fs::path ca_file() const { return dir_ / "ca.pem"; }
  fs::path log_file() const { return dir_ / "sandbox.log"; }

  // GET /_sandbox/stats over verified TLS with the sandbox CA. Throws on any failure.
  boost::json::object stats() const;
  // One counter of stats().
  static std::uint64_t count(const boost::json::object& stats, std::string_view name);
  // Every job submitted exactly once, no body twice, every task dismissed once it finished,
  // nothing left open. Non-fatal expectations, so a report shows every counter that is off.
  static void expect_each_job_once(const boost::json::object& stats, std::uint64_t jobs);

 private:
  fs::path dir_;
  std::string api_key_;
  std::string host_;
  unsigned port_ = 0;
  pid_t pid_ = -1;
  int stdout_fd_ = -1;
};

// One job of a generated configuration. payload_yaml is the YAML of `payload:`'s value, written
// at indentation 0; write_config indents it.
struct job_spec {
  std::string name;
  std::string payload_yaml;
  bool dismiss = true;
};

// The reference's example job plus `search:` extras, for a distinct body per job.
job_spec example_job(std::string name, std::string q_tags, std::string extra_search = {});
// job-0 ... job-(n-1), each with search.q_tags "job N" (plus " TAG"): distinct bodies. A new
// tag gives a new batch of the same jobs bodies distinct from the last batch's.
std::vector<job_spec> numbered_jobs(int n, const std::string& tag = {});

struct config_options {
  std::string base_url;
  std::optional<fs::path> ca_file;
  fs::path journal;
  std::optional<fs::path> api_key_file;
  unsigned connections = 4;
  std::string timeout = "10s";
  std::string initial_delay = "100ms";
  std::string max_delay = "1s";
  std::string give_up_after;           // empty: the default
  std::optional<unsigned> list_above;  // unset: the default
  bool exclusive = false;              // api.exclusive
};

// Writes a configuration file and returns its path.
fs::path write_config(const fs::path& file, const config_options& options,
                      const std::vector<job_spec>& jobs);
// The usual configuration against `sb`: its CA, a journal beside the file.
config_options options_for(const sandbox& sb, const fs::path& dir);
// One job, "tick", scheduled "@every 1s", against `sb`, in `dir`.
fs::path scheduled_config(const sandbox& sb, const temp_dir& dir);

// What a finished (or killed) process left.
struct process_result {
  int exit_code = -1;  // when it exited
  int signal = 0;      // when a signal ended it
  std::string out;     // stdout
  std::string err;     // stderr
  std::chrono::milliseconds wall{0};
  bool exited(int code) const { return signal == 0 && exit_code == code; }
  bool killed() const { return signal != 0; }
  std::string describe() const;  // "exit 3" / "signal 9", with the stderr tail, for assertions
};

// Environment overrides for a child; a value of std::nullopt removes the variable. Children
// start from this process's environment without ZEFORT_APIKEY, CREDENTIALS_DIRECTORY,
// ZEFORTD_FAILPOINT, ZEFORTD_COMPACT_BYTES, JOURNAL_STREAM, NOTIFY_SOCKET and the systemd
// directory variables, so the tests decide every one of them.
using env_map = std::map<std::string, std::optional<std::string>>;
// ZEFORT_APIKEY=key.
env_map key_env(std::string key = default_key);

// A child process with its stdout and stderr captured through pipes.
class child {
 public:
  child(const std::string& program, const std::vector<std::string>& args, const env_map& env);
  ~child();  // SIGKILLs and reaps a child still running
  child(const child&) = delete;
  child& operator=(const child&) = delete;

  pid_t pid() const { return pid_; }
  // Reads output until `line_matches` accepted a whole stderr line, the process closed its
  // output, or `deadline` passed. Returns whether a line matched.
  bool wait_for_stderr_line(const std::function<bool(std::string_view)>& line_matches,
                            std::chrono::steady_clock::time_point deadline);
  // Reads output for `d` or until the output closes, whichever comes first.
  void pump_for(std::chrono::milliseconds d);
  void send(int signo);
  // Reads the rest of the output and reaps the child. SIGKILLs it if `limit` passes first.
  process_result wait(std::chrono::milliseconds limit = 150s);

 private:
  // One poll() round over both pipes; false once both are closed or the deadline passed.
  bool pump_once(std::chrono::steady_clock::time_point deadline);
  void take_lines();

  pid_t pid_ = -1;
  int out_fd_ = -1;
  int err_fd_ = -1;
  std::string out_;
  std::string err_;
  std::size_t err_scanned_ = 0;  // stderr before this offset was offered to the line matcher
  std::vector<std::string> pending_lines_;
  std::chrono::steady_clock::time_point started_;
  bool reaped_ = false;
  process_result result_;
};

// Runs `zefortd ARGS...` to completion.
process_result run_zefortd(const std::vector<std::string>& args, const env_map& env,
                           std::chrono::milliseconds limit = 150s);
// Runs `zefortd run -c CONFIG` with the default key plus `extra_env`.
process_result run_batch(const fs::path& config, const env_map& extra_env = {});
// Starts `zefortd run -c CONFIG`, reads its stderr and SIGKILLs it right after the `k`th line
// containing `needle`. Returns the result (a clean exit if it finished before that).
process_result run_and_kill_after_lines(const fs::path& config, std::string_view needle, int k,
                                        const env_map& extra_env = {});
// Starts `zefortd run -c CONFIG` and SIGKILLs it `delay` after the start.
process_result run_and_kill_after(const fs::path& config, std::chrono::milliseconds delay,
                                  const env_map& extra_env = {});

// Whether `text` holds `needle`; the failure message shows both.
::testing::AssertionResult contains(std::string_view text, std::string_view needle);
// Whether `text` does not hold `needle`.
::testing::AssertionResult lacks(std::string_view text, std::string_view needle);

// Lines of `text` containing `needle`.
std::size_t count_lines(std::string_view text, std::string_view needle);
std::string read_file(const fs::path& file);

}  // namespace zefortd::it
