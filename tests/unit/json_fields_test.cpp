// Tests for core/json_fields: top-level fields of every JSON kind, nested values equal to what
// boost::json::parse builds, escapes in pieces, refusal of anything but one object, and reuse.
#include "core/json_fields.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <string>

namespace zefortd {
namespace {

namespace json = boost::json;
using kind = json_fields::kind;

TEST(JsonFields, ScalarsOfEveryKind) {
  json_fields f;
  ASSERT_TRUE(
      f.parse(R"({"s":"text","i":-7,"u":18446744073709551615,"d":1.5,"b":true,"n":null,"e":""})"));
  ASSERT_TRUE(f.find("s"));
  EXPECT_EQ(f.find("s")->type, kind::string);
  EXPECT_EQ(f.find("s")->text, "text");
  EXPECT_EQ(f.find("i")->type, kind::int64);
  EXPECT_EQ(f.find("i")->int64, -7);
  EXPECT_EQ(f.find("u")->type, kind::uint64);
  EXPECT_EQ(f.find("u")->uint64, 18446744073709551615u);
  EXPECT_EQ(f.find("d")->type, kind::number);
  EXPECT_EQ(f.find("b")->type, kind::boolean);
  EXPECT_TRUE(f.find("b")->boolean);
  EXPECT_EQ(f.find("n")->type, kind::null);
  EXPECT_EQ(f.find("e")->type, kind::string);
  EXPECT_EQ(f.find("e")->text, "");
  EXPECT_FALSE(f.find("absent"));
}

TEST(JsonFields, NestedValuesAreWhatParseBuilds) {
  const std::string body =
      R"({"attributes":{"end_date":"2023-02-15","tags":["a","b\n",3,null,{"x":[]}]},)"
      R"("status":"done","search":{"q_tags":"contracts of service","n":-1.25e3}})";
  json_fields f;
  ASSERT_TRUE(f.parse(R"({"t":"intent","body":)" + body + R"(,"jobs":["j1","j2"],"at":5})"));
  ASSERT_TRUE(f.find("body"));
  ASSERT_EQ(f.find("body")->type, kind::nested);
  EXPECT_EQ(f.find("body")->nested, json::parse(body));
  EXPECT_EQ(f.find("jobs")->nested, json::parse(R"(["j1","j2"])"));
  EXPECT_EQ(f.find("at")->int64, 5);
  // Keys inside nested values are not top-level fields.
  EXPECT_FALSE(f.find("status"));
  EXPECT_FALSE(f.find("end_date"));
}

TEST(JsonFields, EscapesAndStringsLongerThanTheParsersBuffer) {
  // The parser hands over escaped and long strings in pieces.
  std::string long_text;
  std::string long_json;
  for (int i = 0; i < 5000; ++i) {
    long_text += "ab\"\\\xc3\xa9";
    long_json += R"(ab\"\\\u00e9)";
  }
  json_fields f;
  ASSERT_TRUE(f.parse(R"({"k\"ey":"v\u0041\n",")" + long_json + R"(":")" + long_json +
                      R"(","after":"x"})"));
  ASSERT_TRUE(f.find("k\"ey"));
  EXPECT_EQ(f.find("k\"ey")->text, "vA\n");
  ASSERT_TRUE(f.find(long_text));
  EXPECT_EQ(f.find(long_text)->text, long_text);
  EXPECT_EQ(f.find("after")->text, "x");
}

TEST(JsonFields, OnlyOneObjectIsAccepted) {
  json_fields f;
  for (const char* text : {"", " ", "[1,2]", "1", "\"s\"", "null", "{", R"({"a":1} x)",
                           R"({"a":1}{"b":2})", R"({"a":})", "{'a':1}"}) {
    EXPECT_FALSE(f.parse(text)) << text;
    EXPECT_FALSE(f.find("a")) << text;
  }
  EXPECT_TRUE(f.parse(" {} "));
  EXPECT_TRUE(f.parse(R"( {"a" : 1} )"));
}

TEST(JsonFields, ReuseDropsTheFieldsOfTheTextBefore) {
  json_fields f;
  ASSERT_TRUE(f.parse(R"({"a":"one","body":{"x":1}})"));
  ASSERT_TRUE(f.parse(R"({"b":"two"})"));
  EXPECT_FALSE(f.find("a"));
  EXPECT_FALSE(f.find("body"));
  EXPECT_EQ(f.find("b")->text, "two");
  ASSERT_FALSE(f.parse(R"({"c":"three",)"));
  EXPECT_FALSE(f.find("b"));
  EXPECT_FALSE(f.find("c"));
}

TEST(JsonFields, TheLastOfARepeatedKeyWins) {
  json_fields f;
  ASSERT_TRUE(f.parse(R"({"a":"first","a":"second"})"));
  EXPECT_EQ(f.find("a")->text, "second");
  EXPECT_EQ(json::parse(R"({"a":"first","a":"second"})").at("a"), "second");  // as parse does
}

TEST(JsonFields, NestedValueCanBeMovedOut) {
  json_fields f;
  ASSERT_TRUE(f.parse(R"({"body":{"k":"a string long enough to need the heap"}})"));
  json::value taken = std::move(f.find("body")->nested);
  EXPECT_EQ(taken, json::parse(R"({"k":"a string long enough to need the heap"})"));
  EXPECT_EQ(taken.storage().get(), json::storage_ptr().get());  // the default heap, not an arena
}

}  // namespace
}  // namespace zefortd
