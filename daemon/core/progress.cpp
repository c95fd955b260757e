// See progress.hpp.
#include "core/progress.hpp"

#include <cstdio>

namespace zefortd {

std::string short_duration(steady_ms ms) {
  const long long s = ms < 0 ? 0 : ms / 1000;
  char buf[32];
  if (s >= 3600)
    std::snprintf(buf, sizeof buf, "%lldh%02lldm", s / 3600, s / 60 % 60);
  else if (s >= 60)
    std::snprintf(buf, sizeof buf, "%lldm%02llds", s / 60, s % 60);
  else
    std::snprintf(buf, sizeof buf, "%llds", s);
  return buf;
}

progress::progress(std::size_t jobs, steady_ms start) : jobs_(jobs), start_(start) {}

bool progress::on_event(const event& ev) {
  if (auto* e = std::get_if<events::submitted>(&ev)) {
    submitted_runs_.insert(std::string(e->run));
  } else if (std::get_if<events::dismissed>(&ev)) {
    ++dismissed_;
  } else if (std::get_if<events::retry>(&ev)) {
    ++retries_;
  } else if (std::get_if<events::request_done>(&ev)) {
    ++requests_;
  } else if (auto* e = std::get_if<events::run_ended>(&ev)) {
    const run_outcome o = e->report.outcome;
    if (o == run_outcome::none) return false;
    ++ended_;
    if (o == run_outcome::dismissed || o == run_outcome::finished)
      ++done_;
    else
      ++failed_;
    // A resumed run may end without a submitted event in this process: count it submitted.
    submitted_runs_.insert(e->report.run);
  } else {
    return false;
  }
  return true;
}

bool progress::due(steady_ms now) const {
  return now - last_drawn_ >= progress_redraw_every;
}

std::string progress::peek(steady_ms now) const {
  const steady_ms elapsed = now - start_;
  const std::size_t submitted = submitted_runs_.size();
  const std::size_t in_flight = submitted > ended_ ? submitted - ended_ : 0;
  // Times first: a narrow terminal cuts the end of the line, and the time left matters most.
  std::string s = short_duration(elapsed);
  // The time left at the pace runs have ended so far; unknown until the first one ends.
  if (ended_ >= jobs_)
    s += ", finishing";
  else if (ended_ > 0)
    s += ", ~" + short_duration(elapsed * steady_ms(jobs_ - ended_) / steady_ms(ended_)) + " left";
  else
    s += ", time left unknown";
  s += " | " + std::to_string(submitted) + "/" + std::to_string(jobs_) + " submitted, " +
       std::to_string(in_flight) + " in flight, " + std::to_string(done_) + " done, " +
       std::to_string(failed_) + " failed, " + std::to_string(dismissed_) + " dismissed | " +
       std::to_string(requests_) + (requests_ == 1 ? " request, " : " requests, ") +
       std::to_string(retries_) + (retries_ == 1 ? " retry" : " retries");
  return s;
}

std::string progress::line(steady_ms now) {
  last_drawn_ = now;
  return peek(now);
}

}  // namespace zefortd
