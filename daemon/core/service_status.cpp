// See service_status.hpp.
#include "core/service_status.hpp"

#include <type_traits>

#include "core/redact.hpp"
#include "core/text_table.hpp"

namespace zefortd {

namespace {

constexpr std::int64_t ms_per_day = 86'400'000;

std::int64_t day_of(unix_ms t) { return t >= 0 ? t / ms_per_day : (t - ms_per_day + 1) / ms_per_day; }

bool failed(run_outcome o) {
  switch (o) {
    case run_outcome::dismissed:
    case run_outcome::finished:
    case run_outcome::none:
      return false;
    default:
      return true;
  }
}

// "07:41:02Z": the time of day is enough beside "today"; older errors carry their date.
std::string when(unix_ms at, unix_ms now) {
  const std::string full = format_utc(sys_seconds(std::chrono::seconds(at / 1000)));
  return day_of(at) == day_of(now) ? full.substr(11) : full;
}

}  // namespace

void service_status::on_event(const event& e, unix_ms now) {
  std::visit(
      [&](const auto& ev) {
        using E = std::decay_t<decltype(ev)>;
        if constexpr (std::is_same_v<E, events::run_ended>) {
          count_ended(ev.report);
          if (failed(ev.report.outcome))
            note_error(ev.report.job, to_string(ev.report.outcome), ev.report.detail, now);
        } else if constexpr (std::is_same_v<E, events::retry>) {
          note_error(ev.job, ev.what, ev.message, now);
        } else if constexpr (std::is_same_v<E, events::key_refused>) {
          key_refused_ = ev.message.empty() ? std::string("refused") : std::string(ev.message);
          note_error({}, "key", key_refused_, now);
        } else if constexpr (std::is_same_v<E, events::key_accepted>) {
          key_refused_.clear();
        }
      },
      e);
}

void service_status::count_ended(const run_report& r) {
  if (r.outcome == run_outcome::none) return;  // interrupted: it resumes, it has not finished
  const std::int64_t day = day_of(r.ended);
  if (day < day_) return;  // a run that ended yesterday, reported late
  if (day > day_) {
    day_ = day;
    finished_today_ = failed_today_ = 0;
  }
  ++finished_today_;
  if (failed(r.outcome)) ++failed_today_;
}

void service_status::note_error(std::string_view job, std::string_view what,
                                std::string_view message, unix_ms now) {
  std::string e;
  if (!job.empty()) (e += job) += ": ";
  if (!what.empty()) (e += what) += ": ";
  e += message;
  // Cleaned already (core/redact.hpp): valid UTF-8, no control characters.
  last_error_ = cut_text(std::move(e), max_error_bytes);
  last_error_at_ = now;
}

std::string service_status::line(const service_facts& f, unix_ms now) const {
  std::string s;
  // A refused key stops everything: it comes first, where a glance finds it.
  if (!key_refused_.empty()) s += "API key refused, waiting for it to be accepted · ";
  s += count_of(f.open_tasks, "open task", "open tasks");
  const std::uint64_t today = day_of(now) == day_ ? finished_today_ : 0;
  const std::uint64_t failed_today = day_of(now) == day_ ? failed_today_ : 0;
  s += " · " + count_of(today, "run", "runs") + " finished today";
  if (failed_today > 0) s += ", " + std::to_string(failed_today) + " failed";
  if (f.next_fire)
    s += " · next fire " + format_utc(*f.next_fire);
  else if (f.jobs > 0)
    s += " · no schedule";
  if (!last_error_.empty()) s += " · last error " + when(last_error_at_, now) + " " + last_error_;
  return s;
}

std::optional<std::string> service_status::due(std::string line, steady_ms now) {
  if (line == last_sent_) {
    pending_ = false;
    return std::nullopt;
  }
  if (now < last_sent_at_ + min_interval) {
    pending_ = true;
    return std::nullopt;
  }
  pending_ = false;
  last_sent_at_ = now;
  last_sent_ = line;
  return line;
}

}  // namespace zefortd
