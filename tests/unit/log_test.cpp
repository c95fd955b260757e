// Tests for the log format decision: the journal's "<N>" prefixes only when $JOURNAL_STREAM
// names the very file stderr is (device and inode), the timestamped format otherwise.
#include "core/log.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string>

namespace zefortd {
namespace {

// An open temporary file and its "DEVICE:INODE", as systemd would write it.
class LogStream : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/zefortd-log-test-XXXXXX";
    fd_ = mkstemp(pattern);
    ASSERT_GE(fd_, 0);
    path_ = pattern;
    struct stat st {};
    ASSERT_EQ(fstat(fd_, &st), 0);
    device_ = std::to_string(st.st_dev);
    inode_ = std::to_string(st.st_ino);
  }
  void TearDown() override {
    close(fd_);
    unlink(path_.c_str());
  }
  int fd_ = -1;
  std::string path_, device_, inode_;
};

TEST_F(LogStream, MatchingDeviceAndInodeIsTheJournal) {
  EXPECT_TRUE(is_journal_stream((device_ + ":" + inode_).c_str(), fd_));
}

TEST_F(LogStream, AnInheritedVariableForAnotherFileIsNot) {
  // A child of a service (or `systemd-run` then a redirect) inherits JOURNAL_STREAM while its
  // stderr is elsewhere: only the variable being set must not switch the format.
  const std::string other = device_ + ":" + std::to_string(std::stoull(inode_) + 1);
  EXPECT_FALSE(is_journal_stream(other.c_str(), fd_));
  const std::string other_device = std::to_string(std::stoull(device_) + 1) + ":" + inode_;
  EXPECT_FALSE(is_journal_stream(other_device.c_str(), fd_));
}

TEST_F(LogStream, UnsetOrMalformedIsNot) {
  EXPECT_FALSE(is_journal_stream(nullptr, fd_));
  for (const std::string& bad :
       {std::string(), std::string("1"), device_ + inode_, device_ + ":" + inode_ + "x",
        device_ + ":", ":" + inode_, "-" + device_ + ":" + inode_, device_ + ": " + inode_})
    EXPECT_FALSE(is_journal_stream(bad.c_str(), fd_)) << bad;
}

TEST_F(LogStream, AClosedDescriptorIsNot) {
  const std::string value = device_ + ":" + inode_;
  const int copy = dup(fd_);
  ASSERT_GE(copy, 0);
  EXPECT_TRUE(is_journal_stream(value.c_str(), copy));
  close(copy);
  EXPECT_FALSE(is_journal_stream(value.c_str(), copy));
}

TEST(LogFormat, JournalLinesHavePriorityAndNoTimestamp) {
  EXPECT_EQ(format_log_line(log_level::warning, "disk full", true, 0), "<4>disk full\n");
  EXPECT_EQ(format_log_line(log_level::debug, "poll", true, 0), "<7>poll\n");
  EXPECT_EQ(format_log_line(log_level::error, "x", true, 0), "<3>x\n");
}

TEST(LogFormat, OtherLinesHaveUtcTimestampAndLevel) {
  // 2026-11-29T12:47:09Z
  EXPECT_EQ(format_log_line(log_level::info, "submitted", false, 1795956429),
            "2026-11-29T12:47:09Z info: submitted\n");
  EXPECT_EQ(format_log_line(log_level::notice, "stopped", false, 0),
            "1970-01-01T00:00:00Z notice: stopped\n");
}

}  // namespace
}  // namespace zefortd
