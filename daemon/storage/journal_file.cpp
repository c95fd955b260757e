// The journal file's life: lock, recover, append, group sync, compact; and the offline check,
// repair and read. Every system call goes through file_io so tests can fail each one.
#include "storage/journal_file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <utility>
#include <vector>

#include "core/failpoint.hpp"
#include "storage/broken_copies.hpp"
#include "storage/journal_paths.hpp"

namespace zefortd {
namespace {

constexpr mode_t journal_mode = 0640;  // readable by the service's group, for `zefortd status`

// Closes on scope exit unless released; for descriptors not yet owned by a journal_file.
struct owned_fd {
  file_io& io;
  int fd = -1;
  owned_fd(file_io& i, int f) : io(i), fd(f) {}
  owned_fd(const owned_fd&) = delete;
  owned_fd& operator=(const owned_fd&) = delete;
  ~owned_fd() {
    if (fd >= 0) (void)io.close(fd);
  }
  int release() { return std::exchange(fd, -1); }
};

std::string refusal(const std::filesystem::path& journal, const scan_result& s) {
  std::string m = "journal " + journal.string() + ": ";
  if (s.end == scan_end::bad_header) {
    return m + s.problem +
           " at byte 0. If this is the right file, `zefortd journal repair` (with the same -c "
           "FILE) moves it aside and starts an empty journal; otherwise set state.journal to the "
           "right file";
  }
  return m + s.problem + ". Run `zefortd journal repair` (with the same -c FILE) to keep the " +
         std::to_string(s.frames.size()) + " records before byte " + std::to_string(s.bad_offset) +
         " and move the file as found aside";
}

// A sidecar lock file, so that compaction's rename never swaps the locked inode away. flock
// belongs to the open file description: a second open in the same process conflicts too.
int acquire_lock(file_io& io, const std::filesystem::path& journal) {
  const std::filesystem::path lock_path = sibling(journal, ".lock");
  int fd = -1;
  if (auto ec = io.open(lock_path, O_RDWR | O_CREAT, 0644, fd)) {
    throw_journal_io(journal, "opening lock file " + lock_path.string(), ec,
                     "check that the directory exists and is writable by zefortd");
  }
  owned_fd guard(io, fd);
  if (auto ec = io.lock_exclusive(fd)) {
    if (ec.value() != EWOULDBLOCK) {
      throw_journal_io(journal, "locking " + lock_path.string(), ec, "check the file system");
    }
    std::string text;
    std::string pid = "unknown";
    if (!io.read_all(lock_path, text)) {
      long n = 0;
      const auto [end, err] = std::from_chars(text.data(), text.data() + text.size(), n);
      if (err == std::errc() && n > 0) pid = std::to_string(n);
    }
    throw journal_error("journal " + journal.string() + " is in use by another zefortd (pid " +
                        pid + "); stop it first, or give this one another state.journal");
  }
  const std::string pid = std::to_string(::getpid()) + "\n";
  if (auto ec = io.ftruncate(fd, 0))
    throw_journal_io(journal, "clearing " + lock_path.string(), ec, "");
  if (auto ec = io.write_all(fd, pid)) {
    throw_journal_io(journal, "writing the pid to " + lock_path.string(), ec, "check free space");
  }
  return guard.release();
}

// Truncates to the last good record (to an empty journal with a fresh header if the header
// itself was not whole) and makes the new size durable.
void cut_to(file_io& io, const std::filesystem::path& journal, int fd, std::uint64_t good_end) {
  const bool whole_header = good_end >= journal_header_size;
  if (auto ec = io.ftruncate(fd, whole_header ? good_end : 0)) {
    throw_journal_io(journal, "truncating to byte " + std::to_string(good_end), ec, "start again");
  }
  if (!whole_header) {
    if (auto ec = io.write_all(fd, encode_header())) {
      throw_journal_io(journal, "writing the header", ec, "free some space and start again");
    }
  }
  if (auto ec = io.fsync(fd))
    throw_journal_io(journal, "fsync after truncating", ec, "start again");
}

journal_check_report report_of(const scan_result& s, std::uint64_t size) {
  journal_check_report r;
  r.sound = s.end == scan_end::clean;
  r.records = s.frames.size();
  r.bytes = size;
  r.good_end = s.good_end;
  r.end = s.end;
  r.bad_offset = s.bad_offset;
  r.problem = s.problem;
  return r;
}

// What a file that is not a journal is, for the message that refuses it.
std::string_view kind_of(std::filesystem::file_type type) {
  using std::filesystem::file_type;
  switch (type) {
    case file_type::directory:
      return "a directory";
    case file_type::fifo:
      return "a FIFO (named pipe)";
    case file_type::character:
      return "a character device";
    case file_type::block:
      return "a block device";
    case file_type::socket:
      return "a socket";
    default:
      return "not a regular file";
  }
}

void add_salvage(journal_check_report& report, const salvage_result& salvage) {
  report.after_damage = static_cast<std::uint64_t>(
      std::count_if(salvage.frames.begin(), salvage.frames.end(),
                    [&](const journal_frame& f) { return f.offset >= report.good_end; }));
  report.lost = salvage.lost;
}

// Moves the records `keep` refuses from the kept frames to the lost ranges, in file order.
void leave_out(salvage_result& salvage, const record_filter& keep) {
  std::vector<journal_frame> kept;
  for (journal_frame& f : salvage.frames) {
    std::string why = keep(f.payload);
    if (why.empty()) {
      kept.push_back(std::move(f));
      continue;
    }
    const std::uint64_t end = f.offset + journal_frame_header_size + f.payload.size();
    salvage.lost.push_back({f.offset, end, f.seq, f.seq, std::move(why)});
  }
  salvage.frames = std::move(kept);
  std::sort(salvage.lost.begin(), salvage.lost.end(),
            [](const lost_range& a, const lost_range& b) { return a.from_byte < b.from_byte; });
}

// Replaces the journal with header + frames, seqs renumbered to follow on from the first (the
// scan refuses a gap), the way compaction does: temporary file, fdatasync, rename, fsync of the
// directory. The temporary file has compaction's name, so that open removes a leftover.
void rewrite(file_io& io, const std::filesystem::path& journal,
             const std::vector<journal_frame>& frames) {
  std::string image = encode_header();
  const std::uint64_t base = frames.empty() ? 1 : frames.front().seq;
  for (std::size_t i = 0; i < frames.size(); ++i) append_frame(image, base + i, frames[i].payload);
  const std::filesystem::path tmp = sibling(journal, ".compact-tmp");
  int fd = -1;
  if (auto ec = io.open(tmp, O_WRONLY | O_CREAT | O_TRUNC, journal_mode, fd))
    throw_journal_io(journal, "creating " + tmp.string(), ec, "nothing was changed; start again");
  owned_fd file(io, fd);
  auto abandon = [&](const std::string& action, std::error_code ec) {
    (void)io.remove(tmp);
    throw_journal_io(journal, action, ec, "nothing was changed; free some space and start again");
  };
  if (auto ec = io.write_all(fd, image)) abandon("writing " + tmp.string(), ec);
  if (auto ec = io.fdatasync(fd)) abandon("fdatasync of " + tmp.string(), ec);
  if (auto ec = io.rename(tmp, journal)) abandon("renaming " + tmp.string(), ec);
  if (auto ec = io.fsync_dir(dir_of(journal)))
    throw_journal_io(journal, "fsync of the directory after repairing", ec,
                     "the repaired journal is in place; run `sync` before relying on it");
}

std::string read_or_throw(file_io& io, const std::filesystem::path& journal) {
  std::string bytes;
  if (auto ec = io.read_all(journal, bytes)) {
    throw_journal_io(journal, "reading", ec, "check the path and permissions");
  }
  return bytes;
}

}  // namespace

std::filesystem::path resolve_journal_path(const std::filesystem::path& configured) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::file_status own = fs::symlink_status(configured, ec);
  if (ec && ec != std::errc::no_such_file_or_directory)
    throw_journal_io(configured, "looking up the path", ec, "check the path and the permissions");

  if (!fs::exists(own)) {
    // Not created yet: the directory is resolved, so that every process (whichever link to the
    // directory it was given) creates, locks and compacts the same file.
    const fs::path dir = dir_of(configured);
    const fs::path real_dir = fs::canonical(dir, ec);
    if (ec)
      throw_journal_io(configured, "resolving its directory " + dir.string(), ec,
                       "create the directory, or set state.journal to a file in one that exists");
    if (!fs::is_directory(real_dir, ec))
      throw journal_error("journal " + configured.string() + ": " + dir.string() +
                          " is not a directory; set state.journal to a file in a directory");
    return real_dir / configured.filename();
  }

  const fs::path real = fs::canonical(configured, ec);
  if (ec) {
    if (fs::is_symlink(own) && ec == std::errc::no_such_file_or_directory) {
      std::error_code ignored;
      throw journal_error("journal " + configured.string() + " is a symbolic link to " +
                          fs::read_symlink(configured, ignored).string() +
                          ", which does not exist; create the file it points to, or set "
                          "state.journal to the real file");
    }
    throw_journal_io(configured, "resolving the path", ec, "check the path and the permissions");
  }
  const fs::file_status target = fs::status(real, ec);
  if (ec) throw_journal_io(real, "looking up the file", ec, "check the path and the permissions");
  if (!fs::is_regular_file(target)) {
    const std::string shown =
        real == configured ? configured.string() : configured.string() + " (" + real.string() + ")";
    throw journal_error("journal " + shown + " is " + std::string(kind_of(target.type())) +
                        ", not a regular file; set state.journal to a file path");
  }
  return real;
}

journal_file journal_file::open(journal_options options) {
  journal_file j;
  j.io_ = options.io ? options.io : &posix_file_io();
  j.path_ = resolve_journal_path(options.path);
  file_io& io = *j.io_;
  const std::filesystem::path& path = j.path_;

  if (options.lock) j.lock_fd_ = acquire_lock(io, path);

  // A crash during compaction can leave the temporary file; the journal itself is whole.
  if (auto ec = io.remove(sibling(path, ".compact-tmp"));
      ec && ec != std::errc::no_such_file_or_directory) {
    throw_journal_io(path, "removing the leftover " + sibling(path, ".compact-tmp").string(), ec,
                     "remove it by hand");
  }

  // On the heap from the start: the frames found in it view into it, and it moves with them.
  auto image = std::make_unique<std::string>();
  const std::string& bytes = *image;
  if (auto ec = io.read_all(path, *image); ec == std::errc::no_such_file_or_directory) {
    if (auto oec = io.open(path, O_WRONLY | O_CREAT | O_EXCL | O_APPEND, journal_mode, j.fd_)) {
      throw_journal_io(path, "creating", oec, "check that the directory exists and is writable");
    }
    if (auto wec = io.write_all(j.fd_, encode_header())) {
      throw_journal_io(path, "writing the header", wec, "free some space and start again");
    }
    if (auto sec = io.fsync(j.fd_))
      throw_journal_io(path, "fsync after creating", sec, "start again");
    if (auto dec = io.fsync_dir(dir_of(path))) {
      throw_journal_io(path, "fsync of the directory after creating", dec, "start again");
    }
    j.size_ = journal_header_size;
    return j;
  } else if (ec) {
    throw_journal_io(path, "reading", ec, "check the path and permissions");
  }

  scan_result scan = scan_journal(bytes);
  if (scan.end == scan_end::corrupt || scan.end == scan_end::bad_header) {
    throw journal_error(refusal(path, scan));
  }

  std::filesystem::path copy;
  if (scan.end == scan_end::torn_tail) copy = keep_broken_copy(io, path);
  if (auto ec = io.open(path, O_WRONLY | O_APPEND, 0, j.fd_)) {
    throw_journal_io(path, "opening for append", ec, "check permissions");
  }
  if (scan.end == scan_end::torn_tail || bytes.empty()) cut_to(io, path, j.fd_, scan.good_end);
  if (scan.end == scan_end::torn_tail) {
    j.recovery_note_ = "journal " + path.string() + ": cut a torn last record (" + scan.problem +
                       "), dropping " + std::to_string(bytes.size() - scan.good_end) +
                       " bytes; the file as found is kept at " + copy.string();
  }

  j.last_seq_ = j.durable_seq_ = scan.frames.empty() ? 0 : scan.frames.back().seq;
  j.image_ = {std::move(image), std::move(scan.frames)};
  j.size_ = std::max<std::uint64_t>(scan.good_end, journal_header_size);
  return j;
}

journal_file::journal_file(journal_file&& other) noexcept
    : path_(std::move(other.path_)),
      io_(other.io_),
      fd_(std::exchange(other.fd_, -1)),
      lock_fd_(std::exchange(other.lock_fd_, -1)),
      image_(std::move(other.image_)),
      recovery_note_(std::move(other.recovery_note_)),
      pending_(std::move(other.pending_)),
      last_seq_(other.last_seq_),
      durable_seq_(other.durable_seq_),
      size_(other.size_),
      broken_(other.broken_) {}

journal_file& journal_file::operator=(journal_file&& other) noexcept {
  if (this != &other) {
    close_all();
    path_ = std::move(other.path_);
    io_ = other.io_;
    fd_ = std::exchange(other.fd_, -1);
    lock_fd_ = std::exchange(other.lock_fd_, -1);
    image_ = std::move(other.image_);
    recovery_note_ = std::move(other.recovery_note_);
    pending_ = std::move(other.pending_);
    last_seq_ = other.last_seq_;
    durable_seq_ = other.durable_seq_;
    size_ = other.size_;
    broken_ = other.broken_;
  }
  return *this;
}

journal_file::~journal_file() {
  close_all();
}

void journal_file::close_all() noexcept {
  // Close errors are ignored: everything that mattered was synced, or is knowingly dropped.
  // The journal goes first so that the lock covers it until it is closed.
  if (fd_ >= 0) (void)io_->close(std::exchange(fd_, -1));
  if (lock_fd_ >= 0) (void)io_->close(std::exchange(lock_fd_, -1));
}

void journal_file::check_usable() const {
  if (broken_) {
    throw journal_io_error("journal " + path_.string() +
                               ": unusable after an earlier I/O failure; restart zefortd, which "
                               "recovers the journal from what is on disk",
                           std::make_error_code(std::errc::io_error));
  }
}

void journal_file::fail(const std::string& action, std::error_code ec) {
  broken_ = true;
  throw_journal_io(
      path_, action, ec,
      "zefortd must stop; on restart the journal is recovered up to its last whole record");
}

std::uint64_t journal_file::append(std::string_view payload) {
  check_usable();
  append_frame(pending_, last_seq_ + 1, payload);  // throws before changing anything
  return ++last_seq_;
}

void journal_file::sync() {
  check_usable();
  if (pending_.empty()) return;
  if (auto ec = io_->write_all(fd_, pending_)) {
    fail("writing " + std::to_string(pending_.size()) + " bytes at byte " + std::to_string(size_),
         ec);
  }
  size_ += pending_.size();
  pending_.clear();
  // Not retried on failure: after a failed fsync the kernel may have dropped the dirty pages
  // and a second fsync would report success for data that never reached the disk.
  if (auto ec = io_->fdatasync(fd_)) fail("fdatasync", ec);
  durable_seq_ = last_seq_;
}

void journal_file::compact(const std::vector<std::string>& live_payloads) {
  check_usable();
  sync();  // whatever was appended is on disk before the file it went to is replaced

  std::string image = encode_header();
  std::uint64_t seq = last_seq_;
  for (const std::string& p : live_payloads) append_frame(image, ++seq, p);

  const std::filesystem::path tmp = sibling(path_, ".compact-tmp");
  int fd = -1;
  if (auto ec = io_->open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, journal_mode, fd)) {
    fail("creating " + tmp.string(), ec);
  }
  owned_fd guard(*io_, fd);
  auto abandon = [&](const std::string& action, std::error_code ec) {
    (void)io_->remove(tmp);  // best effort: open removes it anyway
    fail(action, ec);
  };
  if (auto ec = io_->write_all(fd, image)) abandon("writing " + tmp.string(), ec);
  if (auto ec = io_->fdatasync(fd)) abandon("fdatasync of " + tmp.string(), ec);
  failpoint(failpoints::compaction_tmp);
  if (auto ec = io_->rename(tmp, path_)) abandon("renaming " + tmp.string(), ec);
  failpoint(failpoints::compaction_rename);
  // From here the new journal is in place (at least in the page cache); a failure leaves it
  // there, and the next start reads it.
  if (auto ec = io_->fsync_dir(dir_of(path_))) fail("fsync of the directory after compaction", ec);

  (void)io_->close(std::exchange(fd_, guard.release()));
  last_seq_ = durable_seq_ = seq;
  size_ = image.size();
}

journal_check_report check_journal(const std::filesystem::path& configured, file_io* io) {
  const std::filesystem::path path = resolve_journal_path(configured);
  const std::string bytes = read_or_throw(io ? *io : posix_file_io(), path);
  journal_check_report report = report_of(scan_journal(bytes), bytes.size());
  if (!report.sound) add_salvage(report, salvage_journal(bytes));
  return report;
}

journal_check_report repair_journal(const std::filesystem::path& configured, file_io* io,
                                    const record_filter& keep) {
  const std::filesystem::path path = resolve_journal_path(configured);
  file_io& f = io ? *io : posix_file_io();
  owned_fd lock(f, acquire_lock(f, path));
  const std::string bytes = read_or_throw(f, path);
  journal_check_report report = report_of(scan_journal(bytes), bytes.size());
  if (report.sound) return report;

  salvage_result salvage = salvage_journal(bytes);
  const std::size_t before_damage = report.records;
  if (keep) leave_out(salvage, keep);
  add_salvage(report, salvage);
  report.copy = keep_broken_copy(f, path);
  // Truncating is enough when what is kept is exactly the records before the damage.
  const bool prefix_only = report.after_damage == 0 && salvage.frames.size() == before_damage;
  if (!prefix_only) {
    rewrite(f, path, salvage.frames);
  } else {
    int fd = -1;
    if (auto ec = f.open(path, O_WRONLY, 0, fd))
      throw_journal_io(path, "opening", ec, "check permissions");
    owned_fd file(f, fd);
    cut_to(f, path, fd, report.good_end);
  }
  report.records = salvage.frames.size();
  report.repaired = true;
  return report;
}

journal_image read_journal_unlocked(const std::filesystem::path& configured, file_io* io) {
  const std::filesystem::path path = resolve_journal_path(configured);
  auto bytes = std::make_unique<const std::string>(read_or_throw(io ? *io : posix_file_io(), path));
  scan_result scan = scan_journal(*bytes);
  if (scan.end == scan_end::corrupt || scan.end == scan_end::bad_header) {
    throw journal_error(refusal(path, scan));
  }
  return {std::move(bytes), std::move(scan.frames)};
}

}  // namespace zefortd
