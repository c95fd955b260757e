// See metrics.hpp. Format: https://prometheus.io/docs/instrumenting/exposition_formats/
#include "core/metrics.hpp"

#include <algorithm>
#include <cctype>
#include <cstdio>

namespace zefortd {
namespace {

std::string number(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.15g", v);
  return buf;
}

// Label values escape backslash, double quote and newline.
std::string escaped(std::string_view v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}

void family(std::string& out, std::string_view name, std::string_view type, std::string_view help) {
  out.append("# HELP ").append(name).append(" ").append(help).append("\n");
  out.append("# TYPE ").append(name).append(" ").append(type).append("\n");
}

void sample(std::string& out, std::string_view name, std::string_view labels, double value) {
  out.append(name);
  if (!labels.empty()) out.append("{").append(labels).append("}");
  out.append(" ").append(number(value)).append("\n");
}

std::string job_label(std::string_view job) {
  return "job=\"" + escaped(job) + "\"";
}

template <class Map>
void per_job(std::string& out, std::string_view name, std::string_view help, const Map& m) {
  family(out, name, "counter", help);
  for (const auto& [job, n] : m) sample(out, name, job_label(job), double(n));
}

void render_histogram(std::string& out, std::string_view name, std::string_view help,
                      const histogram& h) {
  family(out, name, "histogram", help);
  const std::string bucket = std::string(name) + "_bucket";
  std::uint64_t cumulative = 0;
  for (std::size_t i = 0; i < h.bounds().size(); ++i) {
    cumulative += h.counts()[i];
    sample(out, bucket, "le=\"" + number(h.bounds()[i]) + "\"", double(cumulative));
  }
  sample(out, bucket, "le=\"+Inf\"", double(h.count()));
  sample(out, std::string(name) + "_sum", "", h.sum());
  sample(out, std::string(name) + "_count", "", double(h.count()));
}

}  // namespace

histogram::histogram(std::vector<double> bounds)
    : bounds_(std::move(bounds)), counts_(bounds_.size(), 0) {}

void histogram::observe(double seconds) {
  ++count_;
  sum_ += seconds;
  const auto it = std::lower_bound(bounds_.begin(), bounds_.end(), seconds);
  if (it != bounds_.end()) ++counts_[std::size_t(it - bounds_.begin())];
}

std::string status_class(unsigned status) {
  if (status < 100 || status > 599) return "none";
  return std::to_string(status / 100) + "xx";
}

metrics_registry::metrics_registry(std::string version)
    : version_(std::move(version)),
      request_latency_({0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30}),
      task_duration_({1, 5, 15, 60, 300, 900, 3600, 4 * 3600, 86400}),
      dismiss_delay_({0.05, 0.1, 0.5, 1, 5, 15, 60, 300, 3600}) {}

void metrics_registry::bump(by_job& m, std::string_view job, std::uint64_t n) {
  auto it = m.find(job);
  if (it == m.end()) it = m.emplace(std::string(job), 0).first;
  it->second += n;
}

void metrics_registry::set_pacing(double rate_per_second, unsigned concurrency) {
  pacing_rate_ = rate_per_second;
  pacing_concurrency_ = concurrency;
}

void metrics_registry::on_event(const event& ev, steady_ms now) {
  const auto seconds = [](steady_ms ms) { return double(std::max<steady_ms>(ms, 0)) / 1000.0; };
  if (auto* e = std::get_if<events::pacing_changed>(&ev)) {
    set_pacing(e->rate_per_second, e->concurrency);
    return;
  }
  if (auto* e = std::get_if<events::submitted>(&ev)) {
    bump(submitted_, e->job);
    if (e->adopted) ++in_doubt_found_;
    started_[std::string(e->run)] = now;
  } else if (auto* e = std::get_if<events::finished>(&ev)) {
    const std::string run(e->run);
    if (auto it = started_.find(run); it != started_.end())
      task_duration_.observe(seconds(now - it->second));
    finished_[run] = now;
  } else if (auto* e = std::get_if<events::dismissed>(&ev)) {
    bump(dismissed_, e->job);
    if (auto it = finished_.find(std::string(e->run)); it != finished_.end())
      dismiss_delay_.observe(seconds(now - it->second));
  } else if (auto* e = std::get_if<events::slot_fired>(&ev)) {
    bump(slots_fired_, e->job);
  } else if (auto* e = std::get_if<events::slot_skipped>(&ev)) {
    bump(slots_skipped_, e->job);
  } else if (auto* e = std::get_if<events::slots_missed>(&ev)) {
    bump(slots_missed_, e->job, e->count);
  } else if (std::get_if<events::in_doubt>(&ev)) {
    ++in_doubt_;
  } else if (std::get_if<events::resubmitted>(&ev)) {
    ++in_doubt_resubmitted_;
  } else if (auto* e = std::get_if<events::retry>(&ev)) {
    ++retries_[std::string(e->what)];
  } else if (auto* e = std::get_if<events::request_done>(&ev)) {
    std::string method = to_string(e->method);
    for (char& c : method) c = char(std::tolower(static_cast<unsigned char>(c)));
    ++requests_[{method, status_class(e->status)}];
    request_latency_.observe(seconds(e->latency));
  } else if (auto* e = std::get_if<events::run_ended>(&ev)) {
    const run_report& r = e->report;
    switch (r.outcome) {
      case run_outcome::dismissed:
      case run_outcome::finished:
        bump(done_, r.job);
        last_success_[r.job] = double(r.ended) / 1000.0;
        break;
      case run_outcome::backend_failed:
      case run_outcome::rejected:
        bump(failed_, r.job);
        break;
      case run_outcome::lost:
        bump(lost_, r.job);
        break;
      case run_outcome::gave_up:
        bump(gave_up_, r.job);
        break;
      case run_outcome::none:
      case run_outcome::stalled:
        break;
    }
    started_.erase(r.run);
    finished_.erase(r.run);
  }
}

std::string metrics_registry::render() const {
  std::string out;
  family(out, "zefortd_build_info", "gauge", "The running zefortd's version; always 1.");
  sample(out, "zefortd_build_info", "version=\"" + escaped(version_) + "\"", 1);

  per_job(out, "zefortd_jobs_submitted_total", "Submissions the API answered with a task, by job.",
          submitted_);
  per_job(out, "zefortd_tasks_done_total", "Runs whose task the backend finished as done, by job.",
          done_);
  per_job(out, "zefortd_tasks_failed_total",
          "Runs that failed: a backend failure or a refused submission, by job.", failed_);
  per_job(out, "zefortd_tasks_lost_total", "Runs whose task disappeared from the API, by job.",
          lost_);
  per_job(out, "zefortd_tasks_gave_up_total",
          "Runs still pending after polling.give_up_after, by job.", gave_up_);
  per_job(out, "zefortd_tasks_dismissed_total", "Finished tasks dismissed, by job.", dismissed_);

  family(out, "zefortd_requests_total", "counter",
         "Requests to the API by method and status class (none: no HTTP answer).");
  for (const auto& [key, n] : requests_)
    sample(out, "zefortd_requests_total",
           "method=\"" + key.first + "\",code=\"" + key.second + "\"", double(n));
  family(out, "zefortd_retries_total", "counter", "Failed requests tried again, by request kind.");
  for (const auto& [what, n] : retries_)
    sample(out, "zefortd_retries_total", "what=\"" + escaped(what) + "\"", double(n));

  family(out, "zefortd_in_doubt_total", "counter",
         "Submissions whose fate was unknown, looked up in the task list.");
  sample(out, "zefortd_in_doubt_total", "", double(in_doubt_));
  family(out, "zefortd_in_doubt_found_total", "counter",
         "In-doubt submissions found in the task list (not sent again).");
  sample(out, "zefortd_in_doubt_found_total", "", double(in_doubt_found_));
  family(out, "zefortd_in_doubt_resubmitted_total", "counter",
         "In-doubt submissions not found in the task list and sent again.");
  sample(out, "zefortd_in_doubt_resubmitted_total", "", double(in_doubt_resubmitted_));

  per_job(out, "zefortd_schedule_slots_fired_total", "Schedule slots that started a run, by job.",
          slots_fired_);
  per_job(out, "zefortd_schedule_slots_skipped_total",
          "Schedule slots skipped because the previous run was open (overlap: skip), by job.",
          slots_skipped_);
  per_job(out, "zefortd_schedule_slots_missed_total",
          "Schedule slots missed while the daemon was down (older than catch_up), by job.",
          slots_missed_);

  family(out, "zefortd_open_tasks", "gauge",
         "Runs whose task is open or being submitted, those resumed from the journal included.");
  sample(out, "zefortd_open_tasks", "", double(open_tasks_));
  family(out, "zefortd_pacing_rate_per_second", "gauge",
         "Requests per second the engine allows itself now (0: unlimited).");
  sample(out, "zefortd_pacing_rate_per_second", "", pacing_rate_);
  family(out, "zefortd_pacing_concurrency", "gauge", "Requests the engine allows in flight now.");
  sample(out, "zefortd_pacing_concurrency", "", double(pacing_concurrency_));
  family(out, "zefortd_last_success_timestamp_seconds", "gauge",
         "When a run of the job last ended done, as a Unix time.");
  for (const auto& [job, t] : last_success_)
    sample(out, "zefortd_last_success_timestamp_seconds", job_label(job), t);

  render_histogram(out, "zefortd_request_duration_seconds",
                   "Time from sending a request to its answer (or failure).", request_latency_);
  render_histogram(out, "zefortd_task_duration_seconds",
                   "Time from a task's submission to the backend finishing it.", task_duration_);
  render_histogram(out, "zefortd_dismiss_delay_seconds",
                   "Time from a task finishing to its dismissal.", dismiss_delay_);
  return out;
}

}  // namespace zefortd
