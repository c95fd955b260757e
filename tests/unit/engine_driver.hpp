// What the engine tests share: values (configs, intents, task JSON) and a driver that performs
// the engine's actions by hand, recording what it asked for.
#pragma once

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <boost/url/parse.hpp>

#include "core/engine.hpp"

namespace zefortd::engine_testing {

namespace json = boost::json;
inline constexpr unix_ms wall0 = 1'700'000'000'000;
inline constexpr steady_ms steady0 = 5'000'000;

inline json::object body_of(int n) {
  return json::object{{"attributes", json::object{{"n", n}}},
                      {"status", "done"},
                      {"search", json::object{{"q", "job " + std::to_string(n)}}}};
}

inline config make_config(int jobs, unsigned connections = 4) {
  config cfg;
  cfg.file = "/test/zefortd.yaml";
  cfg.api.base_url = *boost::urls::parse_uri("https://api.test/api/");
  cfg.api.connections = connections;
  cfg.api.rate_limit = 0;
  cfg.polling.initial_delay = std::chrono::seconds(2);
  cfg.polling.max_delay = std::chrono::seconds(60);
  cfg.polling.give_up_after = std::chrono::hours(1);
  cfg.polling.list_above = 0;
  for (int i = 0; i < jobs; ++i) {
    job_config j;
    j.name = "job-" + std::to_string(i);
    j.payload = body_of(i);
    cfg.jobs.push_back(std::move(j));
  }
  return cfg;
}

inline intent_record intent(const std::string& run, int job, const std::string& batch) {
  intent_record r;
  r.run = run;
  r.job = "job-" + std::to_string(job);
  r.revision = "rev";
  r.batch = batch;
  r.endpoint = "contracts/bulk_update/";
  r.body = body_of(job);
  r.at = wall0 - 1000;
  return r;
}

inline journal_state state_of(const std::vector<journal_record>& records) {
  journal_state s;
  for (const auto& r : records) EXPECT_FALSE(s.apply(r));
  return s;
}

inline std::string task_json(const std::string& id, const std::string& status,
                      const json::object* data = nullptr) {
  json::object t{{"id", id}, {"backend_status", status}, {"frontend_status", "pending"}};
  t["details"] = json::object{{"data", data ? json::value(*data) : json::value(json::object{})}};
  return json::serialize(t);
}

inline transport_result answer(unsigned status, std::string body) {
  transport_result r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

// Performs the engine's actions by hand: records what it asked for.
struct driver {
  explicit driver(config cfg, journal_state st = {}) : e(std::move(cfg), std::move(st), 7) {}

  instant now() const { return {steady, wall}; }
  void drain() {
    while (auto a = e.next_action()) {
      if (auto* c = std::get_if<actions::commit>(&*a)) {
        for (auto& r : c->records) records.push_back(r);
        commits.push_back(c->id);
      } else if (auto* s = std::get_if<actions::send>(&*a)) {
        sent.push_back(s->request);
      } else if (auto* t = std::get_if<actions::arm_timer>(&*a)) {
        timer = t->at;
      } else if (std::holds_alternative<actions::drop_connections>(*a)) {
        dropped = true;
      } else if (auto* x = std::get_if<actions::exit>(&*a)) {
        exit_status = x->status;
      }
    }
  }
  // Every commit handed out becomes durable.
  void sync() {
    while (!commits.empty()) {
      auto id = commits.front();
      commits.erase(commits.begin());
      e.on_committed(id, now());
      drain();
    }
  }
  transport_request take(std::size_t i = 0) {
    auto r = sent.at(i);
    sent.erase(sent.begin() + static_cast<std::ptrdiff_t>(i));
    return r;
  }
  void reply(const transport_request& r, transport_result result) {
    e.on_response(r.id, result, now());
    drain();
  }
  void advance_to_timer() {
    ASSERT_NE(timer, steady_never);
    wall += timer - steady;
    steady = timer;
    timer = steady_never;
    e.on_timer(now());
    drain();
  }
  template <class R>
  std::size_t count_records() const {
    std::size_t n = 0;
    for (const auto& r : records) n += std::holds_alternative<R>(r);
    return n;
  }

  engine e;
  steady_ms steady = steady0;
  unix_ms wall = wall0;
  std::vector<journal_record> records;
  std::vector<std::uint64_t> commits;
  std::vector<transport_request> sent;
  steady_ms timer = steady_never;
  bool dropped = false;
  int exit_status = -1;
};

inline std::vector<journal_record> whole_run(const std::string& run, int job, const std::string& batch,
                                      const std::string& task) {
  return {intent(run, job, batch), submitted_record{run, task, false, wall0 - 900},
          finished_record{run, "done", "", 1, wall0 - 800}, dismissed_record{run, wall0 - 700}};
}

}  // namespace zefortd::engine_testing
