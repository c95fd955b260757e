// The journal as the orchestrator uses it: replayed state plus write-ahead commits. Records
// that fall due in the same turn of the event loop share one write and one fdatasync (group
// commit); a commit returns only once its records are durable. Compaction runs past a bound.
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

  const journal_state& state() const { return state_; }
  const std::filesystem::path& path() const { return path_; }

  // Applies `records` to the state and returns once they are on disk. A failed write or sync
  // throws journal_io_error: the caller must stop, since no later action may depend on it.
  asio::awaitable<void> commit(std::vector<journal_record> records);

  // Writes whatever is pending now (clean shutdown).
  void flush();

  // Rewrites the file as its live state when it is larger than `bytes` (end of a batch: the
  // size then follows the open work even below the usual bound).
  void compact_if_larger_than(std::uint64_t bytes);

  std::uint64_t syncs() const { return syncs_; }

 private:
  void maybe_compact();
  void compact();

  asio::any_io_executor executor_;
  journal_file file_;
  std::filesystem::path path_;
  journal_state state_;
  std::uint64_t compact_above_;
  std::uint64_t syncs_ = 0;
};

// Replays frames into a state (used by the journal above and by read-only commands).
// Throws journal_error naming the file and the record's offset when a record is unusable.
journal_state replay(const std::filesystem::path& file, const std::vector<journal_frame>& frames);

}  // namespace zefortd
