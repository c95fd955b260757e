// JSON encoding of journal records: {"t": "<kind>", ...fields}. Readable with any JSON tool,
// and unknown fields are ignored so that a newer zefortd can add some.
#include "core/journal_records.hpp"

#include <boost/json.hpp>

namespace zefortd {
namespace json = boost::json;
namespace {

struct encoder {
  json::object out;

  void operator()(const intent_record& r) {
    out["t"] = "intent";
    out["run"] = r.run;
    out["job"] = r.job;
    out["rev"] = r.revision;
    if (!r.batch.empty()) out["batch"] = r.batch;
    out["endpoint"] = r.endpoint;
    out["body"] = r.body;
    out["dismiss"] = r.dismiss;
    out["at"] = r.at;
  }
  void operator()(const submitted_record& r) {
    out["t"] = "submitted";
    out["run"] = r.run;
    out["task"] = r.task;
    if (r.adopted) out["adopted"] = true;
    out["at"] = r.at;
  }
  void operator()(const resubmit_record& r) {
    out["t"] = "resubmit";
    out["run"] = r.run;
    out["reason"] = r.reason;
    out["at"] = r.at;
  }
  void operator()(const finished_record& r) {
    out["t"] = "finished";
    out["run"] = r.run;
    out["status"] = r.status;
    out["info"] = r.info;
    out["contracts"] = r.contracts;
    out["at"] = r.at;
  }
  void operator()(const dismissed_record& r) {
    out["t"] = "dismissed";
    out["run"] = r.run;
    out["at"] = r.at;
  }
  void operator()(const failed_record& r) {
    out["t"] = "failed";
    out["run"] = r.run;
    out["status"] = r.status;
    out["message"] = r.message;
    out["at"] = r.at;
  }
  void operator()(const gave_up_record& r) {
    out["t"] = "gave_up";
    out["run"] = r.run;
    out["at"] = r.at;
  }
  void operator()(const batch_record& r) {
    out["t"] = "batch";
    out["batch"] = r.batch;
    json::array jobs;
    for (const auto& j : r.jobs) jobs.emplace_back(j);
    out["jobs"] = std::move(jobs);
    out["at"] = r.at;
  }
  void operator()(const batch_end_record& r) {
    out["t"] = "batch_end";
    out["batch"] = r.batch;
    out["at"] = r.at;
  }
  void operator()(const task_seen_record& r) {
    out["t"] = "task_seen";
    out["task"] = r.task;
  }
  void operator()(const revision_seen_record& r) {
    out["t"] = "revision_seen";
    out["job"] = r.job;
    out["rev"] = r.revision;
  }
};

// Field readers that record the first problem instead of throwing.
struct reader {
  const json::object& o;
  std::string problem;

  std::string str(std::string_view key, bool required = true) {
    auto* v = o.if_contains(key);
    if (v && v->is_string()) return std::string(v->get_string());
    if (required && problem.empty()) problem = "field '" + std::string(key) + "' missing";
    return {};
  }
  std::int64_t num(std::string_view key) {
    auto* v = o.if_contains(key);
    if (v && v->is_int64()) return v->get_int64();
    if (v && v->is_uint64()) return static_cast<std::int64_t>(v->get_uint64());
    return 0;
  }
  bool flag(std::string_view key, bool fallback) {
    auto* v = o.if_contains(key);
    return v && v->is_bool() ? v->get_bool() : fallback;
  }
};

}  // namespace

std::string encode_record(const journal_record& record) {
  encoder e;
  std::visit(e, record);
  return json::serialize(e.out);
}

std::optional<journal_record> decode_record(std::string_view payload, std::string& error) {
  // Replay decodes every record of the journal: parse into a reused arena, not the heap.
  thread_local unsigned char arena[8192];
  json::monotonic_resource scratch(arena, sizeof arena);
  boost::system::error_code ec;
  json::value v = json::parse(payload, ec, &scratch);
  if (ec || !v.is_object()) {
    error = "record is not a JSON object";
    return std::nullopt;
  }
  const auto& o = v.get_object();
  reader r{o, {}};
  std::string t = r.str("t");
  std::optional<journal_record> out;
  if (t == "intent") {
    intent_record x{r.str("run"),
                    r.str("job"),
                    r.str("rev"),
                    r.str("batch", false),
                    r.str("endpoint"),
                    {},
                    r.flag("dismiss", true),
                    r.num("at")};
    if (auto* b = o.if_contains("body"); b && b->is_object())
      x.body = json::object(b->get_object(), json::storage_ptr());  // off the arena
    else if (r.problem.empty())
      r.problem = "field 'body' missing";
    out = std::move(x);
  } else if (t == "submitted") {
    out = submitted_record{r.str("run"), r.str("task"), r.flag("adopted", false), r.num("at")};
  } else if (t == "resubmit") {
    out = resubmit_record{r.str("run"), r.str("reason", false), r.num("at")};
  } else if (t == "finished") {
    out = finished_record{r.str("run"), r.str("status"), r.str("info", false),
                          static_cast<std::uint64_t>(r.num("contracts")), r.num("at")};
  } else if (t == "dismissed") {
    out = dismissed_record{r.str("run"), r.num("at")};
  } else if (t == "failed") {
    out = failed_record{r.str("run"), static_cast<unsigned>(r.num("status")),
                        r.str("message", false), r.num("at")};
  } else if (t == "gave_up") {
    out = gave_up_record{r.str("run"), r.num("at")};
  } else if (t == "batch") {
    batch_record x{r.str("batch"), {}, r.num("at")};
    if (auto* jobs = o.if_contains("jobs"); jobs && jobs->is_array())
      for (const auto& j : jobs->get_array())
        if (j.is_string()) x.jobs.emplace_back(j.get_string());
    out = std::move(x);
  } else if (t == "batch_end") {
    out = batch_end_record{r.str("batch"), r.num("at")};
  } else if (t == "task_seen") {
    out = task_seen_record{r.str("task")};
  } else if (t == "revision_seen") {
    out = revision_seen_record{r.str("job"), r.str("rev")};
  } else if (r.problem.empty()) {
    r.problem = "unknown record type '" + t + "'";
  }
  if (!r.problem.empty()) {
    error = r.problem;
    return std::nullopt;
  }
  return out;
}

}  // namespace zefortd
