// The service manager's notification protocol (sd_notify(3)) without libsystemd: one datagram
// per state change to $NOTIFY_SOCKET. Does nothing when not started by systemd.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace zefortd {

class service_notifier {
 public:
  service_notifier();  // reads NOTIFY_SOCKET and WATCHDOG_USEC once
  service_notifier(const service_notifier&) = delete;
  service_notifier& operator=(const service_notifier&) = delete;
  ~service_notifier();

  bool active() const { return fd_ >= 0; }
  void ready(std::string_view status);
  void status(std::string_view status);
  void reloading();  // RELOADING=1 with MONOTONIC_USEC, as systemd 253+ expects
  void stopping();
  void watchdog();
  // Half the watchdog interval systemd asked for, when it asked for one.
  std::optional<std::chrono::microseconds> watchdog_period() const { return watchdog_period_; }

 private:
  void send(const std::string& message);

  int fd_ = -1;
  std::string address_;
  std::optional<std::chrono::microseconds> watchdog_period_;
};

}  // namespace zefortd
