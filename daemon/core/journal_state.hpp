// What the journal says: every run with its phase, the open `run` batches and the job revisions
// already submitted. Built by replaying records in order; the orchestrator resumes from it.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <unordered_set>
#include <utility>
#include <vector>

#include "core/journal_format.hpp"
#include "core/journal_records.hpp"

namespace zefortd {

enum class run_phase {
  intended,   // intent durable; no task id known (in doubt if the process died here)
  submitted,  // task id known; polling
  finished,   // backend finished; dismissal pending (when the job dismisses)
  dismissed,  // finished and dismissed
  failed,     // rejected submission or lost task
  gave_up,    // pending past give_up_after
};

const char* to_string(run_phase);

struct run_state {
  intent_record intent;
  run_phase phase = run_phase::intended;
  std::string task;  // empty until submitted
  bool adopted = false;
  unsigned resubmits = 0;
  unix_ms submitted_at = 0;
  std::string backend_status;
  std::string backend_info;
  std::uint64_t contracts = 0;
  unix_ms ended_at = 0;  // finished, failed or gave up
  unsigned http_status = 0;
  std::string failure;
  // The job may have been applied twice (duplicate_record): why, and the tasks that could be it.
  bool possible_duplicate = false;
  std::string duplicate_reason;
  std::vector<std::string> duplicate_tasks;

  // Still needs work from zefortd: a submission to settle, a task to poll or to dismiss.
  bool open() const;
  // The backend said the task failed (failed, error, cancelled).
  bool backend_failed() const;
  // How the run ended, in the words of `run`'s summary (to_string(run_outcome)): "done",
  // "done (not dismissed)", "failed" (by the backend), "rejected" (the submission was refused),
  // "lost" (the task vanished), "gave up"; an open run's phase ("submitting", "pending",
  // "finished") otherwise.
  const char* outcome() const;
};

// `serve`: what the journal holds of a scheduled job's slots.
struct slot_state {
  std::string schedule;  // of the last slot record: a slot of another schedule does not count
  unix_ms last_slot = 0;
  slot_outcome last_outcome = slot_outcome::fired;
  std::uint64_t missed = 0;  // slots that passed unrun, in total
};

struct batch_state {
  batch_record record;
  bool ended = false;
};

class journal_state {
 public:
  // Applies one record in journal order. Returns a message for a record that contradicts what
  // came before (a task id for an unknown run): the journal is then not trustworthy.
  std::optional<std::string> apply(const journal_record&);
  // The same, moving the record's strings and payload into the state instead of copying them.
  std::optional<std::string> apply(journal_record&&);

  const std::map<std::string, run_state>& runs() const { return runs_; }
  const run_state* find_run(const std::string& id) const;
  std::vector<const run_state*> open_runs() const;
  std::vector<const run_state*> runs_of_batch(const std::string& batch) const;
  std::vector<const batch_state*> open_batches() const;
  const std::map<std::string, batch_state>& batches() const { return batches_; }

  // Whether `serve` already ran this revision of the job (`run` batches do not count).
  bool revision_seen(const std::string& job, const std::string& revision) const;
  bool task_known(const std::string& task) const { return tasks_.count(task) != 0; }
  // `api.exclusive`: in the list before zefortd submitted anything (census_record).
  bool task_censused(const std::string& task) const { return census_.count(task) != 0; }
  bool has_census() const { return census_taken_; }
  // A repair lost records after this batch began (lost_record): a job of it without a run may
  // have been sent, so it is looked up before it is sent.
  bool may_have_lost_intents(const batch_record& b) const {
    return lost_at_ != 0 && b.at <= lost_at_;
  }
  // `api.exclusive`: ours, owned by no run, still to be dismissed once it finishes.
  const std::set<std::string>& orphans() const { return orphans_; }
  bool task_orphaned(const std::string& task) const { return orphans_.count(task) != 0; }
  bool job_has_open_run(const std::string& job) const;
  // The scheduled jobs' slots, by job name.
  const std::map<std::string, slot_state>& slots() const { return slots_; }

  // Forgets closed runs beyond the `keep_recent` most recent (outside open batches) and ended
  // batches: what memory holds follows the open work, as the compacted file does. A forgotten
  // run's task id stays known while the API may still list it (gave up, not dismissed).
  void prune(std::size_t keep_recent);
  bool has_lingering() const { return !lingering_.empty(); }
  // After a complete read of the task list: lingering and censused ids it did not hold are gone
  // for good.
  void keep_lingering(const std::unordered_set<std::string>& listed);

  // Records that rebuild this state, for compaction: open runs and batches in full, the
  // revisions already run, and the `keep_recent` most recent closed runs (for `status`).
  std::vector<journal_record> live_records(std::size_t keep_recent) const;

 private:
  template <class Record>  // const journal_record& or journal_record
  std::optional<std::string> apply_record(Record&& record);
  run_state* run(const std::string& id);

  using run_map = std::map<std::string, run_state>;

  // Finds (job, revision) without building a pair of strings for every intent replayed.
  struct revision_less {
    using is_transparent = void;
    template <class A, class B>
    bool operator()(const A& a, const B& b) const {
      using key = std::pair<std::string_view, std::string_view>;
      return key(a.first, a.second) < key(b.first, b.second);
    }
  };

  // The run the last record was about. A run's records mostly come one after another (always
  // after a compaction), and a lookup in runs_ compares strings all the way down the tree. A
  // copy starts empty: it would point into the other state's map. Reset it where a run is
  // erased.
  struct last_run {
    run_map::iterator it;
    bool valid = false;
    last_run() = default;
    last_run(const last_run&) {}
    last_run& operator=(const last_run&) {
      valid = false;
      return *this;
    }
  };

  run_map runs_;
  last_run last_;
  std::map<std::string, batch_state> batches_;
  std::set<std::pair<std::string, std::string>, revision_less> revisions_;
  std::set<std::string> tasks_;
  std::set<std::string> lingering_;         // from task_seen records: known, with no run kept
  std::unordered_set<std::string> census_;  // census records (and dismissed orphans)
  bool census_taken_ = false;
  unix_ms lost_at_ = 0;            // the latest repair that lost records
  std::set<std::string> orphans_;  // orphan records not yet dismissed
  std::map<std::string, slot_state> slots_;
};

// Where replay stopped: the first frame whose record did not decode or contradicted the ones
// before it.
struct replay_error {
  std::uint64_t seq = 0;
  std::uint64_t offset = 0;
  std::string message;  // what was wrong with the record
};

// Decodes each frame's record and applies it, moved, in order: the whole of replay but for
// naming the file in the error. Stops at the first record that does not decode or apply.
std::optional<replay_error> replay_frames(std::span<const journal_frame> frames,
                                          journal_state& state);

// For `journal repair`: feeds the records it salvaged through a journal_state in order and
// says why a record must be left out, so that the repaired journal replays. Refused: what does
// not decode, what contradicts the records before it (a record of a run whose intent was lost),
// and a finished, dismissed or gave-up record of a run whose task id was lost, which keeps that
// run in doubt: looked up in the task list on the next start, never finished without a task.
class replay_check {
 public:
  // Empty: keep the record (it has been applied). Else why it is left out.
  std::string operator()(std::string_view payload);

 private:
  journal_state state_;
};

}  // namespace zefortd
