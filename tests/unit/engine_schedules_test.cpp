// Tests for the engine's scheduled jobs under serve, driven by hand with an injected clock: a
// fired slot's record precedes its intent in the same commit, before the POST; overlap skip and
// allow; a restart from the journal never fires a slot twice; stop fires nothing more.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <boost/url/parse.hpp>

#include "core/engine.hpp"

namespace zefortd {
namespace {

namespace json = boost::json;
constexpr unix_ms wall0 = 1'700'000'000'000;  // a whole second
constexpr steady_ms steady0 = 5'000'000;

config every_second(overlap_policy overlap) {
  config cfg;
  cfg.file = "/test/zefortd.yaml";
  cfg.api.base_url = *boost::urls::parse_uri("https://api.test/api/");
  cfg.api.connections = 4;
  cfg.api.rate_limit = 0;
  cfg.polling.initial_delay = std::chrono::seconds(2);
  cfg.polling.max_delay = std::chrono::seconds(60);
  cfg.polling.give_up_after = std::chrono::hours(1);
  cfg.polling.list_above = 0;
  job_config j;
  j.name = "tick";
  j.payload = json::object{{"status", "done"}, {"search", json::object{{"q", "x"}}}};
  j.schedule = "@every 1s";
  j.parsed_schedule = *parse_schedule("@every 1s");
  j.overlap = overlap;
  cfg.jobs.push_back(std::move(j));
  return cfg;
}

// Performs the engine's actions by hand, keeping every record in commit order.
struct driver {
  explicit driver(config cfg, journal_state st = {}) : e(std::move(cfg), std::move(st), 7) {}

  instant now() const { return {steady, wall}; }
  void drain() {
    while (auto a = e.next_action()) {
      if (auto* c = std::get_if<actions::commit>(&*a)) {
        commits.push_back(c->records);
        ids.push_back(c->id);
      } else if (auto* s = std::get_if<actions::send>(&*a)) {
        sent.push_back(s->request);
      } else if (auto* t = std::get_if<actions::arm_timer>(&*a)) {
        timer = t->at;
      }
    }
  }
  void sync() {
    for (auto id : ids) {
      e.on_committed(id, now());
      drain();
    }
    ids.clear();
  }
  void advance_to_timer() {
    ASSERT_NE(timer, steady_never);
    wall += timer - steady;
    steady = timer;
    timer = steady_never;
    e.on_timer(now());
    drain();
  }
  std::vector<journal_record> all() const {
    std::vector<journal_record> out;
    for (const auto& c : commits) out.insert(out.end(), c.begin(), c.end());
    return out;
  }
  template <class R>
  std::size_t count() const {
    std::size_t n = 0;
    for (const auto& r : all()) n += std::holds_alternative<R>(r);
    return n;
  }
  std::size_t slots(slot_outcome o) const {
    std::size_t n = 0;
    for (const auto& r : all())
      if (auto* s = std::get_if<slot_record>(&r)) n += s->outcome == o;
    return n;
  }

  engine e;
  steady_ms steady = steady0;
  unix_ms wall = wall0;
  std::vector<std::vector<journal_record>> commits;
  std::vector<std::uint64_t> ids;
  std::vector<transport_request> sent;
  steady_ms timer = steady_never;
};

TEST(EngineSchedules, AFiredSlotIsJournaledWithItsIntentBeforeThePost) {
  driver d(every_second(overlap_policy::skip));
  d.e.start_serve(d.now());
  d.drain();
  ASSERT_EQ(d.commits.size(), 1u);
  const auto& first = d.commits[0];
  ASSERT_EQ(first.size(), 2u);
  const auto* slot = std::get_if<slot_record>(&first[0]);
  ASSERT_NE(slot, nullptr) << "the slot comes first";
  EXPECT_EQ(slot->outcome, slot_outcome::fired);
  EXPECT_EQ(slot->slot, wall0);
  ASSERT_TRUE(std::holds_alternative<intent_record>(first[1]));
  EXPECT_EQ(std::get<intent_record>(first[1]).job, "tick");
  EXPECT_TRUE(d.sent.empty()) << "nothing leaves before the commit is durable";
  d.sync();
  ASSERT_EQ(d.sent.size(), 1u);
  EXPECT_EQ(d.sent[0].method, http_method::post);
  ASSERT_TRUE(d.e.next_fire());
  EXPECT_EQ(d.e.next_fire()->time_since_epoch(), std::chrono::milliseconds(wall0 + 1000));
}

TEST(EngineSchedules, OverlapSkipJournalsTheSkippedSlotAndAllowFiresAgain) {
  driver skip(every_second(overlap_policy::skip));
  driver allow(every_second(overlap_policy::allow));
  for (driver* d : {&skip, &allow}) {
    d->e.start_serve(d->now());
    d->drain();
    d->sync();
    d->advance_to_timer();  // one second later, the first run's POST unanswered: still open
    d->sync();
  }
  EXPECT_EQ(skip.slots(slot_outcome::fired), 1u);
  EXPECT_EQ(skip.slots(slot_outcome::skipped), 1u);
  EXPECT_EQ(skip.count<intent_record>(), 1u);
  EXPECT_EQ(allow.slots(slot_outcome::fired), 2u);
  EXPECT_EQ(allow.count<intent_record>(), 2u);
}

TEST(EngineSchedules, ARestartFromTheJournalNeverFiresASlotTwice) {
  driver before(every_second(overlap_policy::allow));
  before.e.start_serve(before.now());
  before.drain();
  before.sync();
  // Killed; started again 400 ms later with what was durable.
  journal_state replayed;
  for (const auto& r : before.all()) ASSERT_FALSE(replayed.apply(r));
  driver after(every_second(overlap_policy::allow), std::move(replayed));
  after.wall = before.wall + 400;
  after.e.start_serve(after.now());
  after.drain();
  EXPECT_EQ(after.slots(slot_outcome::fired), 0u) << "the slot at start has fired already";
  // The open run resumes, and the next slot is the one a second after the first.
  after.sync();
  after.advance_to_timer();
  ASSERT_EQ(after.slots(slot_outcome::fired), 1u);
  for (const auto& r : after.all())
    if (auto* s = std::get_if<slot_record>(&r)) EXPECT_EQ(s->slot, wall0 + 1000);
}

TEST(EngineSchedules, StopFiresNothingMore) {
  driver d(every_second(overlap_policy::allow));
  d.e.start_serve(d.now());
  d.drain();
  d.sync();
  d.e.stop(d.now());
  d.drain();
  d.wall += 5000;
  d.steady += 5000;
  d.e.on_timer(d.now());
  d.drain();
  EXPECT_EQ(d.slots(slot_outcome::fired), 1u);
}

}  // namespace
}  // namespace zefortd
