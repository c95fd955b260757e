// Tests for YAML to JSON conversion of payloads: the scalar mapping table of DESIGN.md §2,
// structure, tags, and the errors that carry a position.
#include "core/yaml_json.hpp"

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "core/config.hpp"

namespace zefortd {
namespace {

namespace json = boost::json;

json::value convert(const std::string& yaml) {
  return yaml_to_json(YAML::Load(yaml), "test.yaml", yaml);
}

// The JSON for `v: <text>`, the way a payload field would be written.
json::value field(const std::string& text) {
  return convert("v: " + text + "\n").at("v");
}

std::string error_of(const std::string& yaml) {
  try {
    convert(yaml);
  } catch (const config_error& e) {
    return e.what();
  }
  return "no error";
}

TEST(YamlJsonScalars, PlainNumbers) {
  struct row {
    const char* text;
    json::kind kind;
    const char* json;
  };
  for (const row& r : {
           row{"42", json::kind::int64, "42"},
           row{"-7", json::kind::int64, "-7"},
           row{"0", json::kind::int64, "0"},
           row{"-0", json::kind::int64, "0"},
           row{"9223372036854775807", json::kind::int64, "9223372036854775807"},
           row{"-9223372036854775808", json::kind::int64, "-9223372036854775808"},
           row{"9223372036854775808", json::kind::uint64, "9223372036854775808"},
           row{"18446744073709551615", json::kind::uint64, "18446744073709551615"},
           row{"18446744073709551616", json::kind::double_, "1.8446744073709552E19"},
           row{"3.25", json::kind::double_, "3.25E0"},
           row{"1e3", json::kind::double_, "1E3"},
           row{"-2.5E-3", json::kind::double_, "-2.5E-3"},
           row{"1.0", json::kind::double_, "1E0"},
       }) {
    const json::value v = field(r.text);
    EXPECT_EQ(v.kind(), r.kind) << r.text;
    EXPECT_EQ(json::serialize(v), r.json) << r.text;
  }
}

TEST(YamlJsonScalars, PlainKeywords) {
  EXPECT_EQ(field("true"), json::value(true));
  EXPECT_EQ(field("false"), json::value(false));
  EXPECT_TRUE(field("null").is_null());
  EXPECT_TRUE(convert("v:\n").at("v").is_null());
  EXPECT_TRUE(convert("v:   # nothing here\nw: 1\n").at("v").is_null());
  EXPECT_TRUE(convert("{v: , w: 1}").at("v").is_null());
  EXPECT_TRUE(convert("v:\n~x: 1\n").at("v").is_null());  // the next key is not the value
}

TEST(YamlJsonScalars, EverythingElseIsAString) {
  for (const char* text : {"2023-02-15",
                           "yes",
                           "no",
                           "on",
                           "off",
                           "y",
                           "True",
                           "FALSE",
                           "Null",
                           "NULL",
                           "~",
                           "0x1F",
                           "0o17",
                           "1e",
                           "1.",
                           ".5",
                           "01",
                           "+1",
                           "1_000",
                           ".inf",
                           "-.inf",
                           ".nan",
                           "NaN",
                           "Infinity",
                           "12:30",
                           "1,5",
                           "contracts of service",
                           "ct_1KmjVahd4Hg6W7l18c"}) {
    SCOPED_TRACE(text);
    const json::value v = field(text);
    ASSERT_TRUE(v.is_string());
    EXPECT_EQ(v.as_string(), text);
  }
}

TEST(YamlJsonScalars, QuotedAndBlockScalarsAreStrings) {
  EXPECT_EQ(field("\"2023-02-15\""), json::value("2023-02-15"));
  EXPECT_EQ(field("\"42\""), json::value("42"));
  EXPECT_EQ(field("'42'"), json::value("42"));
  EXPECT_EQ(field("'true'"), json::value("true"));
  EXPECT_EQ(field("\"null\""), json::value("null"));
  EXPECT_EQ(field("\"\""), json::value(""));
  EXPECT_EQ(field("\"~\""), json::value("~"));
  EXPECT_EQ(convert("v: |\n  42\n").at("v"), json::value("42\n"));
  EXPECT_EQ(convert("v: >-\n  true\n").at("v"), json::value("true"));
}

TEST(YamlJsonScalars, TildeInsideStructures) {
  EXPECT_EQ(convert("v: [1, ~, null, \"x\"]").at("v"), json::parse(R"([1, "~", null, "x"])"));
  EXPECT_EQ(convert("- ~\n- null\n-\n- ~ # comment\n"), json::parse(R"(["~", null, null, "~"])"));
  EXPECT_EQ(convert("v: ~"), json::parse(R"({"v": "~"})"));  // at the very end of the text
}

TEST(YamlJsonScalars, WithoutSourceEveryNullSpellingIsNull) {
  EXPECT_TRUE(yaml_to_json(YAML::Load("v: ~"), "t.yaml").at("v").is_null());
  EXPECT_TRUE(yaml_to_json(YAML::Load("v: Null"), "t.yaml").at("v").is_null());
}

TEST(YamlJsonTags, CoreTagsMustMatch) {
  EXPECT_EQ(field("!!str 42"), json::value("42"));
  EXPECT_EQ(field("!!str true"), json::value("true"));
  EXPECT_EQ(field("!!int 42"), json::value(42));
  EXPECT_EQ(field("!!float 42"), json::value(42));
  EXPECT_EQ(field("!!bool false"), json::value(false));
  EXPECT_TRUE(field("!!null null").is_null());
  EXPECT_EQ(error_of("v: !!int forty-two\n"), "test.yaml:1:4: 'forty-two' is not a valid !!int");
  EXPECT_EQ(error_of("v: !!bool yes\n"), "test.yaml:1:4: 'yes' is not a valid !!bool");
  EXPECT_EQ(error_of("v: !secret x\n"),
            "test.yaml:1:4: unsupported YAML tag '!secret'; quote the value to make it a string");
}

TEST(YamlJsonStructure, SequencesAndMappings) {
  const json::value v = convert(
      "attributes:\n"
      "  end_date: \"2023-02-15\"\n"
      "status: done\n"
      "search:\n"
      "  q_tags: contracts of service\n"
      "ids: [1, two, 3.5]\n"
      "nested:\n"
      "  - a: 1\n"
      "    b: [true, false]\n"
      "  - []\n"
      "  - {}\n"
      "1: numeric key\n"
      "\"quoted key\": x\n");
  EXPECT_EQ(v, json::parse(R"({
    "attributes": {"end_date": "2023-02-15"},
    "status": "done",
    "search": {"q_tags": "contracts of service"},
    "ids": [1, "two", 3.5],
    "nested": [{"a": 1, "b": [true, false]}, [], {}],
    "1": "numeric key",
    "quoted key": "x"})"));
  // Order as written, which is what goes on the wire.
  EXPECT_EQ(json::serialize(convert("b: 1\na: 2\n")), R"({"b":1,"a":2})");
}

TEST(YamlJsonStructure, AliasesAreCopied) {
  EXPECT_EQ(convert("a: &x {k: 1}\nb: *x\n"), json::parse(R"({"a": {"k": 1}, "b": {"k": 1}})"));
}

TEST(YamlJsonErrors, DuplicateKeyAtItsPosition) {
  EXPECT_EQ(error_of("search:\n  q: a\n  other: 1\n  q: b\n"),
            "test.yaml:4:3: duplicate key 'q' (first at line 2, column 3)");
}

TEST(YamlJsonErrors, KeyThatIsNotAString) {
  EXPECT_EQ(error_of("? [a, b]\n: 1\n"), "test.yaml:1:3: a key must be a string");
}

TEST(YamlJsonErrors, NumberOutOfRange) {
  EXPECT_EQ(error_of("a: 1\nv: 1e400\n"), "test.yaml:2:4: number out of range: 1e400");
  EXPECT_EQ(field("1e-400"), json::value(0.0));  // underflow is just zero
}

TEST(YamlJsonPlain, ReadsOnlyStrictJson) {
  EXPECT_EQ(plain_scalar_to_json("12"), json::value(12));
  EXPECT_EQ(plain_scalar_to_json("-"), std::nullopt);
  EXPECT_EQ(plain_scalar_to_json(""), std::nullopt);
  EXPECT_EQ(plain_scalar_to_json("1e+5"), json::value(1e5));
  EXPECT_EQ(plain_scalar_to_json("1e+"), std::nullopt);
  EXPECT_EQ(plain_scalar_to_json("- 1"), std::nullopt);
}

}  // namespace
}  // namespace zefortd
