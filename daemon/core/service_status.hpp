// What `systemctl status zefortd` shows on its Status: line (sd_notify STATUS=): open tasks,
// runs finished today, the next scheduled fire, the last error, and a refused key above all.
// Fed by the engine's events; socket-free, with the time passed in, so it is tested without a
// service manager. The orchestrator sends what `due` hands it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "core/events.hpp"
#include "core/time_zone.hpp"

namespace zefortd {

// What the status line reads from the engine when it is drawn.
struct service_facts {
  std::size_t jobs = 0;
  std::size_t open_tasks = 0;
  std::optional<sys_seconds> next_fire;
};

class service_status {
 public:
  // A server-supplied error longer than this is cut: the Status: line is one line of a terminal.
  static constexpr std::size_t max_error_bytes = 160;
  // STATUS= at most once a second, as systemd's own services do.
  static constexpr steady_ms min_interval = 1000;

  void on_event(const event&, unix_ms now);

  // "12 open tasks · 40 runs finished today, 2 failed · next fire 2026-12-04T08:00:00Z · last
  // error 07:41:02Z nightly-close: submit: HTTP 503". Runs finished today count the UTC day of
  // `now`, so the count starts again at midnight UTC without a timer.
  std::string line(const service_facts&, unix_ms now) const;

  // The line to send now, if it differs from the last one sent and a second has passed since
  // then; otherwise nothing, and `retry_at` says when a changed line may go.
  std::optional<std::string> due(std::string line, steady_ms now);
  steady_ms retry_at() const { return pending_ ? last_sent_at_ + min_interval : steady_never; }

 private:
  void count_ended(const run_report&);
  void note_error(std::string_view job, std::string_view what, std::string_view message,
                  unix_ms now);

  std::int64_t day_ = 0;  // days since 1970 (UTC) that the counts below are of
  std::uint64_t finished_today_ = 0;
  std::uint64_t failed_today_ = 0;
  std::string last_error_;
  unix_ms last_error_at_ = 0;
  std::string key_refused_;  // why, while every request waits for the key to be accepted

  std::string last_sent_;
  steady_ms last_sent_at_ = INT64_MIN / 2;
  bool pending_ = false;
};

}  // namespace zefortd
