// See report.hpp.
#include "app/report.hpp"

#include <algorithm>
#include <boost/json.hpp>
#include <ctime>
#include <iomanip>
#include <map>

#include "core/duration.hpp"
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

void print_status(std::ostream& out, const std::filesystem::path& journal,
                  const journal_state& state, bool json) {
  std::vector<const run_state*> open = state.open_runs();
  std::vector<const run_state*> recent;
  for (const auto& [id, s] : state.runs())
    if (!s.open()) recent.push_back(&s);
  std::sort(recent.begin(), recent.end(),
            [](const run_state* a, const run_state* b) { return a->ended_at > b->ended_at; });
  if (recent.size() > 20) recent.resize(20);

  if (json) {
    namespace js = boost::json;
    auto to_json = [](const run_state* s) {
      js::object o;
      o["run"] = s->intent.run;
      o["job"] = s->intent.job;
      o["task"] = s->task.empty() ? js::value(nullptr) : js::value(s->task);
      o["phase"] = to_string(s->phase);
      o["outcome"] = s->outcome();  // the word `run` prints
      o["backend_status"] = s->backend_status;
      o["contracts"] = s->contracts;
      o["submitted_at"] = iso_time(s->intent.at);
      o["ended_at"] = s->ended_at ? js::value(iso_time(s->ended_at)) : js::value(nullptr);
      if (!s->failure.empty()) o["error"] = s->failure;
      return o;
    };
    js::object doc;
    doc["journal"] = journal.string();
    js::array o1, o2, batches;
    for (const auto* s : open) o1.push_back(to_json(s));
    for (const auto* s : recent) o2.push_back(to_json(s));
    for (const auto* b : state.open_batches()) batches.push_back(js::value(b->record.batch));
    doc["open"] = std::move(o1);
    doc["recent"] = std::move(o2);
    doc["open_batches"] = std::move(batches);
    out << js::serialize(doc) << "\n";
    return;
  }
  out << "journal " << journal.string() << "\n";
  out << open.size() << " open " << (open.size() == 1 ? "run" : "runs") << "\n";
  for (const auto* s : open)
    out << "  " << s->intent.job << "  " << or_dash(s->task) << "  " << to_string(s->phase)
        << "  since " << iso_time(s->intent.at) << "\n";
  out << "recent runs\n";
  if (recent.empty()) out << "  (none)\n";
  for (const auto* s : recent) {
    out << "  " << s->intent.job << "  " << or_dash(s->task) << "  " << s->outcome();
    if (!s->backend_status.empty()) out << " (" << s->backend_status << ")";
    out << "  " << s->contracts << " contracts  ended " << iso_time(s->ended_at);
    if (!s->failure.empty()) out << "  " << s->failure;
    out << "\n";
  }
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
