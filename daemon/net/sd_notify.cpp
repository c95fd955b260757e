// See sd_notify.hpp.
#include "net/sd_notify.hpp"

#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>

#include "core/log.hpp"

namespace zefortd {

service_notifier::service_notifier() {
  const char* path = std::getenv("NOTIFY_SOCKET");
  if (!path || (path[0] != '/' && path[0] != '@') ||
      std::strlen(path) >= sizeof(sockaddr_un{}.sun_path))
    return;
  address_ = path;
  fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (const char* usec = std::getenv("WATCHDOG_USEC")) {
    long long n = std::atoll(usec);
    const char* pid = std::getenv("WATCHDOG_PID");
    bool for_us = !pid || std::atoll(pid) == static_cast<long long>(::getpid());
    if (n > 0 && for_us) watchdog_period_ = std::chrono::microseconds(n / 2);
  }
}

service_notifier::~service_notifier() {
  if (fd_ >= 0) ::close(fd_);
}

void service_notifier::send(const std::string& message) {
  if (fd_ < 0) return;
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, address_.data(), address_.size());
  if (addr.sun_path[0] == '@') addr.sun_path[0] = '\0';  // abstract namespace
  socklen_t len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + address_.size());
  if (::sendto(fd_, message.data(), message.size(), MSG_NOSIGNAL,
               reinterpret_cast<const sockaddr*>(&addr), len) < 0)
    log_debug("sd_notify: ", std::strerror(errno));
}

void service_notifier::ready(std::string_view status) {
  send("READY=1\nSTATUS=" + std::string(status));
}

void service_notifier::status(std::string_view status) {
  send("STATUS=" + std::string(status));
}

void service_notifier::reloading() {
  timespec ts{};
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  long long usec = static_cast<long long>(ts.tv_sec) * 1000000 + ts.tv_nsec / 1000;
  send("RELOADING=1\nMONOTONIC_USEC=" + std::to_string(usec));
}

void service_notifier::stopping() {
  send("STOPPING=1");
}
void service_notifier::watchdog() {
  send("WATCHDOG=1");
}

}  // namespace zefortd
