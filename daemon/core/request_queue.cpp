// See request_queue.hpp.
#include "core/request_queue.hpp"

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
    : connections_(connections ? connections : 1), limiter_(rate_limit, connections_) {}

void request_queue::push(request_class c, std::uint64_t id) {
  queues_[static_cast<std::size_t>(c)].push_back(id);
}

std::optional<std::uint64_t> request_queue::pop(steady_ms now, bool gate_dismissals) {
  wake_at_ = steady_never;
  if (in_flight_ >= connections_) return std::nullopt;
  for (std::size_t c = 0; c < queues_.size(); ++c) {
    auto& q = queues_[c];
    if (q.empty() || (gate_dismissals && is_dismissal(c))) continue;
    const auto wait = limiter_.available_in(as_time(now));
    if (wait.count() > 0) {
      wake_at_ = now + std::chrono::ceil<std::chrono::milliseconds>(wait).count();
      return std::nullopt;
    }
    (void)limiter_.reserve(as_time(now));
    const auto id = q.front();
    q.pop_front();
    ++in_flight_;
    return id;
  }
  return std::nullopt;
}

void request_queue::done() {
  if (in_flight_ > 0) --in_flight_;
}

std::size_t request_queue::queued() const {
  std::size_t n = 0;
  for (const auto& q : queues_) n += q.size();
  return n;
}

void request_queue::clear() {
  for (auto& q : queues_) q.clear();
  wake_at_ = steady_never;
}

}  // namespace zefortd
