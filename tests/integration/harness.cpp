// See harness.hpp. Processes are started with posix_spawn and synchronised on their output,
// never on sleeps; the sandbox's counters are read with the daemon's own HTTPS pool.
#include "harness.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/json.hpp>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <sstream>
#include <stdexcept>
#include <system_error>

#include "core/api_key.hpp"
#include "net/https_pool.hpp"
#include "net/tls_context.hpp"

extern char** environ;

namespace zefortd::it {
namespace {

using clock = std::chrono::steady_clock;

[[noreturn]] void fail_errno(const std::string& what) {
  throw std::system_error(errno, std::generic_category(), what);
}

// The variables a test decides: inherited values would change what the binaries do.
bool scrubbed(std::string_view name) {
  for (std::string_view v :
       {"ZEFORT_APIKEY", "CREDENTIALS_DIRECTORY", "ZEFORTD_FAILPOINT", "ZEFORTD_COMPACT_BYTES",
        "JOURNAL_STREAM", "NOTIFY_SOCKET", "STATE_DIRECTORY", "CONFIGURATION_DIRECTORY",
        "WATCHDOG_USEC", "WATCHDOG_PID"})
    if (name == v) return true;
  return false;
}

std::vector<std::string> child_environment(const env_map& overrides) {
  std::vector<std::string> out;
  for (char** e = environ; *e; ++e) {
    std::string_view kv(*e);
    auto name = kv.substr(0, kv.find('='));
    if (scrubbed(name) || overrides.count(std::string(name))) continue;
    out.emplace_back(kv);
  }
  for (const auto& [name, value] : overrides)
    if (value) out.push_back(name + "=" + *value);
  return out;
}

std::vector<char*> c_strings(std::vector<std::string>& v) {
  std::vector<char*> out;
  for (auto& s : v) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

// Waits up to `limit` for `pid` to exit, without reaping it; false on timeout.
bool await_exit(pid_t pid, std::chrono::milliseconds limit) {
  int fd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
  if (fd < 0) return true;  // no pidfd: the caller's blocking waitpid will do
  pollfd p{fd, POLLIN, 0};
  int n;
  do n = ::poll(&p, 1, static_cast<int>(limit.count()));
  while (n < 0 && errno == EINTR);
  ::close(fd);
  return n > 0;
}

int reap(pid_t pid, int& signo) {
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0)
    if (errno != EINTR) fail_errno("waitpid");
  signo = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::string yaml_quoted(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

std::string indented(const std::string& text, int spaces) {
  std::string out, pad(spaces, ' ');
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out += pad + line + "\n";
  return out;
}

}  // namespace

// ---- temp_dir ----

temp_dir::temp_dir() {
  const char* base = std::getenv("TMPDIR");
  std::string pattern = std::string(base && *base ? base : "/tmp") + "/zefortd-it-XXXXXX";
  if (!::mkdtemp(pattern.data())) fail_errno("mkdtemp " + pattern);
  path_ = pattern;
}

temp_dir::~temp_dir() {
  if (::testing::Test::HasFailure()) {
    std::cerr << "[ harness ] test failed; kept " << path_.string() << "\n";
    return;
  }
  std::error_code ec;
  fs::remove_all(path_, ec);
}

// ---- sandbox ----

sandbox::sandbox(const fs::path& dir, std::vector<std::string> args, std::string api_key)
    : dir_(dir), api_key_(std::move(api_key)) {
  bool has_listen = false;
  for (const auto& a : args) has_listen = has_listen || a == "--listen";
  std::vector<std::string> argv{sandbox_bin};
  if (!has_listen) argv.insert(argv.end(), {"--listen", "127.0.0.1:0"});
  argv.insert(argv.end(), {"--dir", dir_.string(), "--api-key", api_key_});
  argv.insert(argv.end(), args.begin(), args.end());
  std::vector<std::string> env = child_environment({});

  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) fail_errno("pipe2");
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, fds[1], 1);
  const std::string log = log_file().string();
  posix_spawn_file_actions_addopen(&actions, 2, log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  auto cargv = c_strings(argv);
  auto cenv = c_strings(env);
  int rc = ::posix_spawn(&pid_, sandbox_bin, &actions, nullptr, cargv.data(), cenv.data());
  posix_spawn_file_actions_destroy(&actions);
  ::close(fds[1]);
  if (rc != 0) {
    ::close(fds[0]);
    errno = rc;
    fail_errno(std::string("posix_spawn ") + sandbox_bin);
  }
  stdout_fd_ = fds[0];

  // The one line "listening on https://HOST:PORT" is the signal that the sandbox is ready.
  std::string line;
  const auto deadline = clock::now() + 30s;
  while (line.find('\n') == std::string::npos) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock::now());
    pollfd p{stdout_fd_, POLLIN, 0};
    int n = ::poll(&p, 1, static_cast<int>(std::max<long>(0, left.count())));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    char buf[256];
    ssize_t got = ::read(stdout_fd_, buf, sizeof buf);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) break;
    line.append(buf, static_cast<std::size_t>(got));
  }
  constexpr std::string_view prefix = "listening on https://";
  auto nl = line.find('\n');
  auto colon = line.rfind(':', nl);
  if (nl == std::string::npos || line.compare(0, prefix.size(), prefix) != 0 ||
      colon == std::string::npos || colon < prefix.size()) {
    ::kill(pid_, SIGKILL);
    int sig;
    reap(pid_, sig);
    ::close(stdout_fd_);
    throw std::runtime_error("zefort-sandbox did not start (stdout: '" + line +
                             "'); log: " + read_file(log_file()));
  }
  host_ = line.substr(prefix.size(), colon - prefix.size());
  port_ = static_cast<unsigned>(std::stoul(line.substr(colon + 1, nl - colon - 1)));
}

sandbox::~sandbox() {
  ::kill(pid_, SIGTERM);
  if (!await_exit(pid_, 10s)) {
    std::cerr << "[ harness ] zefort-sandbox ignored SIGTERM; killing it\n";
    ::kill(pid_, SIGKILL);
  }
  int sig;
  int code = reap(pid_, sig);
  if (sig != 0 || code != 0)
    std::cerr << "[ harness ] zefort-sandbox ended with " << (sig ? "signal " : "exit ")
              << (sig ? sig : code) << "\n";
  ::close(stdout_fd_);
}

std::string sandbox::base_url() const {
  return "https://" + host_ + ":" + std::to_string(port_) + "/api";
}

boost::json::object sandbox::stats() const {
  namespace asio = boost::asio;
  asio::io_context ioc;
  auto tls = make_tls_client_context(ca_file());
  pool_options options;
  options.host = host_;
  options.port = std::to_string(port_);
  options.timeout = 10s;
  options.max_connections = 1;
  https_pool pool(ioc.get_executor(), tls, options);

  http_request request{http::verb::get, "/_sandbox/stats", 11};
  request.set(http::field::authorization, basic_auth_header(secret(api_key_)));
  std::optional<exchange_result> result;
  auto fetch = [&]() -> asio::awaitable<void> {
    auto r = co_await pool.send(std::move(request));
    result = std::move(r);
    pool.shutdown();
  };
  std::exception_ptr error;
  asio::co_spawn(ioc, fetch(), [&error](std::exception_ptr e) { error = e; });
  ioc.run();
  if (error) std::rethrow_exception(error);
  if (!result) throw std::runtime_error("stats: no answer");
  if (result->ec) throw std::runtime_error("stats: " + result->ec.message());
  if (result->response.result_int() != 200)
    throw std::runtime_error("stats: HTTP " + std::to_string(result->response.result_int()));
  return boost::json::parse(result->response.body()).as_object();
}

std::uint64_t sandbox::count(const boost::json::object& stats, std::string_view name) {
  const auto* v = stats.if_contains(name);
  if (!v) throw std::runtime_error("stats has no counter " + std::string(name));
  return v->to_number<std::uint64_t>();
}

void sandbox::expect_each_job_once(const boost::json::object& stats, std::uint64_t jobs) {
  const auto text = boost::json::serialize(stats);
  EXPECT_EQ(count(stats, "submissions"), jobs) << text;
  EXPECT_EQ(count(stats, "duplicate_bodies"), 0u) << text;
  EXPECT_EQ(count(stats, "dismissals"), jobs) << text;
  EXPECT_EQ(count(stats, "early_dismissals"), 0u) << text;
  EXPECT_EQ(count(stats, "open"), 0u) << text;
  EXPECT_EQ(count(stats, "unfinished"), 0u) << text;
}

// ---- configuration ----

job_spec example_job(std::string name, std::string q_tags, std::string extra_search) {
  std::string payload =
      "attributes:\n"
      "  end_date: \"2023-02-15\"\n"
      "status: done\n"
      "search:\n"
      "  q_tags: " +
      yaml_quoted(q_tags) + "\n";
  if (!extra_search.empty()) payload += indented(extra_search, 2);
  return job_spec{std::move(name), std::move(payload), true};
}

std::vector<job_spec> numbered_jobs(int n, const std::string& tag) {
  std::vector<job_spec> jobs;
  for (int i = 0; i < n; ++i)
    jobs.push_back(example_job("job-" + std::to_string(i),
                               "job " + std::to_string(i) + (tag.empty() ? "" : " " + tag)));
  return jobs;
}

fs::path scheduled_config(const sandbox& sb, const temp_dir& dir) {
  auto file = write_config(dir / "zefortd.yaml", options_for(sb, dir.path()),
                           {example_job("tick", "every second")});
  std::string text = read_file(file);
  const std::string entry = "  - name: tick\n";
  const auto at = text.find(entry);
  EXPECT_NE(at, std::string::npos) << text;
  text.insert(at + entry.size(), "    schedule: \"@every 1s\"\n");
  std::ofstream(file, std::ios::trunc) << text;
  return file;
}

fs::path write_config(const fs::path& file, const config_options& o,
                      const std::vector<job_spec>& jobs) {
  std::ostringstream y;
  y << "api:\n"
    << "  base_url: " << yaml_quoted(o.base_url) << "\n";
  if (o.ca_file) y << "  ca_file: " << yaml_quoted(o.ca_file->string()) << "\n";
  if (o.api_key_file) y << "  api_key_file: " << yaml_quoted(o.api_key_file->string()) << "\n";
  y << "  connections: " << o.connections << "\n"
    << "  rate_limit: 0\n"
    << "  timeout: " << o.timeout << "\n";
  if (o.exclusive) y << "  exclusive: true\n";
  y << "polling:\n"
    << "  initial_delay: " << o.initial_delay << "\n"
    << "  max_delay: " << o.max_delay << "\n";
  if (!o.give_up_after.empty()) y << "  give_up_after: " << o.give_up_after << "\n";
  if (o.list_above) y << "  list_above: " << *o.list_above << "\n";
  y << "state:\n"
    << "  journal: " << yaml_quoted(o.journal.string()) << "\n"
    << "jobs:\n";
  for (const auto& j : jobs) {
    y << "  - name: " << j.name << "\n"
      << "    payload:\n"
      << indented(j.payload_yaml, 6) << "    dismiss: " << (j.dismiss ? "true" : "false") << "\n";
  }
  std::ofstream out(file, std::ios::trunc);
  out << y.str();
  out.close();
  if (!out) throw std::runtime_error("cannot write " + file.string());
  return file;
}

config_options options_for(const sandbox& sb, const fs::path& dir) {
  config_options o;
  o.base_url = sb.base_url();
  o.ca_file = sb.ca_file();
  o.journal = dir / "zefortd.journal";
  return o;
}

// ---- processes ----

std::string process_result::describe() const {
  std::string s = signal ? "signal " + std::to_string(signal) : "exit " + std::to_string(exit_code);
  s += " after " + std::to_string(wall.count()) + " ms";
  constexpr std::size_t tail = 3000;
  s += "; stderr" + std::string(err.size() > tail ? " (tail)" : "") + ":\n";
  s += err.size() > tail ? err.substr(err.size() - tail) : err;
  return s;
}

env_map key_env(std::string key) {
  return env_map{{"ZEFORT_APIKEY", std::move(key)}};
}

child::child(const std::string& program, const std::vector<std::string>& args, const env_map& env) {
  std::vector<std::string> argv{program};
  argv.insert(argv.end(), args.begin(), args.end());
  std::vector<std::string> envv = child_environment(env);
  int out[2], err[2];
  if (::pipe2(out, O_CLOEXEC) != 0) fail_errno("pipe2");
  if (::pipe2(err, O_CLOEXEC) != 0) fail_errno("pipe2");
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, out[1], 1);
  posix_spawn_file_actions_adddup2(&actions, err[1], 2);
  auto cargv = c_strings(argv);
  auto cenv = c_strings(envv);
  started_ = clock::now();
  int rc = ::posix_spawn(&pid_, program.c_str(), &actions, nullptr, cargv.data(), cenv.data());
  posix_spawn_file_actions_destroy(&actions);
  ::close(out[1]);
  ::close(err[1]);
  out_fd_ = out[0];
  err_fd_ = err[0];
  if (rc != 0) {
    ::close(out_fd_);
    ::close(err_fd_);
    errno = rc;
    fail_errno("posix_spawn " + program);
  }
}

child::~child() {
  if (!reaped_) {
    ::kill(pid_, SIGKILL);
    int sig;
    reap(pid_, sig);
  }
  if (out_fd_ >= 0) ::close(out_fd_);
  if (err_fd_ >= 0) ::close(err_fd_);
}

bool child::pump_once(clock::time_point deadline) {
  pollfd p[2] = {{out_fd_, POLLIN, 0}, {err_fd_, POLLIN, 0}};
  if (out_fd_ < 0 && err_fd_ < 0) return false;
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock::now());
  if (left.count() <= 0) return false;
  int n = ::poll(p, 2, static_cast<int>(left.count()));
  if (n < 0 && errno == EINTR) return true;
  if (n < 0) fail_errno("poll");
  if (n == 0) return false;
  auto drain = [](int& fd, short revents, std::string& into) {
    if (fd < 0 || !(revents & (POLLIN | POLLHUP | POLLERR))) return;
    char buf[65536];
    ssize_t got = ::read(fd, buf, sizeof buf);
    if (got < 0 && errno == EINTR) return;
    if (got <= 0) {
      ::close(fd);
      fd = -1;
      return;
    }
    into.append(buf, static_cast<std::size_t>(got));
  };
  drain(out_fd_, p[0].revents, out_);
  drain(err_fd_, p[1].revents, err_);
  take_lines();
  return true;
}

void child::take_lines() {
  for (auto nl = err_.find('\n', err_scanned_); nl != std::string::npos;
       nl = err_.find('\n', err_scanned_)) {
    pending_lines_.push_back(err_.substr(err_scanned_, nl - err_scanned_));
    err_scanned_ = nl + 1;
  }
}

bool child::wait_for_stderr_line(const std::function<bool(std::string_view)>& line_matches,
                                 clock::time_point deadline) {
  for (;;) {
    // Lines are offered one at a time, so a match stops right after the line that made it.
    while (!pending_lines_.empty()) {
      std::string line = std::move(pending_lines_.front());
      pending_lines_.erase(pending_lines_.begin());
      if (line_matches(line)) return true;
    }
    if (!pump_once(deadline)) {
      if (out_fd_ < 0 && err_fd_ < 0 && pending_lines_.empty()) return false;
      if (clock::now() >= deadline) return false;
    }
  }
}

void child::pump_for(std::chrono::milliseconds d) {
  const auto deadline = clock::now() + d;
  while (clock::now() < deadline && (out_fd_ >= 0 || err_fd_ >= 0)) pump_once(deadline);
}

void child::send(int signo) {
  if (!reaped_) ::kill(pid_, signo);
}

process_result child::wait(std::chrono::milliseconds limit) {
  if (reaped_) return result_;
  const auto deadline = clock::now() + limit;
  while (out_fd_ >= 0 || err_fd_ >= 0) {
    if (!pump_once(deadline) && clock::now() >= deadline) {
      std::cerr << "[ harness ] pid " << pid_ << " still running after " << limit.count()
                << " ms; killing it\n";
      ::kill(pid_, SIGKILL);
      break;
    }
  }
  result_.exit_code = reap(pid_, result_.signal);
  reaped_ = true;
  result_.wall = std::chrono::duration_cast<std::chrono::milliseconds>(clock::now() - started_);
  // Output still buffered in a pipe after a kill.
  for (int* fd : {&out_fd_, &err_fd_}) {
    if (*fd < 0) continue;
    ::fcntl(*fd, F_SETFL, O_NONBLOCK);
    char buf[65536];
    for (ssize_t got; (got = ::read(*fd, buf, sizeof buf)) > 0;)
      (fd == &out_fd_ ? out_ : err_).append(buf, static_cast<std::size_t>(got));
    ::close(*fd);
    *fd = -1;
  }
  result_.out = out_;
  result_.err = err_;
  return result_;
}

process_result run_zefortd(const std::vector<std::string>& args, const env_map& env,
                           std::chrono::milliseconds limit) {
  child c(zefortd_bin, args, env);
  return c.wait(limit);
}

namespace {

env_map with_key(const env_map& extra) {
  env_map env = key_env();
  for (const auto& [k, v] : extra) env[k] = v;
  return env;
}

// Keeps a run's output beside its configuration (run-NNN.out/.err), for a failed test's
// post-mortem: the temporary directory survives a failure.
process_result kept(const fs::path& config, process_result r) {
  static int serial = 0;
  char name[32];
  std::snprintf(name, sizeof name, "run-%03d", ++serial);
  auto base = config.parent_path() / name;
  std::ofstream(base.string() + ".out") << r.out;
  std::ofstream(base.string() + ".err") << r.describe().substr(0, r.describe().find(';')) << "\n"
                                        << r.err;
  return r;
}

}  // namespace

process_result run_batch(const fs::path& config, const env_map& extra_env) {
  return kept(config, run_zefortd({"run", "-c", config.string()}, with_key(extra_env)));
}

process_result run_and_kill_after_lines(const fs::path& config, std::string_view needle, int k,
                                        const env_map& extra_env) {
  child c(zefortd_bin, {"run", "-c", config.string()}, with_key(extra_env));
  int seen = 0;
  auto counts = [&](std::string_view line) {
    return line.find(needle) != std::string_view::npos && ++seen == k;
  };
  if (c.wait_for_stderr_line(counts, clock::now() + 120s)) c.send(SIGKILL);
  return kept(config, c.wait());
}

process_result run_and_kill_after(const fs::path& config, std::chrono::milliseconds delay,
                                  const env_map& extra_env) {
  child c(zefortd_bin, {"run", "-c", config.string()}, with_key(extra_env));
  c.pump_for(delay);
  c.send(SIGKILL);
  return kept(config, c.wait());
}

std::size_t count_lines(std::string_view text, std::string_view needle) {
  std::size_t n = 0;
  while (!text.empty()) {
    auto nl = text.find('\n');
    auto line = text.substr(0, nl);
    if (line.find(needle) != std::string_view::npos) ++n;
    if (nl == std::string_view::npos) break;
    text.remove_prefix(nl + 1);
  }
  return n;
}

::testing::AssertionResult contains(std::string_view text, std::string_view needle) {
  if (text.find(needle) != std::string_view::npos) return ::testing::AssertionSuccess();
  constexpr std::size_t tail = 3000;
  return ::testing::AssertionFailure()
         << "expected to find \"" << needle << "\" in" << (text.size() > tail ? " (tail)" : "")
         << ":\n"
         << (text.size() > tail ? text.substr(text.size() - tail) : text);
}

::testing::AssertionResult lacks(std::string_view text, std::string_view needle) {
  auto at = text.find(needle);
  if (at == std::string_view::npos) return ::testing::AssertionSuccess();
  auto from = at > 200 ? at - 200 : 0;
  return ::testing::AssertionFailure() << "found \"" << needle << "\" at byte " << at << ": ..."
                                       << text.substr(from, 400) << "...";
}

std::string read_file(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace zefortd::it
