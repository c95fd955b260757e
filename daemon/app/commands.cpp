// The commands: configuration, key and journal are opened here, then the orchestrator runs.
#include "app/commands.hpp"

#include <boost/json.hpp>
#include <iostream>

#include "app/journal.hpp"
#include "app/orchestrator.hpp"
#include "app/progress_line.hpp"
#include "app/report.hpp"
#include "app/summary_json.hpp"
#include "core/api_key.hpp"
#include "core/config.hpp"
#include "core/duration.hpp"
#include "core/journal_records.hpp"
#include "core/log.hpp"
#include "core/payload_template.hpp"
#include "core/schedule.hpp"
#include "core/time_zone.hpp"
#include "core/yaml_reader.hpp"
#include "net/tls_context.hpp"
#include "storage/journal_file.hpp"

namespace zefortd {
namespace {

std::filesystem::path config_path(const command_line& cl) {
  return cl.config_file.empty() ? default_config_path() : cl.config_file;
}

// The journal's directory must exist and the journal, if it exists, be a regular file: what
// `run` would otherwise find out only after the key lookup, with exit 5.
std::filesystem::path checked_journal_path(const config& cfg) {
  try {
    return resolve_journal_path(cfg.state.journal);
  } catch (const journal_error& e) {
    throw config_error(cfg.state.where, std::string("state.journal: ") + e.what());
  }
}

// The next `count` fire times of a schedule if `serve` started now: cron from now on; @every
// fires at start, then each interval (validate does not read the journal).
std::vector<sys_seconds> upcoming_fires(const job_config& j,
                                        std::chrono::system_clock::time_point now,
                                        std::size_t count) {
  std::vector<sys_seconds> out;
  if (!j.parsed_schedule) return out;
  std::optional<sys_seconds> next;
  if (j.parsed_schedule->is_every())
    next = std::chrono::floor<std::chrono::seconds>(now);
  else
    next = next_fire(*j.parsed_schedule, now, j.timezone);
  while (next && out.size() < count) {
    out.push_back(*next);
    next = next_fire(*j.parsed_schedule, *next, j.timezone);
  }
  return out;
}

std::string_view timezone_name(job_timezone tz) {
  return tz == job_timezone::local ? "local" : "utc";
}

// validate --json for a file that does not load: {"errors": [{file, line, column, message}]},
// line and column null when unknown, message without the location prefix.
void print_errors_json(const config_error& e) {
  const source_position& where = e.where();
  std::string message = e.what();
  const std::string prefix = format_location(where) + ": ";
  if (!where.file.empty() && message.starts_with(prefix)) message.erase(0, prefix.size());
  boost::json::object error{
      {"file", where.file.string()}, {"line", nullptr}, {"column", nullptr}, {"message", message}};
  if (where.line > 0) error["line"] = where.line;
  if (where.column > 0) error["column"] = where.column;
  std::cout << boost::json::serialize(boost::json::object{{"errors", boost::json::array{error}}})
            << "\n";
}

// validate --json for a valid file: {"jobs": [{name, endpoint, schedule, timezone, next}]},
// next holding five RFC 3339 UTC times (empty, and schedule null, for an unscheduled job).
void print_jobs_json(const config& cfg, std::chrono::system_clock::time_point now) {
  boost::json::array jobs;
  for (const auto& j : cfg.jobs) {
    boost::json::array next;
    for (const sys_seconds& t : upcoming_fires(j, now, 5)) next.emplace_back(format_utc(t));
    boost::json::value schedule = nullptr;
    if (j.schedule) schedule = *j.schedule;
    jobs.push_back(boost::json::object{{"name", j.name},
                                       {"endpoint", j.endpoint},
                                       {"schedule", schedule},
                                       {"timezone", timezone_name(j.timezone)},
                                       {"next", std::move(next)}});
  }
  std::cout << boost::json::serialize(boost::json::object{{"jobs", std::move(jobs)}}) << "\n";
}

int cmd_validate(const command_line& cl) {
  config cfg;
  std::filesystem::path journal;
  try {
    cfg = load_config(config_path(cl));
    (void)make_tls_client_context(cfg.api.ca_file);  // a CA file that does not load is invalid
    journal = checked_journal_path(cfg);
  } catch (const config_error& e) {
    if (!cl.json) throw;
    print_errors_json(e);
    return exit_code::usage;
  }
  const auto now = std::chrono::system_clock::now();
  if (cl.json) {
    print_jobs_json(cfg, now);
    return exit_code::ok;
  }
  std::cout << "configuration " << cfg.file.string() << " is valid\n"
            << "  api: " << cfg.api.base_url.buffer() << ", " << cfg.api.connections
            << " connections, timeout " << format_duration(cfg.api.timeout) << "\n"
            << "  journal: " << cfg.state.journal.string();
  if (journal != cfg.state.journal) std::cout << " (" << journal.string() << ")";
  std::cout << "\n";
  for (const auto& f : cfg.included_files) std::cout << "  included: " << f.string() << "\n";
  std::cout << "  " << cfg.jobs.size() << (cfg.jobs.size() == 1 ? " job" : " jobs") << ":\n";
  for (const auto& j : cfg.jobs) {
    std::cout << "    " << j.name << ": POST " << j.endpoint;
    if (j.schedule)
      std::cout << ", schedule \"" << *j.schedule << "\" (" << timezone_name(j.timezone) << ")";
    std::cout << (j.dismiss ? "" : ", not dismissed") << ", revision " << j.revision() << "\n";
    const auto fires = upcoming_fires(j, now, 3);
    for (std::size_t i = 0; i < fires.size(); ++i) {
      std::cout << (i == 0 ? "      next: " : "            ") << format_utc(fires[i]);
      if (j.timezone == job_timezone::local)
        std::cout << " (local " << format_in_zone(fires[i], job_timezone::local) << ")";
      std::cout << "\n";
    }
    if (j.parsed_schedule && fires.empty()) std::cout << "      next: none\n";
  }
  return exit_code::ok;
}

// Prints what `run` would send: URL and resolved body. The key is not part of either.
int cmd_dry_run(const config& cfg, const std::vector<const job_config*>& jobs) {
  auto now = std::chrono::system_clock::now();
  for (const job_config* j : jobs) {
    auto body = resolve_templates(j->payload, now, j->timezone);
    std::cout << j->name << ": POST " << cfg.api.base_url.buffer() << j->endpoint << "\n  "
              << boost::json::serialize(body) << "\n";
  }
  return exit_code::ok;
}

secret api_key_or_throw(const config& cfg) {
  std::vector<std::string> warnings;
  auto key = find_api_key(cfg.api, key_lookup_env{}, warnings);
  for (const auto& w : warnings) log_warning(w);
  if (!key) throw config_error({cfg.file, 0, 0}, key.error().message());
  return std::move(*key);
}

// What `run` and `serve` can refuse without the journal is refused before it is created or
// locked: the key, and a CA file that does not load. Returns the key.
secret checked_before_the_journal(const config& cfg) {
  secret key = api_key_or_throw(cfg);
  (void)make_tls_client_context(cfg.api.ca_file);  // the orchestrator loads it again: cheap
  return key;
}

journal_file open_journal(const config& cfg) {
  journal_options o;
  o.path = cfg.state.journal;
  auto file = journal_file::open(o);
  if (auto note = file.recovery_note()) log_warning(*note);
  return file;
}

int cmd_run(const command_line& cl, config cfg) {
  std::vector<const job_config*> selected;
  if (cl.jobs.empty()) {
    for (const auto& j : cfg.jobs) selected.push_back(&j);
  } else {
    for (const auto& name : cl.jobs) {
      const job_config* j = cfg.find_job(name);
      if (!j) {
        std::cerr << "zefortd: no job named '" << name << "' in " << cfg.file.string() << "\n";
        return exit_code::usage;
      }
      selected.push_back(j);
    }
  }
  if (cl.dry_run) return cmd_dry_run(cfg, selected);
  std::vector<std::string> names;
  for (const job_config* j : selected) names.push_back(j->name);

  // Named first: the order in which arguments are evaluated is unspecified, and g++ opened (and
  // created) the journal before the lookup refused a missing key.
  secret key = checked_before_the_journal(cfg);
  journal_file journal = open_journal(cfg);
  std::unique_ptr<progress_line> line;  // before `o`: the engine's last events may come late
  // Moved, not copied: with thousands of jobs a second configuration is megabytes. `selected`
  // points into it and is not used from here on.
  orchestrator o(std::move(cfg), std::move(key), std::move(journal));
  if (!cl.quiet && progress_line::wanted()) {
    // A line per task would push the live line off the screen: notice and above, unless asked.
    if (!cl.level) set_log_level(log_level::notice);
    line = std::make_unique<progress_line>(names.size());
    o.subscribe([&line](const event& e) {
      if (line) line->on_event(e);
    });
    o.every(std::chrono::seconds(1), [&line] {
      if (line) line->tick();
    });
  }
  auto reports = o.run_batch(names);
  line.reset();  // the summary starts on a clean line
  const int status = o.exit_status();
  // Log lines stay on stderr: stdout holds the summary alone, as text or one JSON object.
  if (cl.json)
    std::cout << boost::json::serialize(summary_json(reports, status)) << "\n";
  else
    print_summary(std::cout, reports);
  if (status == exit_code::interrupted)
    log_notice("interrupted; run the same command again to resume (nothing is submitted twice)");
  return status;
}

int cmd_serve(config cfg) {
  secret key = checked_before_the_journal(cfg);  // before the journal: see cmd_run
  journal_file journal = open_journal(cfg);
  orchestrator o(std::move(cfg), std::move(key), std::move(journal));
  o.serve();
  // 0 after SIGTERM; 5 when the journal failed under it (the service manager sees the failure).
  if (o.exit_status() == exit_code::ok) log_notice("stopped");
  return o.exit_status();
}

int cmd_status(const command_line& cl, const config& cfg) {
  journal_image image;  // the frames view into its bytes: kept until replayed
  try {
    image = read_journal_unlocked(cfg.state.journal);
  } catch (const journal_io_error& e) {
    if (e.code() != std::errc::no_such_file_or_directory) throw;
  }
  auto state = replay(cfg.state.journal, image.frames);
  print_status(std::cout, cfg.state.journal, state, cfg, std::chrono::system_clock::now(), cl.json);
  return exit_code::ok;
}

int cmd_journal(const command_line& cl, const config& cfg) {
  if (cl.arguments.size() != 1 || (cl.arguments[0] != "check" && cl.arguments[0] != "repair")) {
    std::cerr << "zefortd: journal takes 'check' or 'repair'\n";
    return exit_code::usage;
  }
  const auto& path = cfg.state.journal;
  bool repair = cl.arguments[0] == "repair";
  // Repair keeps only what replays: a salvaged record whose run lost its intent would otherwise
  // make the next start refuse the repaired journal.
  auto report = repair ? repair_journal(path, nullptr, replay_check()) : check_journal(path);
  print_journal_report(std::cout, path, report);
  if (report.repaired && !report.lost.empty() && report.end != scan_end::torn_tail) {
    // What was lost may have held intents: the batches open now look each job that has no run
    // up before sending it, rather than sending it blind (lost_record). A torn tail is exempt:
    // it was never durable, so nothing was ever sent on the strength of it.
    journal_options o;
    o.path = path;
    journal_file file = journal_file::open(o);
    const auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::system_clock::now().time_since_epoch());
    file.append(encode_record(lost_record{report.lost.size(), now.count()}));
    file.sync();
    std::cout << "jobs of open batches without a run will be looked up in the task list before "
                 "they are sent again\n";
  }
  if (report.sound || report.repaired) return exit_code::ok;
  return report.end == scan_end::torn_tail ? 1 : exit_code::journal;
}

}  // namespace

int run_command(const command_line& cl) {
  try {
    // parse_command_line() has refused unknown commands and misplaced options already.
    if (!find_command(cl.command)) {
      std::cerr << "zefortd: unknown command '" << cl.command << "'\n";
      return exit_code::usage;
    }
    if (cl.command == "validate") return cmd_validate(cl);
    config cfg = load_config(config_path(cl));
    if (cl.command == "run") return cmd_run(cl, std::move(cfg));
    if (cl.command == "serve") return cmd_serve(std::move(cfg));
    if (cl.command == "status") return cmd_status(cl, cfg);
    return cmd_journal(cl, cfg);
  } catch (const config_error& e) {
    std::cerr << "zefortd: " << e.what() << "\n";
    return exit_code::usage;
  } catch (const journal_error& e) {
    log_error(e.what());
    return exit_code::journal;
  } catch (const std::exception& e) {
    log_error("internal error: ", e.what());
    return exit_code::internal;
  }
}

}  // namespace zefortd
