// JSON encoding of journal records: {"t": "<kind>", ...fields}. Readable with any JSON tool,
// and unknown fields are ignored so that a newer zefortd can add some.
#include "core/journal_records.hpp"

#include <algorithm>
#include <boost/json.hpp>
#include <iterator>

#include "core/json_fields.hpp"

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
  void operator()(const lost_record& r) {
    out["t"] = "lost";
    out["stretches"] = r.stretches;
    out["at"] = r.at;
  }
  void operator()(const census_record& r) {
    out["t"] = "census";
    out["tasks"] = strings(r.tasks);
    out["at"] = r.at;
  }
  void operator()(const orphan_record& r) {
    out["t"] = "orphan";
    out["task"] = r.task;
    if (r.dismissed) out["dismissed"] = true;
    out["at"] = r.at;
  }
  void operator()(const duplicate_record& r) {
    out["t"] = "possible_duplicate";
    out["run"] = r.run;
    out["reason"] = r.reason;
    out["tasks"] = strings(r.tasks);
    out["at"] = r.at;
  }

  static json::array strings(const std::vector<std::string>& v) {
    json::array a;
    for (const auto& s : v) a.emplace_back(s);
    return a;
  }

  void operator()(const slot_record& r) {
    out["t"] = "slot";
    out["job"] = r.job;
    out["schedule"] = r.schedule;
    out["slot"] = r.slot;
    out["outcome"] = to_string(r.outcome);
    if (r.missed) out["missed"] = r.missed;
    out["at"] = r.at;
  }
};

// Field readers over one record's top-level fields that record the first problem instead of
// throwing.
struct reader {
  json_fields& fields;
  std::string problem;

  std::string str(std::string_view key, bool required = true) {
    auto* v = fields.find(key);
    if (v && v->type == json_fields::kind::string) return std::string(v->text);
    if (required && problem.empty()) problem = "field '" + std::string(key) + "' missing";
    return {};
  }
  std::int64_t num(std::string_view key) {
    auto* v = fields.find(key);
    if (v && v->type == json_fields::kind::int64) return v->int64;
    if (v && v->type == json_fields::kind::uint64) return static_cast<std::int64_t>(v->uint64);
    return 0;
  }
  bool flag(std::string_view key, bool fallback) {
    auto* v = fields.find(key);
    return v && v->type == json_fields::kind::boolean ? v->boolean : fallback;
  }
  // An object or array field, to be taken by moving (it lives on the default heap).
  json::value* nested(std::string_view key) {
    auto* v = fields.find(key);
    return v && v->type == json_fields::kind::nested ? &v->nested : nullptr;
  }
};

// One decoder per record type. Braced initialisers evaluate in order, so the first missing
// field is the one named.
journal_record decode_intent(reader& r) {
  intent_record x{r.str("run"),
                  r.str("job"),
                  r.str("rev"),
                  r.str("batch", false),
                  r.str("endpoint"),
                  {},
                  r.flag("dismiss", true),
                  r.num("at")};
  if (auto* b = r.nested("body"); b && b->is_object())
    x.body = std::move(b->get_object());  // built on the heap once: moved, not copied
  else if (r.problem.empty())
    r.problem = "field 'body' missing";
  return x;
}

journal_record decode_submitted(reader& r) {
  return submitted_record{r.str("run"), r.str("task"), r.flag("adopted", false), r.num("at")};
}

journal_record decode_resubmit(reader& r) {
  return resubmit_record{r.str("run"), r.str("reason", false), r.num("at")};
}

journal_record decode_finished(reader& r) {
  return finished_record{r.str("run"), r.str("status"), r.str("info", false),
                         static_cast<std::uint64_t>(r.num("contracts")), r.num("at")};
}

journal_record decode_dismissed(reader& r) {
  return dismissed_record{r.str("run"), r.num("at")};
}

journal_record decode_failed(reader& r) {
  return failed_record{r.str("run"), static_cast<unsigned>(r.num("status")),
                       r.str("message", false), r.num("at")};
}

journal_record decode_gave_up(reader& r) {
  return gave_up_record{r.str("run"), r.num("at")};
}

journal_record decode_batch(reader& r) {
  batch_record x{r.str("batch"), {}, r.num("at")};
  if (auto* jobs = r.nested("jobs"); jobs && jobs->is_array())
    for (const auto& j : jobs->get_array())
      if (j.is_string()) x.jobs.emplace_back(j.get_string());
  return x;
}

journal_record decode_batch_end(reader& r) {
  return batch_end_record{r.str("batch"), r.num("at")};
}

journal_record decode_task_seen(reader& r) {
  return task_seen_record{r.str("task")};
}

journal_record decode_revision_seen(reader& r) {
  return revision_seen_record{r.str("job"), r.str("rev")};
}

std::vector<std::string> strings_of(reader& r, std::string_view key) {
  std::vector<std::string> out;
  if (auto* a = r.nested(key); a && a->is_array())
    for (const auto& v : a->get_array())
      if (v.is_string()) out.emplace_back(v.get_string());
  return out;
}

journal_record decode_lost(reader& r) {
  return lost_record{static_cast<std::uint64_t>(r.num("stretches")), r.num("at")};
}

journal_record decode_census(reader& r) {
  return census_record{strings_of(r, "tasks"), r.num("at")};
}

journal_record decode_orphan(reader& r) {
  return orphan_record{r.str("task"), r.flag("dismissed", false), r.num("at")};
}

journal_record decode_duplicate(reader& r) {
  duplicate_record x{r.str("run"), r.str("reason", false), {}, 0};
  x.tasks = strings_of(r, "tasks");
  x.at = r.num("at");
  return x;
}

journal_record decode_slot(reader& r) {
  slot_record x{r.str("job"),
                r.str("schedule"),
                r.num("slot"),
                slot_outcome::fired,
                static_cast<std::uint64_t>(r.num("missed")),
                r.num("at")};
  const std::string outcome = r.str("outcome");
  if (outcome == "skipped")
    x.outcome = slot_outcome::skipped;
  else if (outcome == "missed")
    x.outcome = slot_outcome::missed;
  else if (outcome != "fired" && r.problem.empty())
    r.problem = "unknown slot outcome '" + outcome + "'";
  return x;
}

struct record_type {
  std::string_view name;  // the "t" field
  journal_record (*decode)(reader&);
};

constexpr record_type record_types[] = {
    {"intent", decode_intent},
    {"submitted", decode_submitted},
    {"resubmit", decode_resubmit},
    {"finished", decode_finished},
    {"dismissed", decode_dismissed},
    {"failed", decode_failed},
    {"gave_up", decode_gave_up},
    {"batch", decode_batch},
    {"batch_end", decode_batch_end},
    {"task_seen", decode_task_seen},
    {"revision_seen", decode_revision_seen},
    {"census", decode_census},
    {"orphan", decode_orphan},
    {"possible_duplicate", decode_duplicate},
    {"slot", decode_slot},
    {"lost", decode_lost},
};

}  // namespace

const char* to_string(slot_outcome o) {
  switch (o) {
    case slot_outcome::fired:
      return "fired";
    case slot_outcome::skipped:
      return "skipped";
    case slot_outcome::missed:
      return "missed";
  }
  return "?";
}

std::string encode_record(const journal_record& record) {
  encoder e;
  std::visit(e, record);
  return json::serialize(e.out);
}

std::optional<journal_record> decode_record(std::string_view payload, std::string& error) {
  // Replay decodes every record of the journal: one SAX parser per thread, its buffers reused,
  // and no DOM for the record itself.
  thread_local json_fields fields;
  if (!fields.parse(payload)) {
    error = "record is not a JSON object";
    return std::nullopt;
  }
  reader r{fields, {}};
  const std::string t = r.str("t");
  std::optional<journal_record> out;
  const auto* type = std::find_if(std::begin(record_types), std::end(record_types),
                                  [&](const record_type& k) { return k.name == t; });
  if (type != std::end(record_types))
    out = type->decode(r);
  else if (r.problem.empty())
    r.problem = "unknown record type '" + t + "'";
  if (!r.problem.empty()) {
    error = r.problem;
    return std::nullopt;
  }
  return out;
}

}  // namespace zefortd
