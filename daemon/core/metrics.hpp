// The Prometheus metrics of zefortd: a registry fed by the engine's typed events, rendered in the
// text exposition format 0.0.4. No I/O: the listener (net/metrics_listener) serves render(), and
// the unit tests feed events with an injected steady time. Labels carry job names at most (the
// configuration bounds them), never task or run ids.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/events.hpp"

namespace zefortd {

// A cumulative histogram with fixed upper bounds in seconds (the +Inf bucket is implicit).
class histogram {
 public:
  explicit histogram(std::vector<double> bounds);
  void observe(double seconds);
  const std::vector<double>& bounds() const { return bounds_; }
  const std::vector<std::uint64_t>& counts() const { return counts_; }  // per bucket, not summed
  std::uint64_t count() const { return count_; }
  double sum() const { return sum_; }

 private:
  std::vector<double> bounds_;
  std::vector<std::uint64_t> counts_;
  std::uint64_t count_ = 0;
  double sum_ = 0;
};

class metrics_registry {
 public:
  explicit metrics_registry(std::string version);

  // One event from the engine, at steady time `now` (task durations and the done-to-dismissed
  // delay are measured between events).
  void on_event(const event& e, steady_ms now);
  // Runs with work open now, resumed ones included (the engine's count), for zefortd_open_tasks.
  void set_open_tasks(std::size_t n) { open_tasks_ = n; }
  // The pace the engine currently keeps (api.rate_limit at start; lower after 429/503).
  void set_pacing(double rate_per_second, unsigned concurrency);

  // The exposition, every family with # HELP and # TYPE.
  std::string render() const;

 private:
  using by_job = std::map<std::string, std::uint64_t, std::less<>>;
  static void bump(by_job& m, std::string_view job, std::uint64_t n = 1);

  std::string version_;
  by_job submitted_, done_, failed_, lost_, dismissed_, gave_up_;
  // requests by method (get, post, patch) and status class (2xx..5xx, or "none": no answer)
  std::map<std::pair<std::string, std::string>, std::uint64_t> requests_;
  std::map<std::string, std::uint64_t> retries_;  // by what: submit, poll, dismiss, list
  std::uint64_t in_doubt_ = 0, in_doubt_found_ = 0, in_doubt_resubmitted_ = 0;
  by_job slots_fired_, slots_skipped_, slots_missed_;
  std::size_t open_tasks_ = 0;
  std::map<std::string, double, std::less<>> last_success_;  // job -> unix seconds
  double pacing_rate_ = 0;
  unsigned pacing_concurrency_ = 0;
  // Runs with a task open, and when their task started and finished (steady ms): bounded by the
  // open work, dropped when the run ends.
  std::unordered_map<std::string, steady_ms> started_, finished_;
  histogram request_latency_, task_duration_, dismiss_delay_;
};

// "2xx" for 200..299, "none" for 0 (no HTTP answer).
std::string status_class(unsigned status);

}  // namespace zefortd
