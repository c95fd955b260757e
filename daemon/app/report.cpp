// See report.hpp.
#include "app/report.hpp"

#include <algorithm>
#include <boost/json.hpp>
#include <ctime>
#include <iomanip>
#include <map>

#include "core/duration.hpp"
#include "core/status_view.hpp"
#include "core/text_table.hpp"
#include "core/time_zone.hpp"

namespace zefortd {
namespace {

std::string iso_time(unix_ms ms) {
  if (ms <= 0) return "-";
  return format_utc(std::chrono::floor<std::chrono::seconds>(
      std::chrono::sys_time<std::chrono::milliseconds>(std::chrono::milliseconds(ms))));
}

std::string or_dash(const std::string& s) {
  return s.empty() ? "-" : s;
}

std::string status_of(const run_report& r) {
  if (r.outcome == run_outcome::none) return "interrupted";
  if (!r.backend_status.empty() && r.outcome != run_outcome::gave_up) return r.backend_status;
  return to_string(r.outcome);
}

}  // namespace

void print_summary(std::ostream& out, const std::vector<run_report>& reports) {
  std::size_t job_w = 3, task_w = 4;
  for (const auto& r : reports) {
    job_w = std::max(job_w, r.job.size());
    task_w = std::max(task_w, r.task.size());
  }
  out << std::left << std::setw(job_w + 2) << "JOB" << std::setw(task_w + 2) << "TASK"
      << std::setw(13) << "STATUS" << std::right << std::setw(9) << "CONTRACTS"
      << "  " << std::left << "DURATION\n";
  std::map<std::string, int> counts;
  for (const auto& r : reports) {
    std::string status = status_of(r);
    ++counts[r.outcome == run_outcome::dismissed ? "done" : status];
    out << std::left << std::setw(job_w + 2) << r.job << std::setw(task_w + 2) << or_dash(r.task)
        << std::setw(13) << status << std::right << std::setw(9) << r.contracts << "  " << std::left
        << format_duration(std::chrono::milliseconds(std::max<unix_ms>(0, r.ended - r.started)));
    if (r.resumed) out << "  (resumed)";
    if (r.possible_duplicate) out << "  (possibly applied twice: " << r.duplicate_reason << ")";
    if (r.outcome != run_outcome::dismissed && r.outcome != run_outcome::finished &&
        !r.detail.empty())
      out << "  " << r.detail;
    out << "\n";
  }
  out << reports.size() << (reports.size() == 1 ? " run" : " runs");
  const char* sep = ": ";
  for (const auto& [status, n] : counts) {
    out << sep << n << " " << status;
    sep = ", ";
  }
  out << "\n";
}

namespace {

// "4m12s": whole seconds, for ages and waits a person reads.
std::string seconds_of(std::chrono::milliseconds d) {
  return format_duration(std::chrono::floor<std::chrono::seconds>(std::max(d, {})));
}

boost::json::value json_time(unix_ms ms) {
  return ms > 0 ? boost::json::value(iso_time(ms)) : boost::json::value(nullptr);
}

boost::json::value json_run(const run_state& s) {
  namespace js = boost::json;
  js::object o;
  o["run"] = s.intent.run;
  o["job"] = s.intent.job;
  o["task"] = s.task.empty() ? js::value(nullptr) : js::value(s.task);
  o["phase"] = to_string(s.phase);
  o["outcome"] = s.outcome();  // the word `run` prints
  o["backend_status"] = s.backend_status;
  o["contracts"] = s.contracts;
  o["submitted_at"] = iso_time(s.intent.at);
  o["ended_at"] = json_time(s.ended_at);
  o["possible_duplicate"] = duplicate_of(s).possible;
  if (!s.failure.empty()) o["error"] = s.failure;
  return o;
}

void print_status_json(std::ostream& out, const std::filesystem::path& journal,
                       const journal_state& state, const status_view& v,
                       const std::vector<const run_state*>& recent) {
  namespace js = boost::json;
  js::object doc;
  doc["journal"] = journal.string();
  js::array open;
  for (const auto& row : v.open) {
    js::object o = json_run(*state.find_run(row.run)).as_object();
    o["age_seconds"] = std::chrono::floor<std::chrono::seconds>(row.age).count();
    o["polls_estimate"] = row.polls ? js::value(*row.polls) : js::value(nullptr);
    o["next_poll_estimate"] = row.next_poll ? json_time(*row.next_poll) : js::value(nullptr);
    open.push_back(std::move(o));
  }
  js::array recent_json, last, duplicates, schedules, batches;
  for (const auto* s : recent) recent_json.push_back(json_run(*s));
  for (const auto& row : v.last_runs) last.push_back(json_run(*state.find_run(row.run)));
  for (const auto& d : v.duplicates) {
    js::array tasks;
    for (const auto& t : d.tasks) tasks.emplace_back(t);
    duplicates.push_back(js::object{
        {"job", d.job}, {"run", d.run}, {"reason", d.reason}, {"tasks", std::move(tasks)}});
  }
  for (const auto& s : v.schedules) {
    js::value next = nullptr;
    if (s.next_fire) next = format_utc(*s.next_fire);
    schedules.push_back(js::object{{"job", s.job},
                                   {"schedule", s.schedule},
                                   {"timezone", s.timezone},
                                   {"next_fire", std::move(next)},
                                   {"fires_at_start", s.next_fire_at_start},
                                   {"missed", s.missed}});
  }
  for (const auto& b : v.open_batches) batches.emplace_back(b);
  doc["open"] = std::move(open);
  doc["recent"] = std::move(recent_json);
  doc["last_runs"] = std::move(last);
  doc["possible_duplicates"] = std::move(duplicates);
  doc["schedules"] = std::move(schedules);
  doc["open_batches"] = std::move(batches);
  out << js::serialize(doc) << "\n";
}

void print_status_text(std::ostream& out, const std::filesystem::path& journal,
                       const status_view& v, unix_ms now) {
  out << "journal " << journal.string() << "\n\n";
  out << count_of(v.open.size(), "open task", "open tasks") << "\n";
  if (!v.open.empty()) {
    text_table t({"JOB", "TASK", "STATE", "AGE", "POLLS", "NEXT POLL"},
                 {false, false, false, true, true, false});
    for (const auto& row : v.open) {
      std::string next = "-";
      if (row.next_poll)
        next = "~" + iso_time(*row.next_poll) + " (in " +
               seconds_of(std::chrono::milliseconds(*row.next_poll - now)) + ")";
      t.add({row.job + (row.possible_duplicate ? " *" : ""), or_dash(row.task), row.outcome,
             seconds_of(row.age), row.polls ? "~" + std::to_string(*row.polls) : "-", next});
    }
    out << t.render();
  }
  out << "\nlast runs";
  if (v.last_runs.empty()) out << ": none";
  out << "\n";
  if (!v.last_runs.empty()) {
    text_table t({"JOB", "OUTCOME", "ENDED", "CONTRACTS", "TASK", "DETAIL"},
                 {false, false, false, true, false, false});
    for (const auto& row : v.last_runs)
      t.add({row.job + (row.possible_duplicate ? " *" : ""), row.outcome, iso_time(row.ended),
             std::to_string(row.contracts), or_dash(row.task), row.detail});
    out << t.render();
  }
  out << "\n" << count_of(v.duplicates.size(), "possible duplicate", "possible duplicates");
  out << (v.duplicates.empty() ? "" : " (marked * above)") << "\n";
  if (!v.duplicates.empty()) {
    text_table t({"JOB", "RUN", "TASKS", "WHY"});
    for (const auto& d : v.duplicates) {
      std::string tasks;
      for (const auto& task : d.tasks) tasks += (tasks.empty() ? "" : ",") + task;
      t.add({d.job, d.run, or_dash(tasks), d.reason});
    }
    out << t.render();
  }
  out << "\n" << count_of(v.schedules.size(), "schedule", "schedules") << "\n";
  if (!v.schedules.empty()) {
    text_table t({"JOB", "SCHEDULE", "TZ", "NEXT FIRE", "MISSED"},
                 {false, false, false, false, true});
    for (const auto& s : v.schedules) {
      std::string next = s.next_fire_at_start ? "when serve starts"
                         : s.next_fire        ? format_utc(*s.next_fire)
                                              : "never";
      t.add({s.job, s.schedule, s.timezone, next, std::to_string(s.missed)});
    }
    out << t.render();
  }
  if (!v.open_batches.empty()) {
    out << "\n" << count_of(v.open_batches.size(), "open batch", "open batches") << ":";
    for (const auto& b : v.open_batches) out << " " << b;
    out << " (run the same `zefortd run` again to finish)\n";
  }
}

}  // namespace

void print_status(std::ostream& out, const std::filesystem::path& journal,
                  const journal_state& state, const config& cfg,
                  std::chrono::system_clock::time_point now, bool json) {
  const status_view v = make_status_view(state, cfg, now);
  if (json) {
    std::vector<const run_state*> recent;
    for (const auto& [id, s] : state.runs())
      if (!s.open()) recent.push_back(&s);
    std::sort(recent.begin(), recent.end(),
              [](const run_state* a, const run_state* b) { return a->ended_at > b->ended_at; });
    if (recent.size() > 20) recent.resize(20);
    print_status_json(out, journal, state, v, recent);
    return;
  }
  print_status_text(
      out, journal, v,
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count());
}

namespace {

// "seq 13 (bytes 700-760)": what repair could not keep, in the seqs of the file as found.
std::string describe_lost(const lost_range& l) {
  std::string out;
  if (!l.reason.empty()) return "seq " + std::to_string(l.first_seq) + ", left out: " + l.reason;
  if (l.first_seq == 0) {
    out = "no whole record known";
  } else if (l.first_seq == l.last_seq) {
    out = "seq " + std::to_string(l.first_seq);
  } else {
    out = "seqs " + std::to_string(l.first_seq) + "-" + std::to_string(l.last_seq);
  }
  return out + " (bytes " + std::to_string(l.from_byte) + "-" + std::to_string(l.to_byte) + ")";
}

}  // namespace

void print_journal_report(std::ostream& out, const std::filesystem::path& journal,
                          const journal_check_report& r) {
  out << "journal " << journal.string() << ": " << r.records << " records, " << r.bytes
      << " bytes\n";
  if (r.repaired) {
    out << "repaired: kept " << r.records << " records";
    if (r.after_damage > 0)
      out << ", " << r.after_damage << " of them after the damage (renumbered to follow on)";
    else
      out << " (up to byte " << r.good_end << ")";
    out << "; the file as found is at " << r.copy.string() << "\n";
    for (const lost_range& l : r.lost) out << "lost: " << describe_lost(l) << "\n";
    return;
  }
  if (r.sound) {
    out << "sound\n";
    return;
  }
  switch (r.end) {
    case scan_end::torn_tail:
      out << "torn last record at byte " << r.bad_offset << " (" << r.problem
          << "); zefortd cuts it on its next start, keeping a copy\n";
      break;
    default:
      out << "damaged at byte " << r.bad_offset << ": " << r.problem
          << "\nrun `zefortd journal repair` to keep the " << r.records << " records before it";
      if (r.after_damage > 0) out << " and the " << r.after_damage << " intact ones after it";
      out << " (the file as found is kept aside)\n";
      for (const lost_range& l : r.lost) out << "it would lose " << describe_lost(l) << "\n";
  }
}

}  // namespace zefortd
