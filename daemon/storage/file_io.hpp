// The few file-system calls the journal makes, behind an interface so that tests can fail any
// one of them (faulty_file_io) and check that the journal on disk still opens afterwards.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace zefortd {

// Every call returns an error_code (errno in the system category) instead of throwing: the
// journal decides which failures are fatal. Implementations retry EINTR and short writes.
class file_io {
 public:
  virtual ~file_io() = default;

  // ::open with O_CLOEXEC added.
  virtual std::error_code open(const std::filesystem::path& path, int flags, mode_t mode,
                               int& fd) = 0;
  // The whole file; ENOENT when it does not exist, EISDIR for a directory and EINVAL for
  // anything else that is not a regular file (a FIFO is not waited on, a device not read).
  virtual std::error_code read_all(const std::filesystem::path& path, std::string& out) = 0;
  // Writes everything at the file position (or the end, under O_APPEND). On an error some prefix
  // of `data` may have been written.
  virtual std::error_code write_all(int fd, std::string_view data) = 0;
  virtual std::error_code fdatasync(int fd) = 0;
  virtual std::error_code fsync(int fd) = 0;
  virtual std::error_code ftruncate(int fd, std::uint64_t size) = 0;
  virtual std::error_code rename(const std::filesystem::path& from,
                                 const std::filesystem::path& to) = 0;
  virtual std::error_code remove(const std::filesystem::path& path) = 0;  // ENOENT if absent
  virtual std::error_code fsync_dir(const std::filesystem::path& dir) = 0;
  // The descriptor is released even when an error is returned (Linux semantics); never retried.
  virtual std::error_code close(int fd) = 0;
  // Creates `to` (EEXIST if it exists), copies `from` into it and fsyncs it. Does not fsync the
  // directory. A failed copy removes the partial `to`.
  virtual std::error_code copy_file(const std::filesystem::path& from,
                                    const std::filesystem::path& to) = 0;
  // flock(LOCK_EX | LOCK_NB): EWOULDBLOCK when another open file description holds it.
  virtual std::error_code lock_exclusive(int fd) = 0;
};

// Real syscalls. Stateless; one instance for the process.
file_io& posix_file_io();

// Wraps another file_io, counts every call, and fails the Nth (1-based) with a chosen errno.
// A test runs a scenario once to learn the number of calls, then once per call failing it.
class faulty_file_io : public file_io {
 public:
  explicit faulty_file_io(file_io& inner = posix_file_io()) : inner_(inner) {}

  struct fault {
    std::uint64_t at = 0;  // 1-based call number to fail; 0 = never
    int error = 0;         // errno to return, e.g. ENOSPC, EIO
    // For write_all: write the first half of the data through before failing (a torn write).
    bool partial_write = false;
    // Every call from `at` on fails too, as a full disk or a dead device would.
    bool sticky = false;
  };

  void inject(fault f) { fault_ = f; }
  std::uint64_t ops() const { return ops_; }
  bool fired() const { return fired_; }
  // The name of each call so far ("open", "write_all", ...), for test failure messages.
  const std::vector<std::string>& trace() const { return trace_; }

  std::error_code open(const std::filesystem::path& path, int flags, mode_t mode, int& fd) override;
  std::error_code read_all(const std::filesystem::path& path, std::string& out) override;
  std::error_code write_all(int fd, std::string_view data) override;
  std::error_code fdatasync(int fd) override;
  std::error_code fsync(int fd) override;
  std::error_code ftruncate(int fd, std::uint64_t size) override;
  std::error_code rename(const std::filesystem::path& from,
                         const std::filesystem::path& to) override;
  std::error_code remove(const std::filesystem::path& path) override;
  std::error_code fsync_dir(const std::filesystem::path& dir) override;
  std::error_code close(int fd) override;
  std::error_code copy_file(const std::filesystem::path& from,
                            const std::filesystem::path& to) override;
  std::error_code lock_exclusive(int fd) override;

 private:
  // Counts the call; true when it must fail.
  bool hit(const char* name);
  std::error_code injected() const { return {fault_.error, std::system_category()}; }

  file_io& inner_;
  fault fault_;
  std::uint64_t ops_ = 0;
  bool fired_ = false;
  std::vector<std::string> trace_;
};

}  // namespace zefortd
