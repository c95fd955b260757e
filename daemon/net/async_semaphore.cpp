// See async_semaphore.hpp.
#include "net/async_semaphore.hpp"

namespace zefortd {

asio::awaitable<void> async_semaphore::acquire() {
  if (open_gate_) co_return;
  if (available_ > 0 && waiters_.empty()) {
    --available_;
    co_return;
  }
  auto timer =
      std::make_shared<asio::steady_timer>(executor_, asio::steady_timer::time_point::max());
  waiters_.push_back(timer);
  // release() hands its permit over by cancelling this timer: the wait's error is the signal.
  auto [ec] = co_await timer->async_wait(use_tuple);
  (void)ec;
}

void async_semaphore::release() {
  if (waiters_.empty()) {
    ++available_;
    return;
  }
  auto next = std::move(waiters_.front());
  waiters_.pop_front();
  next->cancel();
}

}  // namespace zefortd

namespace zefortd {

void async_semaphore::cancel_waiters() {
  open_gate_ = true;
  for (auto& w : waiters_) w->cancel();
  waiters_.clear();
}

}  // namespace zefortd
