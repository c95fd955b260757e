// POSIX implementation of file_io (EINTR and short writes handled) and the fault-injecting
// wrapper used by the journal's crash tests.
#include "storage/file_io.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

namespace zefortd {
namespace {

std::error_code last_error() {
  return {errno, std::system_category()};
}

class posix_io final : public file_io {
 public:
  std::error_code open(const std::filesystem::path& path, int flags, mode_t mode,
                       int& fd) override {
    for (;;) {
      const int r = ::open(path.c_str(), flags | O_CLOEXEC, mode);
      if (r >= 0) {
        fd = r;
        return {};
      }
      if (errno != EINTR) return last_error();
    }
  }

  std::error_code read_all(const std::filesystem::path& path, std::string& out) override {
    int fd = -1;
    // O_NONBLOCK: opening a FIFO must not wait for a writer; the type check below refuses it.
    if (auto ec = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY, 0, fd)) return ec;
    // Read straight into the string (a journal can be large): no bounce buffer, one copy.
    struct stat st {};
    if (::fstat(fd, &st) != 0) {
      const std::error_code ec = last_error();
      ::close(fd);
      return ec;
    }
    // A FIFO would block or a device (/dev/zero) never end: only regular files are read.
    if (!S_ISREG(st.st_mode)) {
      ::close(fd);
      return std::make_error_code(S_ISDIR(st.st_mode) ? std::errc::is_a_directory
                                                      : std::errc::invalid_argument);
    }
    std::size_t capacity = 65536;
    if (st.st_size > 0) capacity = static_cast<std::size_t>(st.st_size) + 1;
    out.resize(capacity);
    std::size_t used = 0;
    std::error_code ec;
    for (;;) {
      if (used == out.size()) out.resize(out.size() * 2);  // the file grew meanwhile
      const ssize_t n = ::read(fd, out.data() + used, out.size() - used);
      if (n > 0) {
        used += static_cast<std::size_t>(n);
      } else if (n == 0) {
        break;
      } else if (errno != EINTR) {
        ec = last_error();
        break;
      }
    }
    out.resize(used);
    ::close(fd);
    return ec;
  }

  std::error_code write_all(int fd, std::string_view data) override {
    while (!data.empty()) {
      const ssize_t n = ::write(fd, data.data(), data.size());
      if (n > 0) {
        data.remove_prefix(static_cast<std::size_t>(n));
      } else if (n < 0 && errno != EINTR) {
        return last_error();
      } else if (n == 0) {
        return std::make_error_code(std::errc::io_error);  // no progress and no errno
      }
    }
    return {};
  }

  // A failed sync is reported, never retried (the kernel may already have dropped the dirty
  // pages); only EINTR, which means it did not run, is repeated.
  std::error_code fdatasync(int fd) override {
    return retry([&] { return ::fdatasync(fd); });
  }
  std::error_code fsync(int fd) override {
    return retry([&] { return ::fsync(fd); });
  }

  std::error_code ftruncate(int fd, std::uint64_t size) override {
    return retry([&] { return ::ftruncate(fd, static_cast<off_t>(size)); });
  }

  std::error_code rename(const std::filesystem::path& from,
                         const std::filesystem::path& to) override {
    return ::rename(from.c_str(), to.c_str()) == 0 ? std::error_code() : last_error();
  }

  std::error_code remove(const std::filesystem::path& path) override {
    return ::unlink(path.c_str()) == 0 ? std::error_code() : last_error();
  }

  std::error_code fsync_dir(const std::filesystem::path& dir) override {
    int fd = -1;
    if (auto ec = open(dir.empty() ? "." : dir, O_RDONLY | O_DIRECTORY, 0, fd)) return ec;
    const std::error_code ec = fsync(fd);
    ::close(fd);
    return ec;
  }

  std::error_code close(int fd) override {
    // Linux releases the descriptor even on EINTR; retrying could close someone else's.
    return ::close(fd) == 0 || errno == EINTR ? std::error_code() : last_error();
  }

  std::error_code copy_file(const std::filesystem::path& from,
                            const std::filesystem::path& to) override {
    int in = -1;
    if (auto ec = open(from, O_RDONLY, 0, in)) return ec;
    int out = -1;
    if (auto ec = open(to, O_WRONLY | O_CREAT | O_EXCL, 0640, out)) {
      ::close(in);
      return ec;
    }
    std::error_code ec;
    char buf[65536];
    for (;;) {
      const ssize_t n = ::read(in, buf, sizeof buf);
      if (n == 0) break;
      if (n < 0) {
        if (errno == EINTR) continue;
        ec = last_error();
        break;
      }
      if ((ec = write_all(out, std::string_view(buf, static_cast<std::size_t>(n))))) break;
    }
    if (!ec) ec = fsync(out);
    if (::close(out) != 0 && !ec && errno != EINTR) ec = last_error();
    ::close(in);
    if (ec) ::unlink(to.c_str());
    return ec;
  }

  std::error_code lock_exclusive(int fd) override {
    return retry([&] { return ::flock(fd, LOCK_EX | LOCK_NB); });
  }

 private:
  template <class F>
  static std::error_code retry(F f) {
    for (;;) {
      if (f() == 0) return {};
      if (errno != EINTR) return last_error();
    }
  }
};

}  // namespace

file_io& posix_file_io() {
  static posix_io io;
  return io;
}

bool faulty_file_io::hit(const char* name) {
  ++ops_;
  trace_.emplace_back(name);
  const bool fail = fault_.at != 0 && (ops_ == fault_.at || (fault_.sticky && ops_ > fault_.at));
  if (fail) fired_ = true;
  return fail;
}

std::error_code faulty_file_io::open(const std::filesystem::path& path, int flags, mode_t mode,
                                     int& fd) {
  return hit("open") ? injected() : inner_.open(path, flags, mode, fd);
}

std::error_code faulty_file_io::read_all(const std::filesystem::path& path, std::string& out) {
  return hit("read_all") ? injected() : inner_.read_all(path, out);
}

std::error_code faulty_file_io::write_all(int fd, std::string_view data) {
  if (!hit("write_all")) return inner_.write_all(fd, data);
  if (fault_.partial_write && data.size() > 1) {
    // What reaches the file before the error is what a torn write leaves behind.
    (void)inner_.write_all(fd, data.substr(0, data.size() / 2));
  }
  return injected();
}

std::error_code faulty_file_io::fdatasync(int fd) {
  return hit("fdatasync") ? injected() : inner_.fdatasync(fd);
}

std::error_code faulty_file_io::fsync(int fd) {
  return hit("fsync") ? injected() : inner_.fsync(fd);
}

std::error_code faulty_file_io::ftruncate(int fd, std::uint64_t size) {
  return hit("ftruncate") ? injected() : inner_.ftruncate(fd, size);
}

std::error_code faulty_file_io::rename(const std::filesystem::path& from,
                                       const std::filesystem::path& to) {
  return hit("rename") ? injected() : inner_.rename(from, to);
}

std::error_code faulty_file_io::remove(const std::filesystem::path& path) {
  return hit("remove") ? injected() : inner_.remove(path);
}

std::error_code faulty_file_io::fsync_dir(const std::filesystem::path& dir) {
  return hit("fsync_dir") ? injected() : inner_.fsync_dir(dir);
}

std::error_code faulty_file_io::close(int fd) {
  // The descriptor goes away whatever close reports, so the real close always runs.
  const std::error_code ec = inner_.close(fd);
  return hit("close") ? injected() : ec;
}

std::error_code faulty_file_io::copy_file(const std::filesystem::path& from,
                                          const std::filesystem::path& to) {
  return hit("copy_file") ? injected() : inner_.copy_file(from, to);
}

std::error_code faulty_file_io::lock_exclusive(int fd) {
  return hit("lock_exclusive") ? injected() : inner_.lock_exclusive(fd);
}

}  // namespace zefortd
