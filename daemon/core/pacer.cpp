// AIMD pacing and the retry budget; see pacer.hpp.
#include "core/pacer.hpp"

#include <algorithm>
#include <bit>
#include <cmath>

namespace zefortd {
namespace {

// Floor division: steady time in tests may start anywhere.
std::int64_t second_of(steady_ms t) {
  return t >= 0 ? t / 1000 : -((-t + 999) / 1000);
}

}  // namespace

pacer::pacer(unsigned connections, double rate_limit)
    : connections_(std::max(1u, connections)),
      ceiling_(rate_limit > 0 && std::isfinite(rate_limit) ? rate_limit : 0),
      rate_(ceiling_),
      window_(connections_),
      step_(std::max(1.0, ceiling_ / 10)) {}

unsigned pacer::window() const {
  const double w = std::floor(window_);
  return static_cast<unsigned>(std::clamp(w, 1.0, static_cast<double>(connections_)));
}

bool pacer::on_answer(load_signal signal, steady_ms sent_at, steady_ms now) {
  if (signal == load_signal::neutral) return false;
  if (sent_at <= decreased_at_) return false;
  static_assert(recent_answers == 64, "recent_ is a 64-bit ring");
  recent_ = (recent_ << 1) | (signal == load_signal::throttled ? 1u : 0u);
  if (signal == load_signal::throttled &&
      static_cast<unsigned>(std::popcount(recent_)) >= throttle_share) {
    // Without a ceiling the pace to halve is the one we were keeping: what was sent lately.
    const double base = rate_ > 0 ? rate_ : std::max(min_rate, sent_in_last_second(now));
    rate_ = std::max(min_rate, base * decrease_factor);
    window_ = std::max(1.0, window_ * decrease_factor);
    decreased_at_ = now;
    // The throttled answers counted so far have had their say.
    recent_ = 0;
    // Back to the highest pace seen in about ten seconds of good answers, whatever the scale:
    // a pace cut twice in a row does not also grow back twice as slowly.
    peak_ = std::max(peak_, base);
    step_ = std::max(1.0, peak_ / 10);
    if (ceiling_ == 0) released_above_ = 2 * base;
    return true;
  }
  if (signal == load_signal::throttled) return false;  // not a share that says slow down
  if (rate_ == 0 && window() == connections_) return false;  // nothing to grow back to
  const double old_rate = rate_;
  const unsigned old_window = window();
  if (rate_ > 0) {
    // One answer in `rate_` per second: about `step_` more per second of good answers.
    rate_ += step_ / std::max(rate_, 1.0);
    if (ceiling_ > 0)
      rate_ = std::min(rate_, ceiling_);
    else if (rate_ >= released_above_)
      rate_ = 0;  // well past where the server complained: it no longer limits us
  }
  window_ = std::min(static_cast<double>(connections_), window_ + 1 / window_);
  return std::floor(rate_) != std::floor(old_rate) || (rate_ == 0) != (old_rate == 0) ||
         window() != old_window;
}

void pacer::on_sent(bool retry, steady_ms now) {
  const auto s = second_of(now);
  auto& b = ring_[static_cast<std::size_t>(((s % buckets) + buckets) % buckets)];
  if (b.second != s) b = bucket{s, 0, 0};
  ++b.sent;
  if (retry) ++b.retries;
}

void pacer::totals(steady_ms now, std::uint64_t& sent, std::uint64_t& retries) const {
  const auto s = second_of(now);
  sent = retries = 0;
  for (const auto& b : ring_) {
    if (b.second > s - static_cast<std::int64_t>(buckets) && b.second <= s) {
      sent += b.sent;
      retries += b.retries;
    }
  }
}

bool pacer::retry_allowed(steady_ms now) const {
  std::uint64_t sent = 0, retries = 0;
  totals(now, sent, retries);
  return static_cast<double>(retries) < retry_reserve + retry_ratio * static_cast<double>(sent);
}

steady_ms pacer::budget_changes_at(steady_ms now) const {
  return (second_of(now) + 1) * 1000;
}

double pacer::sent_in_last_second(steady_ms now) const {
  const auto s = second_of(now);
  double n = 0;
  for (const auto& b : ring_)
    if (b.second == s || b.second == s - 1) n += b.sent;
  // The current second is partly over: the two buckets span 1 to 2 seconds.
  const double span = 1.0 + static_cast<double>(now - s * 1000) / 1000.0;
  return n / span;
}

}  // namespace zefortd
