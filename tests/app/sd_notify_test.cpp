// Tests for net/sd_notify against a real datagram socket standing in for systemd: what it sends,
// and that watchdog pings are asked for only when WATCHDOG_PID names this process (systemd sets
// it to the main PID; a child that inherits the environment must not feed the watchdog).
#include "net/sd_notify.hpp"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <string>

#include "temp_dir.hpp"

namespace zefortd {
namespace {

class SdNotify : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = (dir_.path() / "notify").string();
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    std::strncpy(a.sun_path, path_.c_str(), sizeof a.sun_path - 1);
    ASSERT_EQ(::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    ::setenv("NOTIFY_SOCKET", path_.c_str(), 1);
  }
  void TearDown() override {
    ::close(fd_);
    for (const char* v : {"NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID"}) ::unsetenv(v);
  }
  // The next datagram; the sends are synchronous, so one is waiting or none ever comes.
  std::string next() {
    char buf[4096];
    const ssize_t n = ::recv(fd_, buf, sizeof buf, MSG_DONTWAIT);
    return n > 0 ? std::string(buf, std::size_t(n)) : std::string();
  }

  temp_dir dir_{"zefortd-notify"};
  std::string path_;
  int fd_ = -1;
};

TEST_F(SdNotify, SendsReadyStatusReloadingStoppingAndWatchdog) {
  ::setenv("WATCHDOG_USEC", "400000", 1);
  service_notifier n;
  ASSERT_TRUE(n.active());
  ASSERT_TRUE(n.watchdog_period());
  EXPECT_EQ(n.watchdog_period()->count(), 200000) << "half the interval systemd asked for";
  n.ready("3 open tasks");
  EXPECT_EQ(next(), "READY=1\nSTATUS=3 open tasks");
  n.status("2 open tasks");
  EXPECT_EQ(next(), "STATUS=2 open tasks");
  n.reloading();
  const std::string reloading = next();
  EXPECT_EQ(reloading.rfind("RELOADING=1\nMONOTONIC_USEC=", 0), 0u) << reloading;
  n.watchdog();
  EXPECT_EQ(next(), "WATCHDOG=1");
  n.stopping();
  EXPECT_EQ(next(), "STOPPING=1");
}

TEST_F(SdNotify, TheWatchdogIsOnlyForTheProcessWatchdogPidNames) {
  ::setenv("WATCHDOG_USEC", "400000", 1);
  ::setenv("WATCHDOG_PID", std::to_string(::getpid()).c_str(), 1);
  EXPECT_TRUE(service_notifier().watchdog_period()) << "this process";
  ::setenv("WATCHDOG_PID", std::to_string(::getpid() + 1).c_str(), 1);
  EXPECT_FALSE(service_notifier().watchdog_period()) << "another process";
  ::unsetenv("WATCHDOG_PID");
  EXPECT_TRUE(service_notifier().watchdog_period()) << "unset: the main process, as systemd";
  ::setenv("WATCHDOG_USEC", "0", 1);
  EXPECT_FALSE(service_notifier().watchdog_period());
}

TEST_F(SdNotify, WithoutNotifySocketNothingIsSent) {
  ::unsetenv("NOTIFY_SOCKET");
  service_notifier n;
  EXPECT_FALSE(n.active());
  n.ready("x");
  EXPECT_EQ(next(), "");
}

}  // namespace
}  // namespace zefortd
