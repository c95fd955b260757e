// Tests for the engine's answers to an overloaded API and to a refused key, driven by hand with
// an injected clock: 429s slow the pace and say so in an event, a refused key stops `run` at
// once with status 3 and pauses `serve` with a slow probe that resumes the work.
#include <gtest/gtest.h>

#include <map>

#include "core/exit_code.hpp"
#include "engine_driver.hpp"

namespace zefortd {
namespace {

using namespace engine_testing;

std::vector<std::string> job_names(int n) {
  std::vector<std::string> names;
  for (int i = 0; i < n; ++i) names.push_back("job-" + std::to_string(i));
  return names;
}

TEST(EnginePacing, Repeated429sHalveTheWindowAndAreReported) {
  config cfg = make_config(8, 4);
  cfg.api.rate_limit = 100;
  driver d(cfg);
  std::vector<events::pacing_changed> changes;
  d.e.subscribe([&](const event& e) {
    if (auto* p = std::get_if<events::pacing_changed>(&e)) changes.push_back(*p);
  });
  d.e.start_batch(job_names(8), d.now());
  d.drain();
  d.sync();
  ASSERT_EQ(d.sent.size(), 4u);
  // 429 after 429: once they are a share of the recent answers, the pace is cut.
  int throttled = 0;
  while (changes.empty() && throttled < 40) {
    d.sync();
    while (d.sent.empty() && d.timer != steady_never) {
      d.advance_to_timer();
      d.sync();
    }
    ASSERT_FALSE(d.sent.empty());
    d.steady += 5;
    d.reply(d.take(), answer(429, R"({"detail":"slow down"})"));
    ++throttled;
  }
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(throttled, static_cast<int>(pacer::throttle_share));
  EXPECT_TRUE(changes[0].slower);
  EXPECT_DOUBLE_EQ(changes[0].rate_per_second, 50);
  EXPECT_EQ(changes[0].concurrency, 2u);
  // What was in flight was sent at the old pace: its 429s change nothing more.
  while (!d.sent.empty()) d.reply(d.take(), answer(429, "{}"));
  EXPECT_EQ(changes.size(), 1u);
}

TEST(EnginePacing, ARefusedKeyStopsARunAfterTheRequestsInFlight) {
  driver d(make_config(10, 3));
  std::vector<std::string> refused;
  d.e.subscribe([&](const event& e) {
    if (auto* k = std::get_if<events::key_refused>(&e)) refused.emplace_back(k->message);
  });
  d.e.start_batch(job_names(10), d.now());
  d.drain();
  d.sync();
  ASSERT_EQ(d.sent.size(), 3u);
  d.reply(d.take(), answer(401, R"({"detail":"Invalid API key."})"));
  ASSERT_EQ(refused.size(), 1u);
  EXPECT_NE(refused[0].find("401"), std::string::npos) << refused[0];
  EXPECT_TRUE(d.dropped) << "the requests in flight are cut off";
  EXPECT_EQ(d.sent.size(), 2u) << "nothing new leaves: the two in flight are all";
  transport_result aborted;
  aborted.ec = make_error_code(boost::system::errc::operation_canceled);
  d.reply(d.take(), answer(403, "{}"));
  d.reply(d.take(), aborted);
  d.sync();
  EXPECT_EQ(refused.size(), 1u) << "said once";
  EXPECT_TRUE(d.sent.empty());
  EXPECT_EQ(d.exit_status, exit_code::refused);
  EXPECT_EQ(d.count_records<failed_record>(), 0u) << "no run is failed for the key's sake";
  EXPECT_EQ(d.count_records<intent_record>(), 3u) << "the three stay open and resume next time";
}

TEST(EnginePacing, ServeKeepsItsStateWhileTheKeyIsRefusedAndProbesSlowly) {
  config cfg = make_config(2, 2);
  driver d(cfg);
  std::vector<steady_ms> retry_in;
  int accepted = 0;
  d.e.subscribe([&](const event& e) {
    if (auto* k = std::get_if<events::key_refused>(&e)) retry_in.push_back(k->retry_in);
    if (std::holds_alternative<events::key_accepted>(e)) ++accepted;
  });
  d.e.start_serve(d.now());
  d.drain();
  d.sync();
  ASSERT_EQ(d.sent.size(), 2u);
  d.reply(d.take(), answer(401, "{}"));
  d.reply(d.take(), answer(401, "{}"));
  ASSERT_EQ(retry_in.size(), 1u) << "one pause, however many requests were in flight";
  EXPECT_GE(retry_in[0], 60'000);
  EXPECT_TRUE(d.sent.empty());
  EXPECT_EQ(d.exit_status, -1) << "serve keeps going";
  // The first probe is refused too: the next waits longer.
  const steady_ms paused_at = d.steady;
  d.advance_to_timer();
  EXPECT_GE(d.steady, paused_at + retry_in[0]);
  ASSERT_EQ(d.sent.size(), 1u) << "one probe at a time";
  EXPECT_EQ(d.sent[0].method, http_method::post) << "the request that was refused, again";
  d.reply(d.take(), answer(401, "{}"));
  ASSERT_EQ(retry_in.size(), 2u);
  EXPECT_GT(retry_in[1], retry_in[0]);
  // The key works again: the probe's answer is used and the rest follows.
  d.advance_to_timer();
  ASSERT_EQ(d.sent.size(), 1u);
  d.reply(d.take(), answer(201, task_json("tk-1", "pending")));
  EXPECT_EQ(accepted, 1);
  d.sync();
  ASSERT_EQ(d.sent.size(), 1u) << "the other submission leaves";
  EXPECT_EQ(d.sent[0].method, http_method::post);
  d.reply(d.take(), answer(201, task_json("tk-2", "pending")));
  d.sync();
  EXPECT_EQ(d.count_records<submitted_record>(), 2u);
  EXPECT_EQ(d.count_records<intent_record>(), 2u) << "nothing was submitted anew";
  EXPECT_EQ(d.count_records<failed_record>(), 0u);
}

TEST(EnginePacing, RetriesOfFailedPollsStayWithinTheBudget) {
  // Thirty runs whose every poll fails for two virtual minutes. Unchecked, their backoffs would
  // send 60 retries in the first ten seconds; the budget keeps retries within about 10 + 20% of
  // the requests of any ten seconds.
  driver d(make_config(30, 4));
  d.e.start_batch(job_names(30), d.now());
  d.drain();
  d.sync();
  std::map<std::string, int> polls;  // by target: the first poll of a task is not a retry
  std::map<steady_ms, std::pair<unsigned, unsigned>> by_second;  // sent, retries
  int n = 0;
  while (!d.sent.empty() && n < 30) {
    ++by_second[d.steady / 1000].first;
    d.reply(d.take(), answer(201, task_json("tk-" + std::to_string(n++), "pending")));
    d.sync();
  }
  ASSERT_EQ(n, 30);
  const steady_ms end = d.steady + 120'000;
  while (d.timer != steady_never && d.timer < end) {
    d.advance_to_timer();
    while (!d.sent.empty()) {
      const auto r = d.take();
      auto& b = by_second[d.steady / 1000];
      ++b.first;
      if (polls[r.target]++ > 0) ++b.second;
      d.reply(r, answer(500, "{}"));
    }
  }
  unsigned total = 0;
  for (const auto& [target, count] : polls) total += static_cast<unsigned>(count);
  EXPECT_GT(total, 60u) << "polling went on";
  for (const auto& [second, counts] : by_second) {
    unsigned sent = 0, retries = 0;
    for (auto it = by_second.lower_bound(second - 9); it != by_second.end() && it->first <= second;
         ++it) {
      sent += it->second.first;
      retries += it->second.second;
    }
    EXPECT_LE(retries, pacer::retry_reserve + pacer::retry_ratio * sent + 1)
        << "in the ten seconds up to second " << second << ": " << sent << " sent";
  }
}

}  // namespace
}  // namespace zefortd
