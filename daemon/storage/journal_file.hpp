// The journal file: exclusive lock, recovery on open (torn tail cut after a copy is kept,
// corruption refused), buffered appends made durable by one group sync, compaction by
// write-fsync-rename, and the offline check/repair/read used by `zefortd journal` and `status`.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include "core/journal_format.hpp"
#include "storage/file_io.hpp"

namespace zefortd {

// The journal cannot be used: in use by another process, damaged, or unreadable. The message
// names the file, the byte offset where it applies, and what the operator should do.
class journal_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A system call on the journal failed. After one of these from sync() or compact() the
// journal_file refuses all further work: a failed fsync is not retried, the process must restart
// and recover from what is on disk.
class journal_io_error : public journal_error {
 public:
  journal_io_error(const std::string& message, std::error_code code)
      : journal_error(message), code_(code) {}
  std::error_code code() const { return code_; }

 private:
  std::error_code code_;
};

// Throws journal_io_error "journal PATH: ACTION failed: REASON; ADVICE".
[[noreturn]] inline void throw_journal_io(const std::filesystem::path& journal,
                                          const std::string& action, std::error_code ec,
                                          std::string_view advice) {
  std::string m = "journal " + journal.string() + ": " + action + " failed: " + ec.message();
  if (!advice.empty()) m.append("; ").append(advice);
  throw journal_io_error(m, ec);
}

// A journal's bytes as read, and its good frames, which are views into those bytes. The bytes
// sit behind a pointer, so moving an image keeps its frames valid; dropping it frees both.
struct journal_image {
  std::unique_ptr<const std::string> bytes;
  std::vector<journal_frame> frames;
};

// The file a configured journal path stands for: symbolic links resolved (also those of its
// directory when the journal does not exist yet), so that the lock, the compaction's temporary
// file and its rename all act on the real file whichever link a process was given. Throws
// journal_error when the path names something other than a regular file (a FIFO, a device, a
// directory, a socket) or is a dangling link, journal_io_error when it cannot be looked up (code()
// is ENOENT when its directory does not exist).
std::filesystem::path resolve_journal_path(const std::filesystem::path& configured);

struct journal_options {
  std::filesystem::path path;  // as configured; open() resolves it with resolve_journal_path
  file_io* io = nullptr;       // nullptr: posix_file_io(); must outlive the journal_file
  bool lock = true;            // flock on "<path>.lock"; only tests turn this off
};

class journal_file {
 public:
  // Resolves the path (resolve_journal_path), locks, removes a leftover "<path>.compact-tmp",
  // creates the file if absent (header, fsync of file and directory), scans it and recovers a torn
  // tail. Throws journal_error when the lock is held or the file is corrupt or not a journal,
  // journal_io_error when a call fails.
  static journal_file open(journal_options options);

  journal_file(journal_file&& other) noexcept;
  journal_file& operator=(journal_file&& other) noexcept;
  journal_file(const journal_file&) = delete;
  journal_file& operator=(const journal_file&) = delete;
  // Closes the file and releases the lock. Frames appended but not synced are dropped, exactly
  // as a crash would drop them.
  ~journal_file();

  // The resolved path: the real file, never a link to it.
  const std::filesystem::path& path() const { return path_; }

  // The records found at open, for replay: views into the file's bytes as read, which this
  // object keeps until take_frames().
  const std::vector<journal_frame>& frames() const { return image_.frames; }
  // Hands over the frames with the bytes they view; discarding the result frees them (after
  // replay, the state holds what matters).
  journal_image take_frames() { return std::exchange(image_, {}); }

  // Set when open cut a torn tail: what was cut and where the copy of the original file is. The
  // caller logs it.
  std::optional<std::string> recovery_note() const { return recovery_note_; }

  // Buffers one frame in memory and returns its seq. No system call; durable after sync().
  // Throws std::length_error for a payload over 16 MiB (the journal stays usable).
  std::uint64_t append(std::string_view payload);

  // Writes every buffered frame with one write and one fdatasync (group commit). Nothing
  // buffered: no system call. Throws journal_io_error on any failure, after which this object
  // is unusable; the file stays a valid journal whose torn tail, if any, the next open cuts.
  void sync();

  // Rewrites the journal as header + live_payloads with fresh seqs continuing after last_seq():
  // syncs pending frames first, writes "<path>.compact-tmp", fdatasyncs it, renames it over the
  // journal and fsyncs the directory. A crash leaves the old or the new journal, both complete.
  // Any failure throws journal_io_error and makes this object unusable.
  void compact(const std::vector<std::string>& live_payloads);

  std::uint64_t last_seq() const { return last_seq_; }        // last appended, synced or not
  std::uint64_t durable_seq() const { return durable_seq_; }  // last made durable by sync()
  std::uint64_t size_bytes() const { return size_; }          // bytes in the file, header too
  std::uint64_t pending_bytes() const { return pending_.size(); }
  bool usable() const { return !broken_; }

 private:
  journal_file() = default;
  void close_all() noexcept;
  void check_usable() const;
  [[noreturn]] void fail(const std::string& action, std::error_code ec);

  std::filesystem::path path_;
  file_io* io_ = nullptr;
  int fd_ = -1;          // O_APPEND descriptor of the journal
  int lock_fd_ = -1;     // holds the flock; -1 when not locking
  journal_image image_;  // the file as read at open, and its frames
  std::optional<std::string> recovery_note_;
  std::string pending_;  // encoded frames not yet written
  std::uint64_t last_seq_ = 0;
  std::uint64_t durable_seq_ = 0;
  std::uint64_t size_ = 0;
  bool broken_ = false;
};

struct journal_check_report {
  bool sound = false;         // clean: nothing to repair
  std::uint64_t records = 0;  // good records (kept records, after a repair)
  std::uint64_t bytes = 0;    // file size as found
  std::uint64_t good_end = 0;
  scan_end end = scan_end::clean;
  std::uint64_t bad_offset = 0;
  std::string problem;
  // Intact records after the damage: those repair keeps (check: would keep) besides `records`
  // before it, and the stretches it cannot read (salvage_journal).
  std::uint64_t after_damage = 0;
  std::vector<lost_range> lost;
  // Set by repair_journal when it changed the file.
  bool repaired = false;
  std::filesystem::path copy;  // where the file as found was kept
};

// The functions below resolve the path first, as journal_file::open does.
// Scans without locking or writing. Throws journal_io_error if the file cannot be read.
journal_check_report check_journal(const std::filesystem::path& path, file_io* io = nullptr);

// Takes the lock (journal_error if a daemon holds it), and if the journal is not sound keeps a
// copy at "<path>.broken-<UTC time>", then keeps every intact record (salvage_journal): the
// records before the damage and those after it, renumbered to follow on, written to a temporary
// file renamed over the journal. With nothing intact after the damage it truncates to the last
// good record instead (an empty journal if the header was bad). `records` is then every record
// kept, `lost` what was not. A sound journal is left untouched.
//
// `keep`, when given, sees every record to be kept in order and returns why one must be left out
// ("" keeps it), e.g. because it would not replay; such a record is lost too, with its reason.
using record_filter = std::function<std::string(std::string_view payload)>;
journal_check_report repair_journal(const std::filesystem::path& path, file_io* io = nullptr,
                                    const record_filter& keep = {});

// For `zefortd status` while a daemon runs: no lock, no writes. A torn tail (possibly a write in
// progress) ends the list; corruption or a bad header throws journal_error; an unreadable or
// missing file throws journal_io_error (code() tells ENOENT apart). Keep the image while its
// frames are used.
journal_image read_journal_unlocked(const std::filesystem::path& path, file_io* io = nullptr);

}  // namespace zefortd
