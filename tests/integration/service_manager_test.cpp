// `zefortd serve` under a stand-in service manager: a datagram socket at $NOTIFY_SOCKET, as
// systemd gives a Type=notify-reload service with WatchdogSec=. It must say READY=1, ping the
// watchdog, keep STATUS= to what an operator needs (open tasks, runs finished today, the next
// fire) at most once a second, answer SIGHUP with RELOADING=1 and MONOTONIC_USEC then READY=1,
// and SIGTERM with STOPPING=1 and exit 0.
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <csignal>
#include <cstring>
#include <fstream>
#include <set>
#include <string>
#include <vector>

#include "harness.hpp"

namespace zefortd::it {
namespace {

using steady = std::chrono::steady_clock;

// The service manager's end of sd_notify(3).
class notify_socket {
 public:
  explicit notify_socket(fs::path path) : path_(std::move(path)) {
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, path_.c_str(), sizeof addr.sun_path - 1);
    if (::bind(fd_, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0)
      ADD_FAILURE() << "bind " << path_ << ": " << std::strerror(errno);
  }
  ~notify_socket() { ::close(fd_); }
  const fs::path& path() const { return path_; }

  // The next datagram, or nothing once `deadline` passed; `child` is pumped meanwhile so its
  // pipes never fill.
  std::optional<std::string> next(child& c, steady::time_point deadline) {
    while (steady::now() < deadline) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 100) == 1) {
        char buf[4096];
        const auto n = ::recv(fd_, buf, sizeof buf, 0);
        if (n >= 0) return std::string(buf, static_cast<std::size_t>(n));
      }
      c.pump_for(std::chrono::milliseconds(1));
    }
    return std::nullopt;
  }

  // Datagrams until one satisfies `want` (returned), keeping every one seen in `log`.
  std::optional<std::string> until(child& c, const std::function<bool(const std::string&)>& want,
                                   std::vector<std::string>& log, std::chrono::seconds within) {
    const auto deadline = steady::now() + within;
    while (auto d = next(c, deadline)) {
      log.push_back(*d);
      if (want(*d)) return d;
    }
    return std::nullopt;
  }

 private:
  fs::path path_;
  int fd_ = -1;
};

bool has(const std::string& s, std::string_view part) {
  return s.find(part) != std::string::npos;
}

TEST(ServiceManager, ReadyWatchdogStatusReloadAndStop) {
  temp_dir dir;
  // Tasks pending 2.5 s: at any moment of the test a task is open.
  sandbox sb(dir.path(), {"--task-duration", "2500ms", "--quiet"});
  const auto config = scheduled_config(sb, dir);
  const std::string text = read_file(config);

  notify_socket manager(dir / "notify");
  auto env = key_env();
  env["NOTIFY_SOCKET"] = manager.path().string();
  env["WATCHDOG_USEC"] = "400000";  // a ping every 200 ms
  const auto started = steady::now();
  child serve(zefortd_bin, {"serve", "-c", config.string()}, env);
  std::vector<std::string> seen;

  auto ready = manager.until(
      serve, [](const std::string& d) { return has(d, "READY=1"); }, seen, 30s);
  ASSERT_TRUE(ready) << serve.wait(1s).describe();
  EXPECT_TRUE(has(*ready, "STATUS=")) << *ready;

  // The status an operator reads: an open task, a finished run, the next fire.
  auto finished = manager.until(
      serve,
      [](const std::string& d) {
        return has(d, "STATUS=") && has(d, "1 open task") && has(d, "finished today") &&
               !has(d, "0 runs finished today") && has(d, "next fire 20");
      },
      seen, 30s);
  ASSERT_TRUE(finished) << "last: " << (seen.empty() ? "" : seen.back());
  EXPECT_TRUE(std::any_of(seen.begin(), seen.end(),
                          [](const std::string& d) { return d == "WATCHDOG=1"; }));

  serve.send(SIGHUP);
  auto reloading = manager.until(
      serve, [](const std::string& d) { return has(d, "RELOADING=1"); }, seen, 30s);
  ASSERT_TRUE(reloading);
  EXPECT_TRUE(has(*reloading, "MONOTONIC_USEC=")) << *reloading;
  EXPECT_TRUE(manager.until(
      serve, [](const std::string& d) { return has(d, "READY=1"); }, seen, 30s));

  // A file that does not load: the same round trip, and the running configuration goes on
  // firing (a STATUS= with the next fire comes after READY=1).
  auto refused_reload = [&](const std::string& file_text) {
    std::ofstream(config, std::ios::trunc) << file_text;
    serve.send(SIGHUP);
    EXPECT_TRUE(manager.until(
        serve, [](const std::string& d) { return has(d, "RELOADING=1"); }, seen, 30s));
    EXPECT_TRUE(manager.until(
        serve, [](const std::string& d) { return has(d, "READY=1"); }, seen, 30s));
    const auto ready_at = seen.size();
    EXPECT_TRUE(manager.until(
        serve, [](const std::string& d) { return has(d, "STATUS=") && has(d, "next fire 20"); },
        seen, 30s));
    EXPECT_GT(seen.size(), ready_at);
  };
  refused_reload(text + "  - name: [unclosed\n");

  // An alias bomb ("billion laughs") in a payload: once it took the daemon down with bad_alloc.
  // It is refused at its limit like any broken file, and the running configuration goes on.
  std::string bomb =
      text + "  - name: bomb\n    payload:\n      a: &a [x, x, x, x, x, x, x, x, x, x]\n";
  for (char c = 'b'; c <= 'k'; ++c) {
    const std::string use = std::string("*") + char(c - 1);
    bomb += std::string("      ") + c + ": &" + c + " [" + use;
    for (int i = 0; i < 9; ++i) bomb += ", " + use;
    bomb += "]\n";
  }
  refused_reload(bomb);

  serve.send(SIGTERM);
  EXPECT_TRUE(manager.until(
      serve, [](const std::string& d) { return d == "STOPPING=1"; }, seen, 30s));
  const auto stopped = serve.wait(30s);
  EXPECT_TRUE(stopped.exited(0)) << stopped.describe();
  EXPECT_TRUE(has(stopped.err, "reload failed, keeping the running configuration"))
      << stopped.describe();
  EXPECT_TRUE(has(stopped.err, "expands to more than 1000000 values")) << stopped.describe();
  // A reload drops no open task: every task open at the first reload is dismissed after it, or
  // still open in the journal at the stop (it resumes at the next start).
  const std::string& err = stopped.err;
  const auto reloaded = err.find("configuration reloaded");
  ASSERT_NE(reloaded, std::string::npos) << stopped.describe();
  std::ofstream(config, std::ios::trunc) << text;  // the bomb is no file to read status with
  auto status = run_zefortd({"status", "--json", "-c", config.string()}, {}, 30s);
  ASSERT_TRUE(status.exited(0)) << status.describe();
  std::set<std::string> still_open;
  const boost::json::value doc = boost::json::parse(status.out);
  for (const auto& o : doc.at("open").as_array())
    if (o.at("task").is_string()) still_open.insert(std::string(o.at("task").as_string()));
  std::size_t open_at_reload = 0;
  const std::string mark = ": submitted, task ";
  for (auto at = err.find(mark); at != std::string::npos && at < reloaded;
       at = err.find(mark, at + 1)) {
    const auto id_at = at + mark.size();
    const std::string task = err.substr(id_at, err.find('\n', id_at) - id_at);
    const std::string dismissed = "task " + task + " dismissed";
    if (err.find(dismissed) < reloaded) continue;  // it ended before the reload
    ++open_at_reload;
    EXPECT_TRUE(err.find(dismissed, reloaded) != std::string::npos || still_open.count(task))
        << task << ": open at the reload, then neither dismissed nor kept: " << status.out
        << stopped.describe();
  }
  EXPECT_GE(open_at_reload, 1u) << "a task is open at any moment of this test";

  // At most once a second, whatever changed in between (the first with READY=1 aside).
  const auto seconds =
      std::chrono::duration_cast<std::chrono::seconds>(steady::now() - started).count();
  const auto statuses = std::count_if(
      seen.begin(), seen.end(), [](const std::string& d) { return d.rfind("STATUS=", 0) == 0; });
  EXPECT_LE(statuses, seconds + 2) << statuses << " STATUS= in " << seconds << " s";
  // No datagram carries the key.
  for (const auto& d : seen) EXPECT_FALSE(has(d, default_key)) << d;
}

}  // namespace
}  // namespace zefortd::it
