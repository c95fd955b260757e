// The journal file on the event loop: replay at open, write-ahead appends, and group commit:
// records appended in the same turn of the event loop share one write and one fdatasync, and
// a commit returns only once its records are durable. The state the records describe belongs
// to the engine; the journal only needs it to compact.
#pragma once

#include <vector>

#include "core/journal_state.hpp"
#include "net/asio_fwd.hpp"
#include "storage/journal_file.hpp"

namespace zefortd {

class journal {
 public:
  // Replays what `file` holds. Throws journal_error for a record that does not decode or
  // contradicts the ones before it.
  journal(asio::any_io_executor executor, journal_file file);

  // The replayed state (once: it moves out).
  journal_state take_state() { return std::move(replayed_); }
  const std::filesystem::path& path() const { return path_; }

  // Appends `records` (not yet durable) and returns the sequence number of the last one.
  std::uint64_t append(const std::vector<journal_record>& records);
  // Returns once everything up to `seq` is durable. Every coroutine that appended in this turn
  // resumes after one fdatasync. A failed write or sync throws journal_io_error: the caller
  // must stop, since no later action may depend on it.
  asio::awaitable<void> sync_to(std::uint64_t seq);
  // append, then sync_to.
  asio::awaitable<void> commit(std::vector<journal_record> records);

  // Writes whatever is pending now (clean shutdown).
  void flush();

  // Rewrites the file as `live`'s records when it has grown past the bound, or (end of a batch)
  // when it is larger than `bytes`: the size then follows the open work.
  void maybe_compact(const journal_state& live);
  void compact_if_larger_than(std::uint64_t bytes, const journal_state& live);

  std::uint64_t syncs() const { return syncs_; }

 private:
  void compact(const journal_state& live);

  asio::any_io_executor executor_;
  journal_file file_;
  std::filesystem::path path_;
  journal_state replayed_;
  std::uint64_t compact_above_;
  std::uint64_t syncs_ = 0;
};

// Replays frames into a state (used by the journal above and by read-only commands).
// Throws journal_error naming the file and the record's offset when a record is unusable.
journal_state replay(const std::filesystem::path& file, const std::vector<journal_frame>& frames);

}  // namespace zefortd
