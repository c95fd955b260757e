// The records zefortd writes to its journal, and their JSON form. Each record is one frame's
// payload (see journal_format.hpp for the framing). Records only ever describe facts that
// happened: an intent to submit, a task id received, a final status, a dismissal.
#pragma once

#include <boost/json/object.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace zefortd {

// Wall-clock milliseconds since the Unix epoch: journal times survive restarts and reboots.
using unix_ms = std::int64_t;

// About to submit: durable before the POST leaves. `body` is the resolved payload.
struct intent_record {
  std::string run;  // unique run id
  std::string job;
  std::string revision;  // job_config::revision() at the time
  std::string batch;     // the `zefortd run` batch, empty under `serve`
  std::string endpoint;
  boost::json::object body;
  bool dismiss = true;
  unix_ms at = 0;
};

// The task id the API gave (or the in-doubt lookup found): durable before the first poll.
struct submitted_record {
  std::string run;
  std::string task;
  bool adopted = false;  // found in the task list after an in-doubt submission
  unix_ms at = 0;
};

// An in-doubt submission that the task list did not hold: it is being sent again.
struct resubmit_record {
  std::string run;
  std::string reason;
  unix_ms at = 0;
};

// The backend finished the task (successfully or not).
struct finished_record {
  std::string run;
  std::string status;  // backend_status as the API said it
  std::string info;    // backend_status_info
  std::uint64_t contracts = 0;
  unix_ms at = 0;
};

// The PATCH that dismissed the task succeeded.
struct dismissed_record {
  std::string run;
  unix_ms at = 0;
};

// The run ended without a finished task: rejected submission, lost task.
struct failed_record {
  std::string run;
  unsigned status = 0;  // HTTP status if there was one
  std::string message;
  unix_ms at = 0;
};

// Still pending after polling.give_up_after: reported, not dismissed, no longer polled.
struct gave_up_record {
  std::string run;
  unix_ms at = 0;
};

// A `zefortd run` invocation's set of jobs. Open until batch_end.
struct batch_record {
  std::string batch;
  std::vector<std::string> jobs;
  unix_ms at = 0;
};

struct batch_end_record {
  std::string batch;
  unix_ms at = 0;
};

// Written by compaction: a job revision that already ran (serve runs each revision once).
struct revision_seen_record {
  std::string job;
  std::string revision;
};

// Written by compaction: a task that left the journal's history but is still in the API's task
// list (gave up, or finished and not dismissed). An in-doubt lookup must never adopt it.
struct task_seen_record {
  std::string task;
};

// `api.exclusive`: tasks that were in the API's list, not zefortd's, when it first read the list
// before submitting anything. Only a task outside this census and unknown to the journal can be
// the task of one of our in-doubt POSTs (README: "Census").
struct census_record {
  std::vector<std::string> tasks;
  unix_ms at = 0;
};

// `api.exclusive`: a task created by one of our in-doubt POSTs that could not be told to be a
// particular run's. Dismissed once it finishes (then recorded again with dismissed: true).
struct orphan_record {
  std::string task;
  bool dismissed = false;
  unix_ms at = 0;
};

// The run's job may have been applied twice: why, and the tasks that could be its own.
struct duplicate_record {
  std::string run;
  std::string reason;
  std::vector<std::string> tasks;
  unix_ms at = 0;
};
// `serve`: a scheduled job's slot was decided, durable before the run it starts (in the same
// commit as its intent), so that no slot ever fires twice. `missed` counts the slots that
// passed unrun up to this one (this one included when it is missed too); compaction writes one
// record per job carrying the total.
enum class slot_outcome { fired, skipped, missed };
struct slot_record {
  std::string job;
  std::string schedule;  // as written: a changed schedule starts afresh
  unix_ms slot = 0;      // the slot's time; later slots only are offered
  slot_outcome outcome = slot_outcome::fired;
  std::uint64_t missed = 0;
  unix_ms at = 0;
};

const char* to_string(slot_outcome);

// `zefortd journal repair` could not read some stretches of the journal (`stretches` of them):
// an intent may have been among them. A batch begun before `at` then looks each of its jobs
// without a run up in the task list before sending it, as it does an in-doubt submission.
struct lost_record {
  std::uint64_t stretches = 0;
  unix_ms at = 0;
};

using journal_record =
    std::variant<intent_record, submitted_record, resubmit_record, finished_record,
                 dismissed_record, failed_record, gave_up_record, batch_record, batch_end_record,
                 revision_seen_record, task_seen_record, census_record, orphan_record,
                 duplicate_record, slot_record, lost_record>;

std::string encode_record(const journal_record&);

// nullopt, with `error` set, for a payload that is not a record this version knows.
std::optional<journal_record> decode_record(std::string_view payload, std::string& error);

}  // namespace zefortd
