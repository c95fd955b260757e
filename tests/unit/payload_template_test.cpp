// Tests for payload date templates with injected instants: around midnight, month and year ends,
// leap days, and in a local time zone set through TZ.
#include "core/payload_template.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <cstdlib>
#include <ctime>

namespace zefortd {
namespace {

namespace json = boost::json;
using namespace std::chrono;

system_clock::time_point at(int y, unsigned mo, unsigned d, int h = 0, int mi = 0, int s = 0,
                            int ms = 0) {
  return sys_days(year(y) / month(mo) / day(d)) + hours(h) + minutes(mi) + seconds(s) +
         milliseconds(ms);
}

std::string resolve(std::string_view text, system_clock::time_point now,
                    job_timezone tz = job_timezone::utc) {
  return resolve_template_string(text, now, tz);
}

std::optional<std::string> check(std::string_view text) {
  return check_templates(json::value{{"a", text}});
}

TEST(PayloadTemplateResolve, TodayInUtc) {
  const auto now = at(2026, 11, 29, 3, 0, 0);
  EXPECT_EQ(resolve("{{ today }}", now), "2026-11-29");
  EXPECT_EQ(resolve("{{ today + 30d }}", now), "2026-12-29");
  EXPECT_EQ(resolve("{{ today - 1d }}", now), "2026-11-28");
  EXPECT_EQ(resolve("{{ today + 2w }}", now), "2026-12-13");
  EXPECT_EQ(resolve("{{ today + 0d }}", now), "2026-11-29");
}

TEST(PayloadTemplateResolve, MonthYearAndLeapBoundaries) {
  EXPECT_EQ(resolve("{{ today + 3d }}", at(2026, 12, 30, 12)), "2027-01-02");
  EXPECT_EQ(resolve("{{ today - 1d }}", at(2027, 1, 1)), "2026-12-31");
  EXPECT_EQ(resolve("{{ today - 1d }}", at(2024, 3, 1)), "2024-02-29");
  EXPECT_EQ(resolve("{{ today - 1d }}", at(2100, 3, 1)), "2100-02-28");  // not a leap year
  EXPECT_EQ(resolve("{{ today + 1d }}", at(2026, 1, 31)), "2026-02-01");
}

TEST(PayloadTemplateResolve, AroundMidnightUtc) {
  EXPECT_EQ(resolve("{{ today }}", at(2026, 11, 29, 23, 59, 59, 999)), "2026-11-29");
  EXPECT_EQ(resolve("{{ today }}", at(2026, 11, 30, 0, 0, 0)), "2026-11-30");
}

TEST(PayloadTemplateResolve, NowIsUtcToTheSecond) {
  EXPECT_EQ(resolve("{{ now }}", at(2026, 11, 29, 3, 0, 0)), "2026-11-29T03:00:00Z");
  EXPECT_EQ(resolve("{{ now }}", at(2026, 11, 29, 3, 4, 5, 999)), "2026-11-29T03:04:05Z");
  EXPECT_EQ(resolve("{{ now + 2h }}", at(2026, 12, 31, 23, 30)), "2027-01-01T01:30:00Z");
  EXPECT_EQ(resolve("{{ now - 90s }}", at(2026, 1, 1)), "2025-12-31T23:58:30Z");
  EXPECT_EQ(resolve("{{ now + 15m }}", at(2026, 2, 28, 23, 50)), "2026-03-01T00:05:00Z");
  EXPECT_EQ(resolve("{{ now + 1d }}", at(2024, 2, 28, 12)), "2024-02-29T12:00:00Z");
}

TEST(PayloadTemplateResolve, SpacingAndSeveralPerString) {
  const auto now = at(2026, 11, 29, 3);
  EXPECT_EQ(resolve("{{today}}", now), "2026-11-29");
  EXPECT_EQ(resolve("{{today+1d}}", now), "2026-11-30");
  EXPECT_EQ(resolve("{{   today  -  1d   }}", now), "2026-11-28");
  EXPECT_EQ(resolve("from {{ today - 7d }} to {{today}}!", now), "from 2026-11-22 to 2026-11-29!");
  EXPECT_EQ(resolve("run at {{ now }}", now), "run at 2026-11-29T03:00:00Z");
  EXPECT_EQ(resolve("no templates } here {", now), "no templates } here {");
  EXPECT_EQ(resolve("", now), "");
}

TEST(PayloadTemplateResolve, BadTemplatesStayAsWritten) {
  const auto now = at(2026, 11, 29, 3);
  EXPECT_EQ(resolve("{{ today }} and {{ tomorrow }} and {{ today }}", now),
            "2026-11-29 and {{ tomorrow }} and {{ today }}");
  EXPECT_EQ(resolve("x {{ today", now), "x {{ today");
}

TEST(PayloadTemplateResolve, WholePayloadKeepsEverythingElse) {
  const json::object payload = json::parse(R"({
    "attributes": {"end_date": "{{ today + 30d }}", "note": "plain", "count": 3},
    "status": "done",
    "list": ["{{ today }}", 1, null, true, ["{{ now }}"]],
    "{{ today }}": "keys are not templated"})")
                                   .as_object();
  const json::object resolved = resolve_templates(payload, at(2026, 11, 29, 3), job_timezone::utc);
  EXPECT_EQ(json::value(resolved), json::parse(R"({
    "attributes": {"end_date": "2026-12-29", "note": "plain", "count": 3},
    "status": "done",
    "list": ["2026-11-29", 1, null, true, ["2026-11-29T03:00:00Z"]],
    "{{ today }}": "keys are not templated"})"));
  EXPECT_EQ(payload.at("status"), "done");  // the input is untouched
  EXPECT_EQ(payload.at("attributes").at("end_date"), "{{ today + 30d }}");
}

// Sets TZ for one test and restores it: "today" in local time comes from the C library.
class PayloadTemplateLocal : public ::testing::Test {
 protected:
  void SetUp() override {
    if (const char* tz = std::getenv("TZ")) saved_ = tz;
  }
  void TearDown() override {
    if (saved_)
      setenv("TZ", saved_->c_str(), 1);
    else
      unsetenv("TZ");
    tzset();
  }
  static void use(const char* tz) {
    setenv("TZ", tz, 1);
    tzset();
  }

 private:
  std::optional<std::string> saved_;
};

TEST_F(PayloadTemplateLocal, TodayFollowsTheLocalDate) {
  use("EST5");  // POSIX form, no tzdata needed: UTC-5 all year
  const auto now = at(2026, 11, 29, 3, 0, 0);
  EXPECT_EQ(resolve("{{ today }}", now, job_timezone::local), "2026-11-28");
  EXPECT_EQ(resolve("{{ today }}", now, job_timezone::utc), "2026-11-29");
  EXPECT_EQ(resolve("{{ today + 3d }}", now, job_timezone::local), "2026-12-01");
  EXPECT_EQ(resolve("{{ now }}", now, job_timezone::local), "2026-11-29T03:00:00Z");  // still UTC
}

TEST_F(PayloadTemplateLocal, AheadOfUtcAcrossTheYearEnd) {
  use("JST-9");  // UTC+9
  const auto now = at(2026, 12, 31, 15, 30);
  EXPECT_EQ(resolve("{{ today }}", now, job_timezone::local), "2027-01-01");
  EXPECT_EQ(resolve("{{ today }}", now, job_timezone::utc), "2026-12-31");
  EXPECT_EQ(resolve("{{ today }}", at(2026, 12, 31, 14, 59, 59), job_timezone::local),
            "2026-12-31");
}

TEST_F(PayloadTemplateLocal, DaylightSavingChange) {
  use("CET-1CEST,M3.5.0,M10.5.0/3");  // Central Europe, rules written out
  // 2026-03-29 is the last Sunday of March: 22:30 UTC on the 29th is already 00:30 CEST on the
  // 30th.
  EXPECT_EQ(resolve("{{ today }}", at(2026, 3, 29, 22, 30), job_timezone::local), "2026-03-30");
  EXPECT_EQ(resolve("{{ today }}", at(2026, 1, 15, 22, 30), job_timezone::local), "2026-01-15");
}

TEST(PayloadTemplateCheck, AcceptsWellFormedTemplates) {
  EXPECT_EQ(check_templates(json::parse(R"({
    "a": "{{ today }}", "b": ["{{today+30d}}", {"c": "{{ now - 2h }} {{ now + 1d }}"}],
    "d": 42, "e": null, "f": "no braces", "g": "single { brace }"})")),
            std::nullopt);
}

TEST(PayloadTemplateCheck, NamesTheFieldAndTheProblem) {
  EXPECT_EQ(check("{{ tomorrow }}"), "payload.a: unknown template '{{ tomorrow }}'");
  EXPECT_EQ(check("{{ tody }}"), "payload.a: unknown template '{{ tody }}'; did you mean 'today'?");
  EXPECT_EQ(check("x {{ today"), "payload.a: unclosed '{{' in '{{ today'");
  EXPECT_EQ(check("{{ }}"),
            "payload.a: malformed template '{{ }}': expected {{ today }}, {{ today + 30d }}, "
            "{{ now }} or {{ now - 2h }}");
  EXPECT_EQ(check("{{ today + }}"),
            "payload.a: malformed template '{{ today + }}': expected {{ today }}, "
            "{{ today + 30d }}, {{ now }} or {{ now - 2h }}");
  EXPECT_EQ(check("{{ today * 2d }}"),
            "payload.a: malformed template '{{ today * 2d }}': expected {{ today }}, "
            "{{ today + 30d }}, {{ now }} or {{ now - 2h }}");
  EXPECT_EQ(check("{{ today + 30d extra }}"),
            "payload.a: malformed template '{{ today + 30d extra }}': expected {{ today }}, "
            "{{ today + 30d }}, {{ now }} or {{ now - 2h }}");
  EXPECT_EQ(
      check("{{ today + 3h }}"),
      "payload.a: template '{{ today + 3h }}': today takes an offset in days (d) or weeks (w)");
  EXPECT_EQ(
      check("{{ today + 30 }}"),
      "payload.a: template '{{ today + 30 }}': today takes an offset in days (d) or weeks (w)");
  EXPECT_EQ(check("{{ now + 2w }}"),
            "payload.a: template '{{ now + 2w }}': now takes an offset in s, m, h or d");
  EXPECT_EQ(check("{{ today + 36526d }}"),
            "payload.a: template '{{ today + 36526d }}': offset too large (100 years at most)");
  EXPECT_EQ(check("{{ now + 99999999999s }}"),
            "payload.a: template '{{ now + 99999999999s }}': offset too large");
  EXPECT_EQ(check("{{ today + 36525d }}"), std::nullopt);
}

TEST(PayloadTemplateCheck, PathsIntoArraysAndObjects) {
  EXPECT_EQ(check_templates(json::parse(R"({"x": {"list": ["ok", "{{ yesterday }}"]}})")),
            "payload.x.list[1]: unknown template '{{ yesterday }}'");
}

}  // namespace
}  // namespace zefortd
