// For tests and benchmarks of app/journal: the journal plus the state its records build, kept
// the way the engine and the orchestrator keep them (apply, append, sync, compact past the
// bound), so that a test can commit records and read the state back.
#pragma once

#include <vector>

#include "app/journal.hpp"

namespace zefortd {

class tracked_journal {
 public:
  tracked_journal(asio::any_io_executor executor, journal_file file)
      : journal_(std::move(executor), std::move(file)), state_(journal_.take_state()) {}

  asio::awaitable<void> commit(std::vector<journal_record> records) {
    if (records.empty()) co_return;
    for (const auto& r : records)
      if (auto problem = state_.apply(r)) throw std::logic_error("commit: " + *problem);
    const auto seq = journal_.append(records);
    co_await journal_.sync_to(seq);
    journal_.maybe_compact(state_);
  }
  void flush() { journal_.flush(); }
  void compact_if_larger_than(std::uint64_t bytes) {
    journal_.compact_if_larger_than(bytes, state_);
  }
  const journal_state& state() const { return state_; }
  std::uint64_t syncs() const { return journal_.syncs(); }

 private:
  journal journal_;
  journal_state state_;
};

}  // namespace zefortd
