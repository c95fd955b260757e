// A refused API key (401, 403): every request would be refused the same way, so the engine
// stops sending at once instead of failing each run on its own. Under `run` the batch stops,
// its runs stay open in the journal, and the exit status says the key was refused. Under
// `serve` the state is kept: every request waits in the queue, and one probe goes out after a
// minute, then after doubling delays up to ten, until the key is accepted again (an operator
// fixed it and restarted, or an API outage of the auth backend passed). See engine.hpp.
#include <algorithm>

#include "core/api_answer.hpp"
#include "core/engine.hpp"

namespace zefortd {

bool engine::may_send(instant now) const {
  return !key_paused_ || (key_probe_ == 0 && now.steady >= key_probe_at_);
}

bool engine::screen_key(std::uint64_t request, request_info& info,
                        const transport_result& result, instant now) {
  if (!key_refused(result)) {
    if (key_paused_) {
      key_paused_ = false;
      key_probe_ = 0;
      emit(events::key_accepted{});
    }
    return false;
  }
  const std::string what = std::string(to_string(info.method)) + " " + info.target;
  const auto failure = failure_of(info.method, result, what, wall(now));
  const std::string message = clean(failure ? failure->message : what);

  if (mode_ != mode::serve) {
    requests_.erase(request);
    if (!key_stopped_) {
      key_stopped_ = true;
      emit(events::key_refused{message, 0});
      stop(now);
    }
    return true;
  }

  // serve: the request waits again, with everything else, for a key that works.
  const bool probe = request == key_probe_;
  if (probe) key_probe_ = 0;
  info.sent = false;  // a submission keeps its slot: it is still in flight as far as runs go
  queue_.push(info.cls, request);
  if (!key_paused_ || probe) {
    key_delay_ = key_paused_ ? std::min(2 * key_delay_, key_delay_max) : key_delay_first;
    key_paused_ = true;
    key_probe_at_ = now.steady + key_delay_;
    emit(events::key_refused{message, key_delay_});
  }
  return true;
}

}  // namespace zefortd
