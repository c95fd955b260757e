// See request_queue.hpp.
#include "core/request_queue.hpp"

#include <algorithm>
#include <chrono>

namespace zefortd {
namespace {

std::chrono::steady_clock::time_point as_time(steady_ms ms) {
  return std::chrono::steady_clock::time_point(std::chrono::milliseconds(ms));
}

bool is_dismissal(std::size_t c) {
  return c == static_cast<std::size_t>(request_class::dismiss) ||
         c == static_cast<std::size_t>(request_class::foreign_dismiss);
}

}  // namespace

request_queue::request_queue(unsigned connections, double rate_limit)
    : connections_(std::max(1u, connections)),
      pacer_(connections_, rate_limit),
      limiter_(rate_limit, connections_),
      ceiling_(rate_limit, connections_) {}

void request_queue::push(request_class c, std::uint64_t id, bool retry) {
  auto& l = queues_[static_cast<std::size_t>(c)];
  // A lookup is never held by the budget: it is what keeps a job from being applied twice.
  (retry && c != request_class::lookup_page ? l.retries : l.fresh).push_back(id);
}

std::optional<std::uint64_t> request_queue::pop(steady_ms now, bool gate_dismissals) {
  wake_at_ = steady_never;
  if (in_flight_ >= connections_) return std::nullopt;
  const bool retry_ok = pacer_.retry_allowed(now);
  for (std::size_t c = 0; c < queues_.size(); ++c) {
    auto& l = queues_[c];
    if (gate_dismissals && is_dismissal(c)) continue;
    const bool lookup = c == static_cast<std::size_t>(request_class::lookup_page);
    if (!lookup && in_flight_ >= pacer_.window()) return std::nullopt;
    // Retries are older work than fresh requests of their class: they go first while the
    // budget allows, and wait for it to grow (fresh sends, or time) when it does not.
    const bool take_retry = !l.retries.empty() && retry_ok;
    if (!l.retries.empty() && !retry_ok)
      wake_at_ = std::min(wake_at_, pacer_.budget_changes_at(now));
    auto& q = take_retry ? l.retries : l.fresh;
    if (q.empty()) continue;
    const auto wait = (lookup ? ceiling_ : limiter_).available_in(as_time(now));
    if (wait.count() > 0) {
      wake_at_ = std::min(wake_at_,
                          now + std::chrono::ceil<std::chrono::milliseconds>(wait).count());
      return std::nullopt;
    }
    (void)limiter_.reserve(as_time(now));
    (void)ceiling_.reserve(as_time(now));
    pacer_.on_sent(take_retry, now);
    const auto id = q.front();
    q.pop_front();
    ++in_flight_;
    return id;
  }
  return std::nullopt;
}

bool request_queue::done(load_signal signal, steady_ms sent_at, steady_ms now) {
  if (in_flight_ > 0) --in_flight_;
  if (!pacer_.on_answer(signal, sent_at, now)) return false;
  limiter_.set_rate(pacer_.rate(), std::min(connections_, pacer_.window()));
  return true;
}

std::size_t request_queue::queued() const {
  std::size_t n = 0;
  for (const auto& l : queues_) n += l.fresh.size() + l.retries.size();
  return n;
}

void request_queue::clear() {
  for (auto& l : queues_) {
    l.fresh.clear();
    l.retries.clear();
  }
  wake_at_ = steady_never;
}

}  // namespace zefortd
