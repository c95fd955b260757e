// Tests for core/run_machine: every transition with injected unix_ms times and fixed seeds, and
// the write-ahead property: each step carries the records its action depends on.
#include "core/run_machine.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <string>
#include <vector>

namespace zefortd {
namespace {

using std::chrono::hours;
using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::seconds;

constexpr unix_ms t0 = 1'700'000'000'000;  // the intent's time

// One reading of both clocks: these tests step them together.
instant at(unix_ms t) {
  return {t, t};
}
constexpr std::uint64_t seed = 42;

polling_config polling() {
  polling_config p;
  p.initial_delay = seconds(2);
  p.max_delay = minutes(2);
  p.multiplier = 2;
  p.give_up_after = hours(1);
  return p;
}

intent_record make_intent(bool dismiss = true, std::string run = "r-1") {
  intent_record r;
  r.run = std::move(run);
  r.job = "end-contracts";
  r.revision = "rev-1";
  r.batch = "b-1";
  r.endpoint = "contracts/bulk_update/";
  r.body =
      boost::json::parse(R"({"attributes":{"end_date":"2023-02-15"},"status":"done"})").as_object();
  r.dismiss = dismiss;
  r.at = t0;
  return r;
}

task make_task(std::string id, std::string status = "pending", std::string info = "",
               std::size_t contracts = 0) {
  task t;
  t.id = std::move(id);
  t.backend_status = std::move(status);
  t.backend_status_info = std::move(info);
  t.frontend_status = "pending";
  boost::json::array list;
  for (std::size_t i = 0; i < contracts; ++i) list.emplace_back("ct_" + std::to_string(i));
  boost::json::object data;
  data["contracts"] = std::move(list);
  t.data = std::move(data);
  return t;
}

// A failure as the API client classifies an HTTP answer.
api_failure http_failure(http_method_kind method, unsigned status,
                         std::optional<milliseconds> retry_after = std::nullopt) {
  api_failure f;
  f.verdict = classify_status(method, status);
  f.status = status;
  f.retry_after = retry_after;
  f.message = std::to_string(status) + " from the API";
  return f;
}

// A connection that broke: before sending (plain retry) or after a POST went out (in doubt).
api_failure network_failure(retry_verdict verdict) {
  api_failure f;
  f.verdict = verdict;
  f.message = "connection reset by peer";
  return f;
}

template <typename T>
const T& only_record(const run_step& step) {
  EXPECT_EQ(step.records.size(), 1u);
  static const T none{};
  if (step.records.size() != 1 || !std::holds_alternative<T>(step.records[0])) {
    ADD_FAILURE() << "expected one record of the asked type";
    return none;
  }
  return std::get<T>(step.records[0]);
}

// Drives one machine the way the orchestrator does, with a journal_state standing for the
// durable journal: every step's records are applied *before* its action is looked at, and the
// action must depend only on what is then durable.
struct harness {
  run_machine machine;
  journal_state durable;

  explicit harness(run_machine m) : machine(std::move(m)) {}

  run_step step(run_step s) {
    for (const auto& r : s.records) {
      auto problem = durable.apply(r);
      EXPECT_FALSE(problem) << *problem;
    }
    check_write_ahead(s);
    return s;
  }

  const run_state* on_disk() const { return durable.find_run(machine.state().intent.run); }

  void check_write_ahead(const run_step& s) const {
    const run_state* d = on_disk();
    ASSERT_NE(d, nullptr) << "an action before the intent is durable";
    const run_state& m = machine.state();
    // The machine never runs ahead of the journal.
    EXPECT_EQ(d->phase, m.phase);
    EXPECT_EQ(d->task, m.task);
    switch (s.action.kind) {
      case action_kind::submit:
      case action_kind::lookup:
        EXPECT_EQ(d->phase, run_phase::intended);
        break;
      case action_kind::poll:
        EXPECT_EQ(d->phase, run_phase::submitted);
        EXPECT_FALSE(d->task.empty()) << "a poll before the task id is durable";
        break;
      case action_kind::dismiss:
        EXPECT_EQ(d->phase, run_phase::finished) << "a dismissal before the result is durable";
        break;
      case action_kind::wait:
        EXPECT_GT(s.action.delay.count(), 0);
        break;
      case action_kind::finish:
        // Every outcome but a stall is a fact on disk; a stall leaves the run open for later.
        if (machine.outcome() == run_outcome::stalled)
          EXPECT_TRUE(d->open());
        else
          EXPECT_FALSE(d->open());
        break;
    }
  }
};

harness started(bool dismiss = true) {
  harness h(run_machine::fresh(make_intent(dismiss), polling(), seed));
  h.step(h.machine.start(at(t0)));
  return h;
}

// Fresh run, submitted, first wait done: the next step is a poll of "tk-1".
harness polling_run(bool dismiss = true) {
  harness h = started(dismiss);
  h.step(h.machine.on_submitted(make_task("tk-1"), at(t0 + 100)));
  EXPECT_EQ(h.step(h.machine.on_timer(at(t0 + 2100))).action.kind, action_kind::poll);
  return h;
}

TEST(RunMachine, FreshStartEmitsTheIntentWithTheSubmit) {
  harness h(run_machine::fresh(make_intent(), polling(), seed));
  run_step s = h.step(h.machine.start(at(t0)));
  EXPECT_EQ(s.action.kind, action_kind::submit);
  const auto& intent = only_record<intent_record>(s);
  EXPECT_EQ(intent.run, "r-1");
  EXPECT_EQ(intent.body, make_intent().body);
  EXPECT_EQ(h.machine.outcome(), run_outcome::none);
  EXPECT_EQ(h.machine.state().phase, run_phase::intended);
}

// The body leaves with the intent record: the journal state keeps the one copy, not the machine.
TEST(RunMachine, TheBodyLeavesWithTheIntentAndIsNotKeptTwice) {
  run_machine fresh = run_machine::fresh(make_intent(), polling(), seed);
  EXPECT_EQ(fresh.state().intent.body, make_intent().body);  // the engine serialises it first
  run_step s = fresh.start(at(t0));
  EXPECT_EQ(only_record<intent_record>(s).body, make_intent().body);
  EXPECT_TRUE(fresh.state().intent.body.empty());
  EXPECT_EQ(fresh.state().intent.job, "end-contracts");

  run_state replayed;
  replayed.intent = make_intent();
  run_machine resumed = run_machine::resume(replayed, polling(), seed);
  EXPECT_TRUE(resumed.state().intent.body.empty());
  EXPECT_EQ(resumed.start(at(t0 + 1000)).action.kind, action_kind::lookup);
}

TEST(RunMachine, SubmitOkRecordsTheTaskThenWaitsThenPolls) {
  harness h = started();
  run_step s = h.step(h.machine.on_submitted(make_task("tk-1"), at(t0 + 100)));
  const auto& sub = only_record<submitted_record>(s);
  EXPECT_EQ(sub.run, "r-1");
  EXPECT_EQ(sub.task, "tk-1");
  EXPECT_FALSE(sub.adopted);
  EXPECT_EQ(sub.at, t0 + 100);
  ASSERT_EQ(s.action.kind, action_kind::wait);
  EXPECT_GE(s.action.delay, milliseconds(1000));
  EXPECT_LE(s.action.delay, milliseconds(2000));

  run_step t = h.step(h.machine.on_timer(at(t0 + 2100)));
  EXPECT_TRUE(t.records.empty());
  EXPECT_EQ(t.action.kind, action_kind::poll);
}

TEST(RunMachine, TooManyRequestsWaitsAtLeastRetryAfterThenResends) {
  harness h = started();
  run_step s = h.step(
      h.machine.on_submit_failed(http_failure(http_method_kind::post, 429, seconds(90)), at(t0)));
  EXPECT_TRUE(s.records.empty());
  ASSERT_EQ(s.action.kind, action_kind::wait);
  EXPECT_GE(s.action.delay, seconds(90));
  EXPECT_EQ(h.step(h.machine.on_timer(at(t0 + 90'000))).action.kind, action_kind::submit);
  EXPECT_EQ(h.machine.attempts(), 1u);
}

TEST(RunMachine, ShortRetryAfterStillBacksOff) {
  harness h = started();
  run_step s = h.step(h.machine.on_submit_failed(
      http_failure(http_method_kind::post, 429, milliseconds(0)), at(t0)));
  ASSERT_EQ(s.action.kind, action_kind::wait);
  EXPECT_GE(s.action.delay, milliseconds(1000));
}

TEST(RunMachine, ServiceUnavailableAndTimeoutResendWithoutLookup) {
  for (unsigned status : {503u, 408u}) {
    harness h = started();
    run_step s =
        h.step(h.machine.on_submit_failed(http_failure(http_method_kind::post, status), at(t0)));
    EXPECT_TRUE(s.records.empty()) << status;
    ASSERT_EQ(s.action.kind, action_kind::wait) << status;
    EXPECT_EQ(h.step(h.machine.on_timer(at(t0 + 5000))).action.kind, action_kind::submit) << status;
  }
}

TEST(RunMachine, SubmitRetryDelaysGrowAndStayBounded) {
  harness h = started();
  unix_ms now = t0;
  for (unsigned k = 0; k < 12; ++k) {
    run_step s =
        h.step(h.machine.on_submit_failed(http_failure(http_method_kind::post, 503), at(now)));
    ASSERT_EQ(s.action.kind, action_kind::wait);
    const auto ceiling = std::min<milliseconds>(milliseconds(2000) * (1LL << k), minutes(2));
    EXPECT_GE(s.action.delay, ceiling / 2) << k;
    EXPECT_LE(s.action.delay, ceiling) << k;
    now += s.action.delay.count();
    EXPECT_EQ(h.step(h.machine.on_timer(at(now))).action.kind, action_kind::submit);
  }
}

TEST(RunMachine, InDoubtSubmissionIsLookedUpNeverResentBlind) {
  for (unsigned status : {500u, 502u, 504u}) {
    harness h = started();
    run_step s =
        h.step(h.machine.on_submit_failed(http_failure(http_method_kind::post, status), at(t0)));
    EXPECT_TRUE(s.records.empty()) << status;
    EXPECT_EQ(s.action.kind, action_kind::lookup) << status;
    EXPECT_EQ(h.machine.state().phase, run_phase::intended);
  }
  harness h = started();
  run_step s =
      h.step(h.machine.on_submit_failed(network_failure(retry_verdict::retry_in_doubt), at(t0)));
  EXPECT_TRUE(s.records.empty());
  EXPECT_EQ(s.action.kind, action_kind::lookup);
}

TEST(RunMachine, NetworkFailureBeforeSendingResends) {
  harness h = started();
  run_step s = h.step(h.machine.on_submit_failed(network_failure(retry_verdict::retry), at(t0)));
  ASSERT_EQ(s.action.kind, action_kind::wait);
  EXPECT_EQ(h.step(h.machine.on_timer(at(t0 + 3000))).action.kind, action_kind::submit);
}

TEST(RunMachine, LookupFoundAdoptsTheTaskThenPolls) {
  harness h = started();
  h.step(h.machine.on_submit_failed(http_failure(http_method_kind::post, 502), at(t0 + 10)));
  task found = make_task("tk-found");
  run_step s = h.step(h.machine.on_lookup(&found, at(t0 + 20)));
  const auto& sub = only_record<submitted_record>(s);
  EXPECT_EQ(sub.task, "tk-found");
  EXPECT_TRUE(sub.adopted);
  EXPECT_EQ(s.action.kind, action_kind::poll);
  EXPECT_TRUE(h.machine.state().adopted);
  EXPECT_TRUE(h.on_disk()->adopted);
}

TEST(RunMachine, LookupNotFoundRecordsTheResubmissionBeforeSubmitting) {
  harness h = started();
  h.step(h.machine.on_submit_failed(http_failure(http_method_kind::post, 504), at(t0 + 10)));
  run_step s = h.step(h.machine.on_lookup(nullptr, at(t0 + 20)));
  const auto& re = only_record<resubmit_record>(s);
  EXPECT_EQ(re.run, "r-1");
  EXPECT_FALSE(re.reason.empty());
  EXPECT_EQ(h.machine.state().resubmits, 1u);
  EXPECT_EQ(h.on_disk()->resubmits, 1u);
  // The submit follows the durable resubmit record, at once or after a wait.
  if (s.action.kind == action_kind::wait)
    s = h.step(h.machine.on_timer(at(t0 + 20 + s.action.delay.count())));
  EXPECT_EQ(s.action.kind, action_kind::submit);
}

TEST(RunMachine, LookupFailureRetriesTheLookup) {
  harness h = started();
  h.step(h.machine.on_submit_failed(http_failure(http_method_kind::post, 500), at(t0 + 10)));
  run_step s =
      h.step(h.machine.on_lookup_failed(http_failure(http_method_kind::get, 503), at(t0 + 20)));
  ASSERT_EQ(s.action.kind, action_kind::wait);
  EXPECT_EQ(h.step(h.machine.on_timer(at(t0 + 5000))).action.kind, action_kind::lookup);
}

TEST(RunMachine, LookupRefusedStallsWithoutRecord) {
  harness h = started();
  h.step(h.machine.on_submit_failed(http_failure(http_method_kind::post, 500), at(t0 + 10)));
  run_step s =
      h.step(h.machine.on_lookup_failed(http_failure(http_method_kind::get, 401), at(t0 + 20)));
  EXPECT_TRUE(s.records.empty());
  EXPECT_EQ(s.action.kind, action_kind::finish);
  EXPECT_EQ(h.machine.outcome(), run_outcome::stalled);
  EXPECT_EQ(h.on_disk()->phase, run_phase::intended);  // looked up again on the next start
}

TEST(RunMachine, PermanentSubmitErrorIsRejected) {
  for (unsigned status : {400u, 401u, 403u, 404u, 422u}) {
    harness h = started();
    api_failure f = http_failure(http_method_kind::post, status);
    run_step s = h.step(h.machine.on_submit_failed(f, at(t0 + 50)));
    const auto& failed = only_record<failed_record>(s);
    EXPECT_EQ(failed.status, status);
    EXPECT_EQ(failed.message, f.message);
    EXPECT_EQ(failed.at, t0 + 50);
    EXPECT_EQ(s.action.kind, action_kind::finish);
    EXPECT_EQ(h.machine.outcome(), run_outcome::rejected) << status;
    EXPECT_EQ(h.machine.last_error(), f.message);
  }
}

TEST(RunMachine, PollRunningWaitsWithGrowingBackoffBoundedByMax) {
  harness h = polling_run();
  unix_ms now = t0 + 2100;
  std::vector<milliseconds> delays;
  for (unsigned k = 1; k < 20; ++k) {
    run_step s = h.step(h.machine.on_polled(make_task("tk-1", "started"), at(now)));
    EXPECT_TRUE(s.records.empty());
    ASSERT_EQ(s.action.kind, action_kind::wait);
    // The first wait (after the submit) was attempt 0; polls continue from attempt 1.
    const auto ceiling = std::min<milliseconds>(milliseconds(2000) * (1LL << k), minutes(2));
    EXPECT_GE(s.action.delay, ceiling / 2) << k;
    EXPECT_LE(s.action.delay, ceiling) << k;
    EXPECT_LE(s.action.delay, minutes(2));
    delays.push_back(s.action.delay);
    now += s.action.delay.count();
    ASSERT_LT(now - (t0 + 100), milliseconds(hours(1)).count()) << "test outgrew give_up_after";
    EXPECT_EQ(h.step(h.machine.on_timer(at(now))).action.kind, action_kind::poll);
  }
  EXPECT_GT(delays.back(), delays.front());
  EXPECT_GE(delays.back(), minutes(1));
}

TEST(RunMachine, PollDoneRecordsTheResultThenDismisses) {
  harness h = polling_run();
  run_step s = h.step(h.machine.on_polled(make_task("tk-1", "done", "", 3), at(t0 + 5000)));
  const auto& fin = only_record<finished_record>(s);
  EXPECT_EQ(fin.status, "done");
  EXPECT_EQ(fin.contracts, 3u);
  EXPECT_EQ(fin.at, t0 + 5000);
  EXPECT_EQ(s.action.kind, action_kind::dismiss);
  EXPECT_EQ(h.machine.outcome(), run_outcome::none);

  run_step d = h.step(h.machine.on_dismissed(at(t0 + 6000)));
  const auto& dis = only_record<dismissed_record>(d);
  EXPECT_EQ(dis.run, "r-1");
  EXPECT_EQ(d.action.kind, action_kind::finish);
  EXPECT_EQ(h.machine.outcome(), run_outcome::dismissed);
  EXPECT_EQ(h.on_disk()->phase, run_phase::dismissed);
  EXPECT_EQ(h.on_disk()->contracts, 3u);
}

TEST(RunMachine, NoDismissFinishesAfterTheResult) {
  harness h = polling_run(false);
  run_step s = h.step(h.machine.on_polled(make_task("tk-1", "done", "", 1), at(t0 + 5000)));
  only_record<finished_record>(s);
  EXPECT_EQ(s.action.kind, action_kind::finish);
  EXPECT_EQ(h.machine.outcome(), run_outcome::finished);
  EXPECT_FALSE(h.on_disk()->open());
}

TEST(RunMachine, BackendFailureIsRecordedDismissedAndReported) {
  for (const char* status : {"failed", "error", "cancelled", "canceled", "FAILED"}) {
    harness h = polling_run();
    run_step s =
        h.step(h.machine.on_polled(make_task("tk-1", status, "bad search"), at(t0 + 5000)));
    const auto& fin = only_record<finished_record>(s);
    EXPECT_EQ(fin.status, status);
    EXPECT_EQ(fin.info, "bad search");
    EXPECT_EQ(s.action.kind, action_kind::dismiss) << status;
    h.step(h.machine.on_dismissed(at(t0 + 6000)));
    EXPECT_EQ(h.machine.outcome(), run_outcome::backend_failed) << status;
  }
  harness h = polling_run(false);
  run_step s = h.step(h.machine.on_polled(make_task("tk-1", "error"), at(t0 + 5000)));
  EXPECT_EQ(s.action.kind, action_kind::finish);
  EXPECT_EQ(h.machine.outcome(), run_outcome::backend_failed);
}

TEST(RunMachine, PollNotFoundIsToleratedAFewTimesThenTheTaskIsLost) {
  harness h = polling_run();
  for (unsigned i = 0; i < run_machine::not_found_tolerated; ++i) {
    run_step s = h.step(
        h.machine.on_poll_failed(http_failure(http_method_kind::get, 404), at(t0 + 9000 + i)));
    EXPECT_EQ(s.action.kind, action_kind::wait) << i;
    EXPECT_TRUE(s.records.empty()) << i;
  }
  run_step s =
      h.step(h.machine.on_poll_failed(http_failure(http_method_kind::get, 404), at(t0 + 9900)));
  const auto& failed = only_record<failed_record>(s);
  EXPECT_EQ(failed.status, 404u);
  EXPECT_NE(failed.message.find("tk-1"), std::string::npos);
  EXPECT_EQ(s.action.kind, action_kind::finish);
  EXPECT_EQ(h.machine.outcome(), run_outcome::lost);
}

TEST(RunMachine, AGoodPollBetweenNotFoundsStartsTheCountAgain) {
  harness h = polling_run();
  for (int round = 0; round < 3; ++round) {
    for (unsigned i = 0; i < run_machine::not_found_tolerated; ++i)
      EXPECT_EQ(
          h.step(h.machine.on_poll_failed(http_failure(http_method_kind::get, 404), at(t0 + 9000)))
              .action.kind,
          action_kind::wait);
    h.step(h.machine.on_polled(make_task("tk-1", "pending"), at(t0 + 9500)));
  }
  EXPECT_EQ(h.machine.outcome(), run_outcome::none);
}

TEST(RunMachine, PollUnauthorizedStallsAndLeavesTheRunOpen) {
  for (unsigned status : {401u, 403u}) {
    harness h = polling_run();
    run_step s = h.step(
        h.machine.on_poll_failed(http_failure(http_method_kind::get, status), at(t0 + 9000)));
    EXPECT_TRUE(s.records.empty());
    EXPECT_EQ(s.action.kind, action_kind::finish);
    EXPECT_EQ(h.machine.outcome(), run_outcome::stalled);
    EXPECT_EQ(h.on_disk()->phase, run_phase::submitted);
  }
}

TEST(RunMachine, TransientPollFailureRetriesThePoll) {
  for (unsigned status : {500u, 502u, 503u, 504u, 429u}) {
    harness h = polling_run();
    run_step s = h.step(
        h.machine.on_poll_failed(http_failure(http_method_kind::get, status), at(t0 + 9000)));
    EXPECT_TRUE(s.records.empty());
    ASSERT_EQ(s.action.kind, action_kind::wait) << status;
    EXPECT_EQ(h.step(h.machine.on_timer(at(t0 + 20000))).action.kind, action_kind::poll);
  }
}

TEST(RunMachine, DismissNotFoundCountsAsDismissed) {
  harness h = polling_run();
  h.step(h.machine.on_polled(make_task("tk-1", "done"), at(t0 + 5000)));
  run_step s = h.step(
      h.machine.on_dismiss_failed(http_failure(http_method_kind::patch, 404), at(t0 + 6000)));
  only_record<dismissed_record>(s);
  EXPECT_EQ(s.action.kind, action_kind::finish);
  EXPECT_EQ(h.machine.outcome(), run_outcome::dismissed);
}

TEST(RunMachine, DismissFailuresRetryOrStall) {
  harness h = polling_run();
  h.step(h.machine.on_polled(make_task("tk-1", "done"), at(t0 + 5000)));
  run_step s = h.step(
      h.machine.on_dismiss_failed(http_failure(http_method_kind::patch, 503), at(t0 + 6000)));
  ASSERT_EQ(s.action.kind, action_kind::wait);
  EXPECT_EQ(h.step(h.machine.on_timer(at(t0 + 9000))).action.kind, action_kind::dismiss);
  s = h.step(
      h.machine.on_dismiss_failed(http_failure(http_method_kind::patch, 403), at(t0 + 9100)));
  EXPECT_TRUE(s.records.empty());
  EXPECT_EQ(h.machine.outcome(), run_outcome::stalled);
  EXPECT_TRUE(h.on_disk()->open());  // dismissed on the next start
}

TEST(RunMachine, GivesUpOnATaskStillPendingPastTheBound) {
  harness h = polling_run();
  const unix_ms submitted = t0 + 100;
  run_step s = h.step(h.machine.on_polled(make_task("tk-1", "pending"),
                                          at(submitted + milliseconds(hours(1)).count())));
  EXPECT_EQ(s.action.kind, action_kind::wait) << "exactly at the bound is not past it";
  s = h.step(h.machine.on_polled(make_task("tk-1", "pending"),
                                 at(submitted + milliseconds(hours(1)).count() + 1)));
  const auto& gave = only_record<gave_up_record>(s);
  EXPECT_EQ(gave.at, submitted + milliseconds(hours(1)).count() + 1);
  EXPECT_EQ(s.action.kind, action_kind::finish);
  EXPECT_EQ(h.machine.outcome(), run_outcome::gave_up);
  EXPECT_EQ(h.on_disk()->phase, run_phase::gave_up);
}

// A max_delay (or a Retry-After) longer than what is left of give_up_after made the run give up a
// whole delay late: a one-hour bound with a day's max_delay could end a day late.
TEST(RunMachine, NoWaitOutlastsGiveUpAfter) {
  polling_config p = polling();
  p.initial_delay = minutes(50);
  p.max_delay = hours(24);
  harness h(run_machine::fresh(make_intent(), p, seed));
  h.step(h.machine.start(at(t0)));
  h.step(h.machine.on_submitted(make_task("tk-1"), at(t0)));
  const unix_ms bound = t0 + milliseconds(hours(1)).count();
  run_step s = h.step(h.machine.on_timer(at(t0 + milliseconds(minutes(50)).count())));
  ASSERT_EQ(s.action.kind, action_kind::poll);
  s = h.step(h.machine.on_polled(make_task("tk-1", "pending"),
                                 at(t0 + milliseconds(minutes(51)).count())));
  ASSERT_EQ(s.action.kind, action_kind::wait);
  EXPECT_LE(t0 + milliseconds(minutes(51)).count() + s.action.delay.count(), bound + 1)
      << "the next poll comes at the bound, not 100 minutes later";
  // A Retry-After of a day is honoured up to the bound, and the run gives up then.
  auto throttled = http_failure(http_method_kind::get, 429);
  throttled.retry_after = hours(24);
  s = h.step(h.machine.on_poll_failed(throttled, at(t0 + milliseconds(minutes(55)).count())));
  ASSERT_EQ(s.action.kind, action_kind::wait);
  const unix_ms wake = t0 + milliseconds(minutes(55)).count() + s.action.delay.count();
  EXPECT_LE(wake, bound + 1);
  h.step(h.machine.on_timer(at(wake)));
  s = h.step(h.machine.on_poll_failed(throttled, at(wake)));
  only_record<gave_up_record>(s);
}

TEST(RunMachine, GivesUpWhileRetryingASubmission) {
  harness h = started();
  run_step s = h.step(h.machine.on_submit_failed(http_failure(http_method_kind::post, 503),
                                                 at(t0 + milliseconds(hours(1)).count() + 1)));
  only_record<gave_up_record>(s);
  EXPECT_EQ(h.machine.outcome(), run_outcome::gave_up);
}

TEST(RunMachine, GivesUpWhileRetryingAPoll) {
  harness h = polling_run();
  run_step s = h.step(h.machine.on_poll_failed(network_failure(retry_verdict::retry),
                                               at(t0 + 100 + milliseconds(hours(1)).count() + 1)));
  only_record<gave_up_record>(s);
  EXPECT_EQ(h.machine.outcome(), run_outcome::gave_up);
}

TEST(RunMachine, GivesUpWhileRetryingALookup) {
  harness h = started();
  h.step(h.machine.on_submit_failed(http_failure(http_method_kind::post, 500), at(t0 + 10)));
  run_step s = h.step(h.machine.on_lookup_failed(http_failure(http_method_kind::get, 502),
                                                 at(t0 + milliseconds(hours(1)).count() + 1)));
  only_record<gave_up_record>(s);
  EXPECT_EQ(h.machine.outcome(), run_outcome::gave_up);
}

// A POST that always fails in doubt and never creates a task: lookup, resubmit, lookup, ... must
// back off and end at give_up_after like every other retry, not spin until killed.
TEST(RunMachine, InDoubtResubmitLoopBacksOffAndGivesUp) {
  harness h = started();
  unix_ms now = t0;
  run_step s =
      h.step(h.machine.on_submit_failed(http_failure(http_method_kind::post, 500), at(now)));
  milliseconds waited{0};
  int cycles = 0;
  while (h.machine.outcome() == run_outcome::none && cycles < 100'000) {
    ++cycles;
    ASSERT_EQ(s.action.kind, action_kind::lookup);
    s = h.step(h.machine.on_lookup(nullptr, at(now)));
    if (s.action.kind == action_kind::finish) break;
    if (s.action.kind == action_kind::wait) {
      waited += s.action.delay;
      now += s.action.delay.count();
      s = h.step(h.machine.on_timer(at(now)));
    }
    ASSERT_EQ(s.action.kind, action_kind::submit);
    now += 50;  // the POST's own time
    s = h.step(h.machine.on_submit_failed(http_failure(http_method_kind::post, 500), at(now)));
  }
  EXPECT_EQ(h.machine.outcome(), run_outcome::gave_up) << "after " << cycles << " cycles";
  EXPECT_GE(waited, hours(1) / 2) << "resubmissions did not back off";
  EXPECT_LT(cycles, 200);
}

TEST(RunMachine, SameSeedSameDelays) {
  auto delays = [](std::uint64_t s) {
    harness h(run_machine::fresh(make_intent(), polling(), s));
    h.step(h.machine.start(at(t0)));
    std::vector<milliseconds> out{
        h.step(h.machine.on_submitted(make_task("tk"), at(t0))).action.delay};
    for (int i = 0; i < 6; ++i)
      out.push_back(h.step(h.machine.on_polled(make_task("tk"), at(t0 + 1000))).action.delay);
    return out;
  };
  EXPECT_EQ(delays(7), delays(7));
  EXPECT_NE(delays(7), delays(8));
}

// --- resume from every journal phase ----------------------------------------------------------

// The durable state a journal holds after `records`, for run "r-1".
run_state replayed(const std::vector<journal_record>& records) {
  journal_state s;
  for (const auto& r : records) {
    auto problem = s.apply(r);
    EXPECT_FALSE(problem) << *problem;
  }
  return *s.find_run("r-1");
}

harness resumed(const std::vector<journal_record>& records) {
  harness h(run_machine::resume(replayed(records), polling(), seed));
  for (const auto& r : records) h.durable.apply(r);
  return h;
}

TEST(RunMachineResume, IntendedLooksUpBeforeAnything) {
  harness h = resumed({make_intent()});
  run_step s = h.step(h.machine.start(at(t0 + 60'000)));
  EXPECT_TRUE(s.records.empty()) << "the intent is already durable";
  EXPECT_EQ(s.action.kind, action_kind::lookup);
  // Not found: the resubmission is recorded before the POST.
  s = h.step(h.machine.on_lookup(nullptr, at(t0 + 61'000)));
  only_record<resubmit_record>(s);
  if (s.action.kind == action_kind::wait) s = h.step(h.machine.on_timer(at(t0 + 70'000)));
  EXPECT_EQ(s.action.kind, action_kind::submit);
}

TEST(RunMachineResume, IntendedAfterAResubmitStillLooksUp) {
  harness h = resumed({make_intent(), resubmit_record{"r-1", "in doubt", t0 + 5}});
  EXPECT_EQ(h.machine.state().resubmits, 1u);
  EXPECT_EQ(h.step(h.machine.start(at(t0 + 60'000))).action.kind, action_kind::lookup);
}

TEST(RunMachineResume, SubmittedPolls) {
  harness h = resumed({make_intent(), submitted_record{"r-1", "tk-9", false, t0 + 10}});
  run_step s = h.step(h.machine.start(at(t0 + 60'000)));
  EXPECT_TRUE(s.records.empty());
  EXPECT_EQ(s.action.kind, action_kind::poll);
  EXPECT_EQ(h.machine.state().task, "tk-9");
  // The give-up clock runs from the recorded submission, not from the restart.
  s = h.step(
      h.machine.on_polled(make_task("tk-9"), at(t0 + 10 + milliseconds(hours(1)).count() + 1)));
  only_record<gave_up_record>(s);
}

TEST(RunMachineResume, FinishedDismisses) {
  harness h = resumed({make_intent(), submitted_record{"r-1", "tk-9", false, t0 + 10},
                       finished_record{"r-1", "done", "", 4, t0 + 20}});
  run_step s = h.step(h.machine.start(at(t0 + 60'000)));
  EXPECT_TRUE(s.records.empty());
  EXPECT_EQ(s.action.kind, action_kind::dismiss);
  h.step(h.machine.on_dismissed(at(t0 + 61'000)));
  EXPECT_EQ(h.machine.outcome(), run_outcome::dismissed);
}

TEST(RunMachineResume, FinishedWithBackendFailureDismissesAndReportsIt) {
  harness h = resumed({make_intent(), submitted_record{"r-1", "tk-9", false, t0 + 10},
                       finished_record{"r-1", "cancelled", "by user", 0, t0 + 20}});
  EXPECT_EQ(h.step(h.machine.start(at(t0 + 60'000))).action.kind, action_kind::dismiss);
  h.step(h.machine.on_dismissed(at(t0 + 61'000)));
  EXPECT_EQ(h.machine.outcome(), run_outcome::backend_failed);
}

TEST(RunMachineResume, FinishedWithoutDismissIsDone) {
  harness h = resumed({make_intent(false), submitted_record{"r-1", "tk-9", false, t0 + 10},
                       finished_record{"r-1", "done", "", 4, t0 + 20}});
  run_step s = h.step(h.machine.start(at(t0 + 60'000)));
  EXPECT_EQ(s.action.kind, action_kind::finish);
  EXPECT_EQ(h.machine.outcome(), run_outcome::finished);
}

struct terminal_case {
  const char* name;
  std::vector<journal_record> records;
  run_outcome outcome;
};

TEST(RunMachineResume, TerminalPhasesFinishWithTheirOutcome) {
  const submitted_record sub{"r-1", "tk-9", false, t0 + 10};
  const std::vector<terminal_case> cases = {
      {"dismissed",
       {make_intent(), sub, finished_record{"r-1", "done", "", 1, t0 + 20},
        dismissed_record{"r-1", t0 + 30}},
       run_outcome::dismissed},
      {"dismissed after failure",
       {make_intent(), sub, finished_record{"r-1", "error", "boom", 0, t0 + 20},
        dismissed_record{"r-1", t0 + 30}},
       run_outcome::backend_failed},
      {"not dismissed after failure",
       {make_intent(false), sub, finished_record{"r-1", "failed", "boom", 0, t0 + 20}},
       run_outcome::backend_failed},
      {"rejected",
       {make_intent(), failed_record{"r-1", 400, "bad search", t0 + 5}},
       run_outcome::rejected},
      {"rejected with 404 (wrong endpoint)",
       {make_intent(), failed_record{"r-1", 404, "404 Not Found", t0 + 5}},
       run_outcome::rejected},
      {"lost", {make_intent(), sub, failed_record{"r-1", 404, "gone", t0 + 40}}, run_outcome::lost},
      {"gave up", {make_intent(), sub, gave_up_record{"r-1", t0 + 50}}, run_outcome::gave_up},
      {"gave up before a task",
       {make_intent(), gave_up_record{"r-1", t0 + 50}},
       run_outcome::gave_up},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    harness h = resumed(c.records);
    run_step s = h.step(h.machine.start(at(t0 + 60'000)));
    EXPECT_TRUE(s.records.empty());
    EXPECT_EQ(s.action.kind, action_kind::finish);
    EXPECT_EQ(h.machine.outcome(), c.outcome) << to_string(h.machine.outcome());
  }
}

// The live outcome and the outcome a restart reads back from the journal agree.
TEST(RunMachineResume, ResumedOutcomeMatchesLiveOutcome) {
  auto check = [](harness& h) {
    // Rebuild the run from what is durable and compare.
    run_machine again = run_machine::resume(*h.on_disk(), polling(), seed);
    again.start(at(t0 + milliseconds(hours(2)).count()));
    EXPECT_EQ(again.outcome(), h.machine.outcome()) << to_string(h.machine.outcome());
  };
  {
    harness h = started();
    h.step(h.machine.on_submit_failed(http_failure(http_method_kind::post, 404), at(t0 + 5)));
    check(h);
  }
  {
    harness h = started();
    h.step(h.machine.on_submit_failed(http_failure(http_method_kind::post, 400), at(t0 + 5)));
    check(h);
  }
  {
    harness h = polling_run();
    for (unsigned i = 0; i <= run_machine::not_found_tolerated; ++i)
      h.step(h.machine.on_poll_failed(http_failure(http_method_kind::get, 404), at(t0 + 5000)));
    check(h);
  }
  {
    harness h = polling_run();
    h.step(h.machine.on_polled(make_task("tk-1", "failed"), at(t0 + 5000)));
    h.step(h.machine.on_dismissed(at(t0 + 6000)));
    check(h);
  }
}

// A crash can happen after any step: what the journal holds then must resume safely. An
// intent without a task id always resumes with a lookup, never a blind submit.
TEST(RunMachineResume, CrashAfterEveryStepResumesSafely) {
  harness h = started();
  std::vector<run_state> snapshots{*h.on_disk()};
  auto record = [&](run_step s) {
    h.step(std::move(s));
    snapshots.push_back(*h.on_disk());
  };
  record(h.machine.on_submit_failed(http_failure(http_method_kind::post, 503), at(t0 + 10)));
  record(h.machine.on_timer(at(t0 + 2000)));
  record(h.machine.on_submit_failed(http_failure(http_method_kind::post, 502), at(t0 + 2100)));
  record(h.machine.on_lookup(nullptr, at(t0 + 2200)));
  record(h.machine.on_submitted(make_task("tk-1"), at(t0 + 2300)));
  record(h.machine.on_timer(at(t0 + 4000)));
  record(h.machine.on_polled(make_task("tk-1", "started"), at(t0 + 4100)));
  record(h.machine.on_timer(at(t0 + 9000)));
  record(h.machine.on_polled(make_task("tk-1", "done"), at(t0 + 9100)));
  record(h.machine.on_dismiss_failed(http_failure(http_method_kind::patch, 502), at(t0 + 9200)));
  record(h.machine.on_timer(at(t0 + 12000)));
  record(h.machine.on_dismissed(at(t0 + 12100)));
  EXPECT_EQ(h.machine.outcome(), run_outcome::dismissed);

  for (std::size_t i = 0; i < snapshots.size(); ++i) {
    SCOPED_TRACE("crash after step " + std::to_string(i));
    run_machine m = run_machine::resume(snapshots[i], polling(), seed);
    run_step s = m.start(at(t0 + 20'000));
    EXPECT_TRUE(s.records.empty());
    switch (snapshots[i].phase) {
      case run_phase::intended:
        EXPECT_EQ(s.action.kind, action_kind::lookup);
        break;
      case run_phase::submitted:
        EXPECT_EQ(s.action.kind, action_kind::poll);
        break;
      case run_phase::finished:
        EXPECT_EQ(s.action.kind, action_kind::dismiss);
        break;
      default:
        EXPECT_EQ(s.action.kind, action_kind::finish);
        EXPECT_EQ(m.outcome(), run_outcome::dismissed);
    }
  }
}

TEST(RunMachine, OutcomeNames) {
  EXPECT_STREQ(to_string(run_outcome::none), "running");
  EXPECT_STREQ(to_string(run_outcome::dismissed), "done");
  EXPECT_STREQ(to_string(run_outcome::rejected), "rejected");
  EXPECT_STREQ(to_string(run_outcome::stalled), "stalled");
}

}  // namespace
}  // namespace zefortd
