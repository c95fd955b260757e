// Tests for core/journal_records: every record type survives encode/decode, unknown fields are
// ignored, and payloads that are not records are refused with a message.
#include "core/journal_records.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <string>

#include "core/yaml_json.hpp"

namespace zefortd {
namespace {

namespace json = boost::json;

bool same(const intent_record& a, const intent_record& b) {
  return a.run == b.run && a.job == b.job && a.revision == b.revision && a.batch == b.batch &&
         a.endpoint == b.endpoint && a.body == b.body && a.dismiss == b.dismiss && a.at == b.at;
}
bool same(const submitted_record& a, const submitted_record& b) {
  return a.run == b.run && a.task == b.task && a.adopted == b.adopted && a.at == b.at;
}
bool same(const resubmit_record& a, const resubmit_record& b) {
  return a.run == b.run && a.reason == b.reason && a.at == b.at;
}
bool same(const finished_record& a, const finished_record& b) {
  return a.run == b.run && a.status == b.status && a.info == b.info && a.contracts == b.contracts &&
         a.at == b.at;
}
bool same(const dismissed_record& a, const dismissed_record& b) {
  return a.run == b.run && a.at == b.at;
}
bool same(const failed_record& a, const failed_record& b) {
  return a.run == b.run && a.status == b.status && a.message == b.message && a.at == b.at;
}
bool same(const gave_up_record& a, const gave_up_record& b) {
  return a.run == b.run && a.at == b.at;
}
bool same(const batch_record& a, const batch_record& b) {
  return a.batch == b.batch && a.jobs == b.jobs && a.at == b.at;
}
bool same(const batch_end_record& a, const batch_end_record& b) {
  return a.batch == b.batch && a.at == b.at;
}
bool same(const revision_seen_record& a, const revision_seen_record& b) {
  return a.job == b.job && a.revision == b.revision;
}

bool same(const task_seen_record& a, const task_seen_record& b) {
  return a.task == b.task;
}
bool same(const census_record& a, const census_record& b) {
  return a.tasks == b.tasks && a.at == b.at;
}
bool same(const orphan_record& a, const orphan_record& b) {
  return a.task == b.task && a.dismissed == b.dismissed && a.at == b.at;
}
bool same(const duplicate_record& a, const duplicate_record& b) {
  return a.run == b.run && a.reason == b.reason && a.tasks == b.tasks && a.at == b.at;
}
bool same(const slot_record& a, const slot_record& b) {
  return a.job == b.job && a.schedule == b.schedule && a.slot == b.slot &&
         a.outcome == b.outcome && a.missed == b.missed && a.at == b.at;
}
bool same(const lost_record& a, const lost_record& b) {
  return a.stretches == b.stretches && a.at == b.at;
}

bool same(const journal_record& a, const journal_record& b) {
  if (a.index() != b.index()) return false;
  return std::visit([&](const auto& x) { return same(x, std::get<std::decay_t<decltype(x)>>(b)); },
                    a);
}

journal_record round_trip(const journal_record& r) {
  std::string error;
  const std::string text = encode_record(r);
  auto back = decode_record(text, error);
  EXPECT_TRUE(back) << text << ": " << error;
  EXPECT_TRUE(error.empty()) << error;
  return back ? *back : journal_record{};
}

intent_record sample_intent() {
  intent_record r;
  r.run = "r-0123456789ab";
  r.job = "end-contracts-of-service";
  r.revision = "5f2c";
  r.batch = "b-00ff";
  r.endpoint = "contracts/bulk_update/";
  r.body = json::parse(R"({"attributes":{"end_date":"2023-02-15","n":3,"ok":true,"x":null},)"
                       R"("status":"done","search":{"q_tags":"contracts of service \"ü\" \n"}})")
               .as_object();
  r.dismiss = false;
  r.at = 1'700'000'000'123;
  return r;
}

TEST(JournalRecords, EveryTypeRoundTrips) {
  const std::vector<journal_record> records = {
      sample_intent(),
      submitted_record{"r-1", "tk-1", false, 1},
      submitted_record{"r-1", "tk-2", true, 2},
      resubmit_record{"r-1", "in doubt and not in the task list", 3},
      finished_record{"r-1", "done", "", 1234, 4},
      finished_record{"r-1", "failed", "search: bad field", 0, 5},
      dismissed_record{"r-1", 6},
      failed_record{"r-1", 400, "400 Bad Request: search: This field is required.", 7},
      failed_record{"r-1", 0, "", 8},
      gave_up_record{"r-1", 9},
      batch_record{"b-1", {"a", "b.c", "d_e-f"}, 10},
      batch_record{"b-2", {}, 11},
      batch_end_record{"b-1", 12},
      revision_seen_record{"job", "rev"},
      task_seen_record{"tk-3"},
      census_record{{"tk-a", "tk-b"}, 13},
      census_record{{}, 14},
      orphan_record{"tk-c", false, 15},
      orphan_record{"tk-c", true, 16},
      duplicate_record{"r-1", "in doubt; could be tk-a", {"tk-a"}, 17},
      duplicate_record{"r-2", "in doubt", {}, 18},
      slot_record{"job", "@every 1s", 1'700'000'000'000, slot_outcome::fired, 0, 13},
      slot_record{"job", "0 3 * * *", 1'700'000'060'000, slot_outcome::skipped, 2, 14},
      slot_record{"job", "@daily", 1'700'000'120'000, slot_outcome::missed, 12345, 15},
      lost_record{2, 1'700'000'180'000},
  };
  for (const auto& r : records) {
    SCOPED_TRACE(encode_record(r));
    EXPECT_TRUE(same(round_trip(r), r));
  }
}

TEST(JournalRecords, ASlotWithAnUnknownOutcomeIsRefused) {
  std::string error;
  EXPECT_FALSE(decode_record(
      R"({"t":"slot","job":"j","schedule":"@daily","slot":1,"outcome":"maybe","at":2})", error));
  EXPECT_NE(error.find("unknown slot outcome 'maybe'"), std::string::npos) << error;
}

TEST(JournalRecords, IntentWithoutBatchRoundTrips) {
  intent_record r = sample_intent();
  r.batch.clear();
  r.dismiss = true;
  const std::string text = encode_record(r);
  EXPECT_EQ(text.find("\"batch\""), std::string::npos) << "serve runs carry no batch";
  EXPECT_TRUE(same(round_trip(r), r));
}

TEST(JournalRecords, EncodingIsOneJsonObjectWithAType) {
  const json::value v = json::parse(encode_record(submitted_record{"r-1", "tk-1", true, 5}));
  ASSERT_TRUE(v.is_object());
  EXPECT_EQ(v.at("t"), "submitted");
  EXPECT_EQ(v.at("task"), "tk-1");
  EXPECT_EQ(v.at("adopted"), true);
  EXPECT_EQ(v.at("at"), 5);
}

TEST(JournalRecords, LargeValuesSurvive) {
  finished_record f{"r", "done", std::string(10'000, 'x'), 4'000'000'000ULL, 4'102'444'800'000};
  EXPECT_TRUE(same(round_trip(f), f));
}

TEST(JournalRecords, UnknownFieldsAreIgnored) {
  std::string error;
  auto r = decode_record(
      R"({"t":"submitted","run":"r-1","task":"tk-1","at":7,"future":{"x":[1,2]},"zz":null})",
      error);
  ASSERT_TRUE(r) << error;
  EXPECT_TRUE(same(*r, submitted_record{"r-1", "tk-1", false, 7}));

  r = decode_record(R"({"t":"intent","run":"r","job":"j","rev":"v","endpoint":"e","body":{},)"
                    R"("at":1,"priority":9})",
                    error);
  ASSERT_TRUE(r) << error;
  const auto& intent = std::get<intent_record>(*r);
  EXPECT_TRUE(intent.dismiss) << "dismiss defaults to true";
  EXPECT_TRUE(intent.batch.empty());
}

TEST(JournalRecords, OptionalFieldsTakeDefaults) {
  std::string error;
  auto r = decode_record(R"({"t":"resubmit","run":"r-1","at":3})", error);
  ASSERT_TRUE(r) << error;
  EXPECT_TRUE(same(*r, resubmit_record{"r-1", "", 3}));
  r = decode_record(R"({"t":"failed","run":"r-1"})", error);
  ASSERT_TRUE(r) << error;
  EXPECT_TRUE(same(*r, failed_record{"r-1", 0, "", 0}));
  r = decode_record(R"({"t":"finished","run":"r-1","status":"done"})", error);
  ASSERT_TRUE(r) << error;
  EXPECT_TRUE(same(*r, finished_record{"r-1", "done", "", 0, 0}));
}

TEST(JournalRecords, FieldsInAnyOrderWithEscapes) {
  std::string error;
  auto r =
      decode_record(R"({"at":3,"extra":{"t":"failed"},"run":"r\u002d1","t":"dismissed"})", error);
  ASSERT_TRUE(r) << error;
  EXPECT_TRUE(same(*r, dismissed_record{"r-1", 3}));

  r = decode_record(
      R"({"body":{"q":"say \"hi\"\n","list":[1,"\u00e9",{"deep":null}]},"dismiss":false,)"
      R"("endpoint":"e/","rev":"v","job":"j\\k","run":"r","t":"intent","at":9})",
      error);
  ASSERT_TRUE(r) << error;
  intent_record want;
  want.run = "r";
  want.job = "j\\k";
  want.revision = "v";
  want.endpoint = "e/";
  want.body = json::parse(R"({"q":"say \"hi\"\n","list":[1,"\u00e9",{"deep":null}]})").as_object();
  want.dismiss = false;
  want.at = 9;
  EXPECT_TRUE(same(*r, want));
}

// Records decoded one after another share the decoder's buffers: nothing of one leaks into the
// next, and a body taken by an earlier record stays whole.
TEST(JournalRecords, ConsecutiveDecodesAreIndependent) {
  intent_record first;
  first.run = "r-first";
  first.job = "job";
  first.revision = "v";
  first.endpoint = "e";
  first.body =
      json::parse(R"({"status":"done","search":{"q":"a long enough query text"}})").as_object();
  first.at = 1;
  std::string error;
  auto a = decode_record(encode_record(first), error);
  auto b = decode_record(R"({"t":"submitted","run":"r-second","task":"tk"})", error);
  auto c = decode_record(R"({"t":"submitted","run":"r-third"})", error);
  ASSERT_TRUE(a);
  ASSERT_TRUE(b);
  EXPECT_FALSE(c);
  EXPECT_NE(error.find("'task'"), std::string::npos) << error;
  EXPECT_TRUE(same(*a, first));
  EXPECT_TRUE(same(*b, submitted_record{"r-second", "tk", false, 0}));
}

struct bad_case {
  const char* payload;
  const char* message_part;
};

TEST(JournalRecords, NonRecordsAreRefusedWithAMessage) {
  const std::vector<bad_case> cases = {
      {"", "not a JSON object"},
      {"not json", "not a JSON object"},
      {R"({"t":"intent")", "not a JSON object"},
      {"[1,2,3]", "not a JSON object"},
      {R"({"t":"dismissed","run":"r"} trailing)", "not a JSON object"},
      {R"({"t":"dismissed","run":"r"}{})", "not a JSON object"},
      {"\"intent\"", "not a JSON object"},
      {"{}", "'t'"},
      {R"({"t":7,"run":"r"})", "'t'"},
      {R"({"t":"launched","run":"r"})", "unknown record type 'launched'"},
      {R"({"t":"submitted","task":"tk"})", "'run'"},
      {R"({"t":"submitted","run":"r"})", "'task'"},
      {R"({"t":"submitted","run":7,"task":"tk"})", "'run'"},
      {R"({"t":"intent","run":"r","job":"j","rev":"v","endpoint":"e"})", "'body'"},
      {R"({"t":"intent","run":"r","job":"j","rev":"v","endpoint":"e","body":[1]})", "'body'"},
      {R"({"t":"intent","run":"r","rev":"v","endpoint":"e","body":{}})", "'job'"},
      {R"({"t":"intent","run":"r","job":"j","endpoint":"e","body":{}})", "'rev'"},
      {R"({"t":"intent","run":"r","job":"j","rev":"v","body":{}})", "'endpoint'"},
      {R"({"t":"finished","run":"r"})", "'status'"},
      {R"({"t":"dismissed"})", "'run'"},
      {R"({"t":"gave_up"})", "'run'"},
      {R"({"t":"resubmit"})", "'run'"},
      {R"({"t":"failed"})", "'run'"},
      {R"({"t":"batch","jobs":[]})", "'batch'"},
      {R"({"t":"batch_end"})", "'batch'"},
      {R"({"t":"revision_seen","job":"j"})", "'rev'"},
      {R"({"t":"revision_seen","rev":"v"})", "'job'"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.payload);
    std::string error;
    EXPECT_FALSE(decode_record(c.payload, error));
    EXPECT_NE(error.find(c.message_part), std::string::npos) << error;
  }
}

// The configuration allows payloads nested max_json_depth levels deep; the intent record that
// holds one must read back (Boost.JSON's parser stops at 32 levels by default).
TEST(JournalRecords, IntentWithTheDeepestPayloadAllowedReadsBack) {
  json::value inner = json::array{};
  for (std::size_t level = 2; level < max_json_depth; ++level) inner = json::array{inner};
  intent_record r{"r1", "job", "rev", "", "contracts/bulk_update/", {{"a", inner}}, true, 1};
  std::string error;
  const auto decoded = decode_record(encode_record(r), error);
  ASSERT_TRUE(decoded) << error;
  EXPECT_TRUE(same(std::get<intent_record>(*decoded), r));
}

}  // namespace
}  // namespace zefortd
