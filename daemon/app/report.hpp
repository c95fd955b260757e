// What the commands print: the summary of a `run`, the `status` view of a journal (text or
// JSON), and a `journal check|repair` report.
#pragma once

#include <chrono>
#include <filesystem>
#include <ostream>
#include <vector>

#include "core/config.hpp"
#include "core/run_report.hpp"
#include "core/journal_state.hpp"
#include "storage/journal_file.hpp"

namespace zefortd {

void print_summary(std::ostream& out, const std::vector<run_report>& reports);
// `status`: open tasks, last runs per job, possible duplicates, schedules (core/status_view).
void print_status(std::ostream& out, const std::filesystem::path& journal,
                  const journal_state& state, const config& cfg,
                  std::chrono::system_clock::time_point now, bool json);
void print_journal_report(std::ostream& out, const std::filesystem::path& journal,
                          const journal_check_report& report);

}  // namespace zefortd
