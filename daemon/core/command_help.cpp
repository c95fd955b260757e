// The help texts; see command_help.hpp. Written per command rather than generated from the
// option table, because the same flag means something different to each command (--json).
#include "core/command_help.hpp"

#include <string>

#include "core/command_line.hpp"
#include "core/exit_code.hpp"

namespace zefortd {
namespace {

// "  5    " : the status column of the exit status lists.
std::string status_line(int status, std::string_view text) {
  std::string s = "  " + std::to_string(status);
  s.resize(7, ' ');
  s += text;
  s += '\n';
  return s;
}

constexpr std::string_view common_options =
    R"(  -c, --config FILE     the configuration file (also --config=FILE); default
                        $CONFIGURATION_DIRECTORY/zefortd.yaml, else /etc/zefortd/zefortd.yaml
  --log-level LEVEL     debug, info (the default), notice, warning or error (also
                        --log-level=LEVEL); debug shows every poll
  -h, --help            this text
)";

constexpr std::string_view config_file =
    R"(  configuration   -c FILE, else $CONFIGURATION_DIRECTORY/zefortd.yaml (systemd's
                  ConfigurationDirectory=), else /etc/zefortd/zefortd.yaml; then the job
                  files its include: list names, and api.ca_file if set
)";

constexpr std::string_view journal_file =
    R"(  journal         state.journal, else $STATE_DIRECTORY/zefortd.journal (systemd's
                  StateDirectory=), else zefortd.journal beside the configuration file
)";

constexpr std::string_view key_files =
    R"(  API key         the first found of: api.api_key_file (if set, it must be readable);
                  $CREDENTIALS_DIRECTORY/api-key (systemd's LoadCredential=api-key:FILE);
                  the environment variable ZEFORT_APIKEY. The file holds the key alone.
)";

std::string general() {
  std::string s = R"(Usage: zefortd COMMAND [OPTIONS]
       zefortd COMMAND --help, or zefortd help COMMAND: that command's options

Runs bulk operations against the Zefort API: submits jobs, polls their tasks with backoff,
dismisses finished tasks, and journals everything so that a crash loses and repeats nothing.

Commands:
)";
  for (const auto& c : commands()) {
    std::string line = "  " + std::string(c.name);
    line.resize(12, ' ');
    s += line + std::string(c.summary) + "\n";
  }
  s += R"(
Options of every command (before or after it):
)";
  s += common_options;
  s += R"(  --version             the version
Options of some commands only (elsewhere they are refused with status 2):
  --job NAME            run: run only this job; repeat for more (--job=NAME too)
  --dry-run             run: print each job's URL and body, send nothing
  --json                run, validate, status: print the result as one JSON object
  -q, --quiet           run, serve: log only warnings and errors

Files read:
)";
  s += config_file;
  s += journal_file;
  s += R"(                  (run, serve, status, journal); run, serve and journal repair hold
                  JOURNAL.lock, and a repair or recovery keeps JOURNAL.broken-TIME copies
)";
  s += key_files;
  s += "                  (run and serve only)\n\nExit status:\n";
  s += status_line(exit_code::ok, "success (run: every task done and dismissed; journal: sound)");
  s += status_line(exit_code::task_failed,
                   "run: a task finished with a backend failure; journal check: torn tail\n"
                   "       (cut on the next start)");
  s += status_line(exit_code::usage, "bad command line, invalid configuration, or no API key");
  s += status_line(exit_code::refused,
                   "run: the API refused a request (rejected submission, bad key, untrusted\n"
                   "       certificate), or a task was lost");
  s += status_line(exit_code::gave_up, "run: a task was still pending after polling.give_up_after");
  s += status_line(exit_code::journal,
                   "journal corrupt, locked by another zefortd, not a regular file, or a\n"
                   "       write/fsync failed");
  s += status_line(exit_code::internal, "internal error");
  s += status_line(exit_code::interrupted,
                   "run: interrupted by SIGINT, SIGTERM or SIGHUP: run the same command\n"
                   "       again to resume");
  s += "When several apply, the largest is returned.\n";
  return s;
}

std::string serve() {
  std::string s = R"(Usage: zefortd serve [OPTIONS]

Runs as a daemon until SIGTERM or SIGINT: resumes the open tasks of its journal, runs each
unscheduled job once per payload revision, polls and dismisses. SIGHUP reloads the configuration
(a configuration that does not load is logged and the running one kept). Under systemd it
reports READY=1, STATUS=, RELOADING=1, STOPPING=1 and WATCHDOG=1 through $NOTIFY_SOCKET, and
logs with <N> priority prefixes when stderr is the journal ($JOURNAL_STREAM).

Options:
)";
  s += common_options;
  s += "  -q, --quiet           log only warnings and errors\n\nFiles read:\n";
  s += config_file;
  s += journal_file;
  s += "                  and JOURNAL.lock, held while it runs\n";
  s += key_files;
  s += "\nExit status:\n";
  s += status_line(exit_code::ok, "stopped cleanly by SIGTERM or SIGINT");
  s += status_line(exit_code::usage, "bad command line, invalid configuration, or no API key");
  s += status_line(exit_code::journal,
                   "journal corrupt, locked by another zefortd, not a regular file, or a\n"
                   "       write/fsync failed");
  s += status_line(exit_code::internal, "internal error");
  return s;
}

std::string run() {
  std::string s = R"(Usage: zefortd run [--job NAME]... [--dry-run] [--json] [OPTIONS]

Runs the jobs of the configuration (all of them, or those named with --job) once now, waits
until every task is finished and dismissed, and prints a summary on stdout. An interrupted run
resumes when started again with the same configuration and journal: what it had submitted is
polled and dismissed, not submitted again. A run that completed does not block the next one.

Options:
  --job NAME            run only the job NAME; repeat the option for more jobs
                        (--job a --job b); --job=NAME works too. Default: every job.
  --dry-run             print each selected job's URL and resolved body and send nothing;
                        needs no API key and does not open the journal
  --json                print the summary as one JSON object on stdout instead of the table:
                        runs[] (job, run, task, outcome, backend_status, contracts, started,
                        ended, possible_duplicate, detail), counts, exit_status
  -q, --quiet           log only warnings and errors; the summary is still printed
)";
  s += common_options;
  s += "\nFiles read:\n";
  s += config_file;
  s += journal_file;
  s += "                  and JOURNAL.lock, held while it runs (not with --dry-run)\n";
  s += key_files;
  s += "                  (not with --dry-run)\n\nExit status:\n";
  s += status_line(exit_code::ok, "every task done and dismissed (--dry-run: the jobs exist)");
  s += status_line(exit_code::task_failed, "a task finished with a backend failure");
  s += status_line(exit_code::usage,
                   "bad command line, invalid configuration, no job of a --job name, or no\n"
                   "       API key");
  s += status_line(exit_code::refused,
                   "the API refused a request (rejected submission, bad key, untrusted\n"
                   "       certificate), or a task was lost");
  s += status_line(exit_code::gave_up, "a task was still pending after polling.give_up_after");
  s += status_line(exit_code::journal,
                   "journal corrupt, locked by another zefortd, not a regular file, or a\n"
                   "       write/fsync failed");
  s += status_line(exit_code::internal, "internal error");
  s += status_line(exit_code::interrupted,
                   "run: interrupted by SIGINT, SIGTERM or SIGHUP: run the same command\n"
                   "       again to resume");
  s += "When several apply, the largest is returned.\n";
  return s;
}

std::string validate() {
  std::string s = R"(Usage: zefortd validate [--json] [OPTIONS]

Loads the configuration, its job files and api.ca_file, and prints what it found: the API,
the journal path, the included files, each job with its schedule, revision and next three fire
times (UTC, plus local time for timezone: local). It neither looks for the API key, reads the
journal nor contacts the API. A typo in a key or value is reported with file, line and column,
and the closest valid name; a bad schedule at the offending field.

Options:
  --json                print {"jobs": [{"name", "endpoint", "schedule", "timezone", "next"}]}
                        with the next five fire times (RFC 3339, UTC); for an invalid file
                        {"errors": [{"file", "line", "column", "message"}]} (exit 2)
)";
  s += common_options;
  s += "\nFiles read:\n";
  s += config_file;
  s += "\nExit status:\n";
  s += status_line(exit_code::ok, "the configuration is valid");
  s += status_line(exit_code::usage, "bad command line or invalid configuration");
  s += status_line(exit_code::internal, "internal error");
  return s;
}

std::string status() {
  std::string s = R"(Usage: zefortd status [--json] [OPTIONS]

Prints the open runs and the most recent finished ones, read from the journal without locking
it, so it works while a daemon holds the journal. A journal that does not exist yet is empty.

Options:
  --json                print {"journal", "open": [...], "recent": [...], "open_batches": [...]}
                        as one JSON object
)";
  s += common_options;
  s += "\nFiles read:\n";
  s += config_file;
  s += journal_file;
  s += "\nExit status:\n";
  s += status_line(exit_code::ok, "printed");
  s += status_line(exit_code::usage, "bad command line or invalid configuration");
  s += status_line(exit_code::journal, "the journal is corrupt or cannot be read");
  s += status_line(exit_code::internal, "internal error");
  return s;
}

std::string journal() {
  std::string s = R"(Usage: zefortd journal check|repair [OPTIONS]

  check                 verify the journal's framing, without taking the lock
  repair                take the lock; if the journal is not sound, keep a copy as found at
                        JOURNAL.broken-TIME, then keep every intact record, before the
                        damage and after it, and name the records lost. What they said is
                        forgotten: look at the copy and at the API's task list before
                        starting again.

Options:
)";
  s += common_options;
  s += "\nFiles read:\n";
  s += config_file;
  s += journal_file;
  s += "\nExit status:\n";
  s += status_line(exit_code::ok, "the journal is sound (repair: or was repaired)");
  s += status_line(exit_code::task_failed, "check: a torn last record (cut on the next start)");
  s += status_line(exit_code::usage, "bad command line or invalid configuration");
  s += status_line(exit_code::journal,
                   "the journal is damaged, locked by another zefortd (repair), or cannot be\n"
                   "       read or written");
  s += status_line(exit_code::internal, "internal error");
  return s;
}

}  // namespace

std::string help_text(std::string_view command) {
  const command_spec* c = find_command(command);
  if (!c) return general();
  switch (c->id) {
    case command_id::serve:
      return serve();
    case command_id::run:
      return run();
    case command_id::validate:
      return validate();
    case command_id::status:
      return status();
    case command_id::journal:
      return journal();
  }
  return general();
}

}  // namespace zefortd
