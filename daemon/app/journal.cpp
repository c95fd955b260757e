// See journal.hpp.
#include "app/journal.hpp"

#include <algorithm>
#include <boost/asio/post.hpp>
#include <cstdlib>

#include "core/log.hpp"

namespace zefortd {
namespace {

// Compact when the file is this much larger than the live state last written: the size follows
// the open work, and a journal that is mostly live is not rewritten over and over.
constexpr std::uint64_t default_compact_bytes = 1 << 20;

// Closed runs kept through a compaction, for `zefortd status` (which shows 20).
constexpr std::size_t recent_runs_kept = 20;

// ZEFORTD_COMPACT_BYTES lowers the bound so that tests and benchmarks exercise compaction.
std::uint64_t min_compact_bytes() {
  static const std::uint64_t bytes = [] {
    const char* v = std::getenv("ZEFORTD_COMPACT_BYTES");
    long long n = v ? std::atoll(v) : 0;
    return n > 0 ? static_cast<std::uint64_t>(n) : default_compact_bytes;
  }();
  return bytes;
}

}  // namespace

journal_state replay(const std::filesystem::path& file, const std::vector<journal_frame>& frames) {
  journal_state state;
  if (auto e = replay_frames(frames, state))
    throw journal_error("journal " + file.string() + ": record " + std::to_string(e->seq) +
                        " at byte " + std::to_string(e->offset) + ": " + e->message +
                        "; run `zefortd journal check` for details");
  return state;
}

journal::journal(asio::any_io_executor executor, journal_file file)
    : executor_(std::move(executor)),
      file_(std::move(file)),
      path_(file_.path()),
      replayed_(replay(path_, file_.frames())),
      compact_above_(min_compact_bytes()) {
  file_.take_frames();  // replayed: the state holds what matters
}

std::uint64_t journal::append(const std::vector<journal_record>& records) {
  std::uint64_t last = file_.last_seq();
  for (const auto& r : records) last = file_.append(encode_record(r));
  return last;
}

asio::awaitable<void> journal::sync_to(std::uint64_t seq) {
  // Let every coroutine that is ready in this turn append too; the first to resume syncs all.
  co_await asio::post(executor_, asio::use_awaitable);
  if (file_.durable_seq() < seq) {
    file_.sync();
    ++syncs_;
  }
}

asio::awaitable<void> journal::commit(std::vector<journal_record> records) {
  if (records.empty()) co_return;
  const auto last = append(records);
  co_await sync_to(last);
}

void journal::flush() {
  if (file_.durable_seq() < file_.last_seq()) {
    file_.sync();
    ++syncs_;
  }
}

void journal::maybe_compact(const journal_state& live) {
  if (file_.size_bytes() >= compact_above_) compact(live);
}

void journal::compact_if_larger_than(std::uint64_t bytes, const journal_state& live) {
  if (file_.size_bytes() > bytes) compact(live);
}

void journal::compact(const journal_state& state) {
  flush();
  std::vector<std::string> live;
  for (const auto& r : state.live_records(recent_runs_kept)) live.push_back(encode_record(r));
  auto before = file_.size_bytes();
  std::uint64_t image = journal_header_size;
  for (const auto& p : live) image += journal_frame_header_size + p.size();
  // Mostly live (a large open batch): a rewrite would cost an fsync and save little.
  if (image > before / 2) {
    compact_above_ = std::max<std::uint64_t>(min_compact_bytes(), 2 * before);
    return;
  }
  file_.compact(live);
  compact_above_ = std::max<std::uint64_t>(min_compact_bytes(), 4 * file_.size_bytes());
  log_info("journal ", path_.string(), ": compacted ", before, " bytes to ", file_.size_bytes());
}

}  // namespace zefortd
