// `zefortd run --json`: the summary as one JSON object, for scripts.
#pragma once

#include <boost/json/object.hpp>
#include <vector>

#include "core/run_report.hpp"

namespace zefortd {

// {"runs": [{job, run, task, outcome, backend_status, contracts, started, ended,
//   possible_duplicate, duplicate_reason, duplicate_tasks, resumed, detail}],
//  "counts": {outcome: n}, "exit_status": N}. Times are RFC 3339 UTC; absent values are null.
boost::json::object summary_json(const std::vector<run_report>& reports, int exit_status);

}  // namespace zefortd
