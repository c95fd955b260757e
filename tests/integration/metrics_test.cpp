// /metrics of a running `zefortd run` and `zefortd serve` against the sandbox: scraped over
// loopback with curl and read by prometheus_client's parser (tests/tools/parse_metrics.py); 404
// elsewhere; the schedule's slots counted; a warning for a non-loopback address.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <fstream>

#include "harness.hpp"

namespace zefortd::it {
namespace {

// A port nobody listens on now (the kernel's choice for port 0), for metrics.listen.
unsigned free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(fd);
  return ntohs(a.sin_port);
}

std::string shell(const std::string& command) {
  std::FILE* p = ::popen(command.c_str(), "r");
  std::string out;
  char buf[4096];
  while (std::size_t n = std::fread(buf, 1, sizeof buf, p)) out.append(buf, n);
  out += "exit " + std::to_string(WEXITSTATUS(::pclose(p)));
  return out;
}

fs::path with_metrics(const fs::path& config, const std::string& listen) {
  std::ofstream(config, std::ios::app) << "metrics:\n  listen: " << listen << "\n";
  return config;
}

TEST(Metrics, RunServesMetricsWhileItWorksAnd404Elsewhere) {
  temp_dir dir;
  sandbox sb(dir.path(), {"--task-duration", "3s:4s", "--quiet"});
  const unsigned port = free_port();
  auto config = with_metrics(
      write_config(dir / "zefortd.yaml", options_for(sb, dir.path()), numbered_jobs(3)),
      "127.0.0.1:" + std::to_string(port));
  child z(ZEFORTD_BIN, {"run", "-c", config.string()}, key_env());
  // The three submissions finish in any order, so wait for all three lines, not for job-2's.
  int submitted = 0;
  ASSERT_TRUE(z.wait_for_stderr_line(
      [&submitted](std::string_view l) {
        if (l.find(": submitted, task") != std::string_view::npos) ++submitted;
        return submitted == 3;
      },
      std::chrono::steady_clock::now() + std::chrono::seconds(60)));
  const std::string url = "http://127.0.0.1:" + std::to_string(port);
  const std::string scraped =
      shell("curl -sS --max-time 10 " + url + "/metrics | /usr/bin/python3 " ZEFORTD_PARSE_METRICS);
  EXPECT_TRUE(contains(scraped, "exit 0"));
  EXPECT_TRUE(contains(scraped, "zefortd_jobs_submitted_total{job=job-0} 1"));
  EXPECT_TRUE(contains(scraped, "zefortd_open_tasks{} 3"));
  EXPECT_TRUE(contains(scraped, "zefortd_requests_total{code=2xx,method=post} 3"));
  EXPECT_TRUE(contains(scraped, "zefortd_build_info{version="));
  EXPECT_TRUE(lacks(scraped, "=task_")) << "no task ids in labels";
  const std::string headers = shell("curl -sS -D - -o /dev/null --max-time 10 " + url + "/metrics");
  EXPECT_TRUE(contains(headers, "text/plain; version=0.0.4"));
  EXPECT_TRUE(
      contains(shell("curl -s -o /dev/null -w '%{http_code} ' --max-time 10 " + url + "/other"),
               "404 exit 0"));
  auto r = z.wait(60s);
  EXPECT_TRUE(r.exited(0)) << r.describe();
  EXPECT_TRUE(contains(r.err, "metrics at " + url + "/metrics"));
}

// The value of the sample named exactly `series` (name and labels) in parsed output, or -1.
double sample(const std::string& parsed, const std::string& series) {
  const std::string head = series + " ";
  for (std::size_t at = parsed.find(head); at != std::string::npos;
       at = parsed.find(head, at + 1)) {
    if (at == 0 || parsed[at - 1] == '\n') return std::stod(parsed.substr(at + head.size()));
  }
  return -1;
}

TEST(Metrics, ServeCountsTheScheduleSlotsItFiresAndSkips) {
  temp_dir dir;
  // A task stays pending 2.5 s: the slots of the next two seconds find it open.
  sandbox sb(dir.path(), {"--task-duration", "2500ms", "--quiet"});
  const unsigned port = free_port();
  const auto config = with_metrics(scheduled_config(sb, dir), "127.0.0.1:" + std::to_string(port));
  child z(ZEFORTD_BIN, {"serve", "-c", config.string()}, key_env());
  std::size_t fired = 0, skipped = 0;
  ASSERT_TRUE(z.wait_for_stderr_line(
      [&](std::string_view l) {
        fired += l.find("job tick: slot ") != std::string_view::npos &&
                 l.find(" fired (run ") != std::string_view::npos;
        skipped += l.find("job tick: slot ") != std::string_view::npos &&
                   l.find(" skipped: ") != std::string_view::npos;
        return fired >= 2 && skipped >= 1;
      },
      std::chrono::steady_clock::now() + std::chrono::seconds(60)))
      << z.wait(1s).describe();
  const std::string scraped =
      shell("curl -sS --max-time 10 http://127.0.0.1:" + std::to_string(port) +
            "/metrics | /usr/bin/python3 " ZEFORTD_PARSE_METRICS);
  EXPECT_TRUE(contains(scraped, "exit 0")) << scraped;
  // Slots go on firing between the log line and the scrape: at least what was logged.
  EXPECT_GE(sample(scraped, "zefortd_schedule_slots_fired_total{job=tick}"), 2) << scraped;
  EXPECT_GE(sample(scraped, "zefortd_schedule_slots_skipped_total{job=tick}"), 1) << scraped;
  EXPECT_GE(sample(scraped, "zefortd_jobs_submitted_total{job=tick}"), 2) << scraped;
  z.send(SIGTERM);
  auto r = z.wait(30s);
  EXPECT_TRUE(r.exited(0)) << r.describe();
}

TEST(Metrics, ANonLoopbackAddressDrawsAWarning) {
  temp_dir dir;
  sandbox sb(dir.path(), {"--task-duration", "50ms:100ms", "--quiet"});
  auto config = with_metrics(
      write_config(dir / "zefortd.yaml", options_for(sb, dir.path()), numbered_jobs(1)),
      "0.0.0.0:" + std::to_string(free_port()));
  auto r = run_batch(config);
  EXPECT_TRUE(r.exited(0)) << r.describe();
  EXPECT_TRUE(contains(r.err, "is not a loopback address"));
}

}  // namespace
}  // namespace zefortd::it
