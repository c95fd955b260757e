// See summary_json.hpp.
#include "app/summary_json.hpp"

#include <chrono>

#include "core/time_zone.hpp"

namespace zefortd {
namespace {

boost::json::value rfc3339(unix_ms ms) {
  if (ms <= 0) return nullptr;
  return boost::json::value(format_utc(std::chrono::floor<std::chrono::seconds>(
      std::chrono::sys_time<std::chrono::milliseconds>(std::chrono::milliseconds(ms)))));
}

boost::json::value or_null(const std::string& s) {
  if (s.empty()) return nullptr;
  return boost::json::value(s);
}

// The words of the text summary and `status`; a run stopped before its end was interrupted.
const char* outcome_word(const run_report& r) {
  return r.outcome == run_outcome::none ? "interrupted" : to_string(r.outcome);
}

}  // namespace

boost::json::object summary_json(const std::vector<run_report>& reports, int exit_status) {
  boost::json::array runs;
  boost::json::object counts;
  for (const auto& r : reports) {
    boost::json::array tasks;
    for (const auto& t : r.duplicate_tasks) tasks.emplace_back(t);
    const char* outcome = outcome_word(r);
    runs.push_back(boost::json::object{
        {"job", r.job},
        {"run", r.run},
        {"task", or_null(r.task)},
        {"outcome", outcome},
        {"backend_status", or_null(r.backend_status)},
        {"contracts", r.contracts},
        {"started", rfc3339(r.started)},
        {"ended", r.outcome == run_outcome::none ? boost::json::value(nullptr) : rfc3339(r.ended)},
        {"resumed", r.resumed},
        {"resubmits", r.resubmits},
        {"possible_duplicate", r.possible_duplicate},
        {"duplicate_reason", or_null(r.duplicate_reason)},
        {"duplicate_tasks", std::move(tasks)},
        {"detail", or_null(r.detail)},
    });
    auto& n = counts[outcome];
    n = (n.is_int64() ? n.as_int64() : 0) + 1;
  }
  return boost::json::object{
      {"runs", std::move(runs)}, {"counts", std::move(counts)}, {"exit_status", exit_status}};
}

}  // namespace zefortd
