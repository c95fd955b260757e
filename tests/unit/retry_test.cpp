// Tests for core/retry: the status table per method, Retry-After in both forms, and the
// messages describe_status builds from error bodies.
#include "core/retry.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace zefortd {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using v = retry_verdict;
using m = http_method_kind;

struct row {
  unsigned status;
  v get, post, patch;
};

TEST(RetryClassify, TableForAllMethods) {
  const row table[] = {
      {200, v::success, v::success, v::success},
      {201, v::success, v::success, v::success},
      {202, v::success, v::success, v::success},
      {204, v::success, v::success, v::success},
      {299, v::success, v::success, v::success},
      {301, v::permanent, v::permanent, v::permanent},
      {302, v::permanent, v::permanent, v::permanent},
      {400, v::permanent, v::permanent, v::permanent},
      {401, v::permanent, v::permanent, v::permanent},
      {403, v::permanent, v::permanent, v::permanent},
      {404, v::permanent, v::permanent, v::permanent},
      {405, v::permanent, v::permanent, v::permanent},
      {408, v::retry, v::retry, v::retry},
      {409, v::permanent, v::permanent, v::permanent},
      {410, v::permanent, v::permanent, v::permanent},
      {413, v::permanent, v::permanent, v::permanent},
      {418, v::permanent, v::permanent, v::permanent},
      {422, v::permanent, v::permanent, v::permanent},
      {429, v::retry, v::retry, v::retry},
      {500, v::retry, v::retry_in_doubt, v::retry},
      {501, v::permanent, v::permanent, v::permanent},
      {502, v::retry, v::retry_in_doubt, v::retry},
      {503, v::retry, v::retry, v::retry},
      {504, v::retry, v::retry_in_doubt, v::retry},
      {505, v::permanent, v::permanent, v::permanent},
      {520, v::retry, v::retry_in_doubt, v::retry},
      {0, v::permanent, v::permanent, v::permanent},
      {100, v::permanent, v::permanent, v::permanent},
      {999, v::permanent, v::permanent, v::permanent},
  };
  for (const row& r : table) {
    EXPECT_EQ(classify_status(m::get, r.status), r.get) << "GET " << r.status;
    EXPECT_EQ(classify_status(m::post, r.status), r.post) << "POST " << r.status;
    EXPECT_EQ(classify_status(m::patch, r.status), r.patch) << "PATCH " << r.status;
  }
}

// 2023-02-15 12:00:00 UTC.
const auto fixed_now = std::chrono::system_clock::from_time_t(1676462400);

TEST(RetryAfter, DeltaSeconds) {
  EXPECT_EQ(parse_retry_after("120", fixed_now), milliseconds(120000));
  EXPECT_EQ(parse_retry_after("0", fixed_now), milliseconds(0));
  EXPECT_EQ(parse_retry_after("  7 ", fixed_now), milliseconds(7000));
  EXPECT_EQ(parse_retry_after("0005", fixed_now), milliseconds(5000));
}

TEST(RetryAfter, CappedAtOneHour) {
  EXPECT_EQ(parse_retry_after("3600", fixed_now), milliseconds(3600000));
  EXPECT_EQ(parse_retry_after("3601", fixed_now), max_retry_after);
  EXPECT_EQ(parse_retry_after("99999999999999999999999999", fixed_now), max_retry_after);
  EXPECT_EQ(parse_retry_after("Wed, 15 Mar 2023 12:00:00 GMT", fixed_now), max_retry_after);
  // Past the clock's range in nanoseconds (year 2262): the cap, not an overflow.
  EXPECT_EQ(parse_retry_after("Fri, 31 Dec 9999 23:59:59 GMT", fixed_now), max_retry_after);
}

TEST(RetryAfter, HttpDateInAllThreeForms) {
  EXPECT_EQ(parse_retry_after("Wed, 15 Feb 2023 12:00:30 GMT", fixed_now), milliseconds(30000));
  EXPECT_EQ(parse_retry_after("Wednesday, 15-Feb-23 12:01:00 GMT", fixed_now), milliseconds(60000));
  EXPECT_EQ(parse_retry_after("Wed Feb 15 12:00:05 2023", fixed_now), milliseconds(5000));
  EXPECT_EQ(parse_retry_after("Sun Feb  5 12:00:00 2023", fixed_now), milliseconds(0));
}

TEST(RetryAfter, SubSecondNowRoundsUp) {
  const auto now = fixed_now + milliseconds(250);
  EXPECT_EQ(parse_retry_after("Wed, 15 Feb 2023 12:00:01 GMT", now), milliseconds(750));
}

TEST(RetryAfter, PastDateIsZero) {
  EXPECT_EQ(parse_retry_after("Wed, 15 Feb 2023 11:59:59 GMT", fixed_now), milliseconds(0));
  EXPECT_EQ(parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", fixed_now), milliseconds(0));
  EXPECT_EQ(parse_retry_after("Wed, 15 Feb 2023 12:00:00 GMT", fixed_now), milliseconds(0));
}

TEST(RetryAfter, GarbageAndNegativeAreRejected) {
  for (const char* bad :
       {"", "   ", "-5", "+5", "1.5", "5s", "soon", "0x10", "12 34", "Wed, 15 Feb 2023 12:00:30",
        "Wed, 15 Feb 2023 12:00:30 GMT junk", "Wed, 32 Feb 2023 12:00:30 GMT",
        "Wed, 15 Foo 2023 12:00:30 GMT", "2023-02-15T12:00:30Z"}) {
    EXPECT_EQ(parse_retry_after(bad, fixed_now), std::nullopt) << '"' << bad << '"';
  }
  EXPECT_EQ(parse_retry_after(std::string(500, '1') + "x", fixed_now), std::nullopt);
}

TEST(RetryDescribe, UnauthorizedWithDetailAndHint) {
  EXPECT_EQ(describe_status(401, "Unauthorized", R"({"detail": "Invalid API key."})"),
            "401 Unauthorized: Invalid API key. (check the API key)");
  EXPECT_EQ(describe_status(403, "Forbidden", ""), "403 Forbidden (check the API key)");
}

TEST(RetryDescribe, BadRequestNamesFields) {
  EXPECT_EQ(describe_status(400, "Bad Request", R"({"search": ["This field is required."]})"),
            "400 Bad Request: search: This field is required.");
  EXPECT_EQ(
      describe_status(400, "Bad Request", R"({"attributes": {"end_date": ["Enter a valid date."]},
                                     "status": ["\"finished\" is not a valid choice.", "Bad."]})"),
      "400 Bad Request: attributes.end_date: Enter a valid date.; "
      "status: \"finished\" is not a valid choice.; status: Bad.");
  EXPECT_EQ(describe_status(400, "Bad Request", R"({"non_field_errors": ["Nothing to update."]})"),
            "400 Bad Request: Nothing to update.");
  EXPECT_EQ(describe_status(400, "Bad Request", R"(["one", "two"])"), "400 Bad Request: one; two");
}

TEST(RetryDescribe, StatusAloneAndUnknownCodes) {
  EXPECT_EQ(describe_status(404, "Not Found", ""), "404 Not Found");
  EXPECT_EQ(describe_status(404, "Not Found", R"({"detail": "Not found."})"),
            "404 Not Found: Not found.");
  EXPECT_EQ(describe_status(599, "", "  \n"), "599");
  EXPECT_EQ(describe_status(301, "Moved Permanently", ""),
            "301 Moved Permanently (check api.base_url: the server redirects)");
}

TEST(RetryDescribe, HtmlPagesAreDroppedPlainTextKept) {
  EXPECT_EQ(describe_status(502, "Bad Gateway",
                            "<html><head><title>502 Bad Gateway</title></head></html>"),
            "502 Bad Gateway");
  EXPECT_EQ(describe_status(503, "Service Unavailable", "upstream connect error\r\nor disconnect"),
            "503 Service Unavailable: upstream connect error or disconnect");
}

TEST(RetryDescribe, ControlCharactersCannotForgeLogLines) {
  const std::string d =
      describe_status(400, "Bad Request", "{\"q\": [\"bad\\n<3>zefortd: forged\\u0007\"]}");
  EXPECT_EQ(d.find('\n'), std::string::npos);
  EXPECT_EQ(d.find('\a'), std::string::npos);
  EXPECT_EQ(d, "400 Bad Request: q: bad <3>zefortd: forged");
}

TEST(RetryDescribe, TruncatedToAboutThreeHundredCharacters) {
  const std::string body = R"({"detail": ")" + std::string(5000, 'x') + R"("})";
  const std::string d = describe_status(401, "Unauthorized", body);
  EXPECT_LE(d.size(), 310u);
  EXPECT_EQ(d.substr(0, 18), "401 Unauthorized: ");
  EXPECT_NE(d.find("... (check the API key)"), std::string::npos);

  // A cut never splits a UTF-8 sequence.
  std::string umlauts;
  for (int i = 0; i < 400; ++i) umlauts += "\xC3\xA4";  // ä
  const std::string u = describe_status(400, "Bad Request", R"({"q": [")" + umlauts + R"("]})");
  const std::string before_dots = u.substr(0, u.size() - 3);
  EXPECT_NE(static_cast<unsigned char>(before_dots.back()), 0xC3);
}

TEST(RetryDescribe, EchoedAuthorizationIsRedacted) {
  // What basic_auth_header makes of the reference's example key "ySLE1mhh6lfRsYa".
  const std::string header_value = "eVNMRTFtaGg2bGZSc1lhOg==";
  for (const std::string& body : std::vector<std::string>{
           "Authorization: Basic " + header_value,
           R"({"headers": {"Authorization": "Basic )" + header_value + R"("}})",
           "authorization: basic\t" + header_value, "Bearer ySLE1mhh6lfRsYa-0123"}) {
    const std::string d = describe_status(400, "Bad Request", body);
    EXPECT_EQ(d.find(header_value), std::string::npos) << d;
    EXPECT_EQ(d.find("ySLE1mhh6lfRsYa"), std::string::npos) << d;
    EXPECT_NE(d.find("[redacted]"), std::string::npos) << d;
  }
  // Words after "basic" are not credentials.
  EXPECT_EQ(describe_status(400, "Bad Request", R"({"search": ["basic search needs q"]})"),
            "400 Bad Request: search: basic search needs q");
}

}  // namespace
}  // namespace zefortd
