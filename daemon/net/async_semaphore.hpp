// A counting semaphore for coroutines on one io_context (no threads, no mutex): bounds the
// keep-alive connections in use and the submissions in flight.
#pragma once

#include <boost/asio/steady_timer.hpp>
#include <deque>
#include <memory>

#include "net/asio_fwd.hpp"

namespace zefortd {

class async_semaphore {
 public:
  async_semaphore(asio::any_io_executor executor, std::size_t permits)
      : executor_(std::move(executor)), available_(permits) {}

  // Waits for a permit; waiters are served first come, first served.
  asio::awaitable<void> acquire();
  void release();
  // Wakes every waiter and lets later acquires through at once (shutdown).
  void cancel_waiters();
  std::size_t waiting() const { return waiters_.size(); }

 private:
  asio::any_io_executor executor_;
  std::size_t available_;
  bool open_gate_ = false;
  std::deque<std::shared_ptr<asio::steady_timer>> waiters_;
};

// Holds a permit for a scope.
class semaphore_permit {
 public:
  explicit semaphore_permit(async_semaphore& s) : sem_(&s) {}
  semaphore_permit(semaphore_permit&& o) noexcept : sem_(std::exchange(o.sem_, nullptr)) {}
  semaphore_permit& operator=(semaphore_permit&&) = delete;
  ~semaphore_permit() {
    if (sem_) sem_->release();
  }

 private:
  async_semaphore* sem_;
};

}  // namespace zefortd
