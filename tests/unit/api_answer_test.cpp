// Tests for core/api_answer: every stage of the failure classification, from a transport
// result (what the network edge saw) to retry, in doubt or permanent.
#include "core/api_answer.hpp"

#include <gtest/gtest.h>

#include <boost/asio/error.hpp>

namespace zefortd {
namespace {

const auto now = std::chrono::system_clock::time_point(std::chrono::seconds(1'700'000'000));

transport_result broken(transport_stage stage, bool maybe_sent) {
  transport_result r;
  r.ec = make_error_code(boost::system::errc::connection_reset);
  r.stage = stage;
  r.maybe_sent = maybe_sent;
  return r;
}

transport_result answer(unsigned status, std::string body = "{}") {
  transport_result r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

TEST(ApiAnswer, AnEofDuringTheHandshakeIsRetriedNotRefused) {
  // A load balancer that closes a fresh connection: Asio says stream_truncated.
  auto r = broken(transport_stage::handshake, false);
  auto a = submit_answer(r, "POST /x", now);
  ASSERT_FALSE(a);
  EXPECT_EQ(a.error().verdict, retry_verdict::retry);
}

TEST(ApiAnswer, OnlyARefusedCertificateIsPermanent) {
  auto r = broken(transport_stage::handshake, false);
  r.certificate_rejected = true;
  r.error_text = "certificate verify failed: certificate has expired";
  auto a = poll_answer(r, "tk-1", "GET /x", now);
  ASSERT_FALSE(a);
  EXPECT_EQ(a.error().verdict, retry_verdict::permanent);
  EXPECT_NE(a.error().message.find("certificate has expired"), std::string::npos);
}

TEST(ApiAnswer, ATlsVersionTheServerLacksIsPermanentWithoutTheCaFileHint) {
  auto r = broken(transport_stage::handshake, false);
  r.protocol_refused = true;
  r.error_text = "protocol version: the server offers no TLS 1.2 or later (unsupported protocol)";
  auto a = submit_answer(r, "POST /x", now);
  ASSERT_FALSE(a);
  EXPECT_EQ(a.error().verdict, retry_verdict::permanent);
  EXPECT_NE(a.error().message.find("protocol version"), std::string::npos) << a.error().message;
  EXPECT_EQ(a.error().message.find("ca_file"), std::string::npos) << a.error().message;
}

TEST(ApiAnswer, APostBrokenAfterSendingIsInDoubtBeforeSendingARetry) {
  EXPECT_EQ(submit_answer(broken(transport_stage::read, true), "POST", now).error().verdict,
            retry_verdict::retry_in_doubt);
  EXPECT_EQ(submit_answer(broken(transport_stage::connect, false), "POST", now).error().verdict,
            retry_verdict::retry);
  EXPECT_EQ(poll_answer(broken(transport_stage::read, true), "t", "GET", now).error().verdict,
            retry_verdict::retry);
}

TEST(ApiAnswer, StatusesOfAPost) {
  EXPECT_EQ(submit_answer(answer(500), "POST", now).error().verdict, retry_verdict::retry_in_doubt);
  EXPECT_EQ(submit_answer(answer(502), "POST", now).error().verdict, retry_verdict::retry_in_doubt);
  EXPECT_EQ(submit_answer(answer(504), "POST", now).error().verdict, retry_verdict::retry_in_doubt);
  EXPECT_EQ(submit_answer(answer(503), "POST", now).error().verdict, retry_verdict::retry);
  EXPECT_EQ(submit_answer(answer(429), "POST", now).error().verdict, retry_verdict::retry);
  EXPECT_EQ(submit_answer(answer(400, R"({"search":["This field is required."]})"), "POST", now)
                .error()
                .verdict,
            retry_verdict::permanent);
}

TEST(ApiAnswer, RetryAfterIsReadFromTheHeader) {
  auto r = answer(429);
  r.retry_after = "7";
  auto a = poll_answer(r, "tk-1", "GET", now);
  ASSERT_TRUE(a.error().retry_after);
  EXPECT_EQ(*a.error().retry_after, std::chrono::seconds(7));
}

TEST(ApiAnswer, A2xxPostWhoseBodyCannotBeReadIsInDoubt) {
  auto big = answer(201, "");
  big.ec = make_error_code(boost::system::errc::message_size);
  big.body_too_large = true;
  EXPECT_EQ(submit_answer(big, "POST", now).error().verdict, retry_verdict::retry_in_doubt);
  EXPECT_EQ(submit_answer(answer(201, "not json"), "POST", now).error().verdict,
            retry_verdict::retry_in_doubt);
  EXPECT_EQ(submit_answer(answer(201, R"({"id":"../x"})"), "POST", now).error().verdict,
            retry_verdict::retry_in_doubt);
  auto ok = submit_answer(answer(201, R"({"id":"tk-1","backend_status":"pending"})"), "POST", now);
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->id, "tk-1");
}

TEST(ApiAnswer, Any2xxToADismissalIsSuccess) {
  EXPECT_TRUE(dismiss_answer(answer(204, ""), "PATCH", now));
  EXPECT_TRUE(dismiss_answer(answer(200, "garbage"), "PATCH", now));
  EXPECT_FALSE(dismiss_answer(answer(404), "PATCH", now));
}

TEST(ApiAnswer, APollAnsweredWithAnotherTaskIsAProtocolError) {
  auto a = poll_answer(answer(200, R"({"id":"tk-2","backend_status":"done"})"), "tk-1", "GET", now);
  ASSERT_FALSE(a);
  EXPECT_EQ(a.error().verdict, retry_verdict::retry);
  EXPECT_NE(a.error().message.find("protocol error"), std::string::npos);
}

TEST(ApiAnswer, ANonStringBackendStatusIsAProtocolError) {
  auto a =
      poll_answer(answer(200, R"({"id":"tk-1","backend_status":{"x":1}})"), "tk-1", "GET", now);
  ASSERT_FALSE(a);
  EXPECT_NE(a.error().message.find("backend_status"), std::string::npos);
}

TEST(ApiAnswer, AListEntryWithANonStringBackendStatusFailsThePage) {
  // Not "still running", and not skipped either: the entry may be an in-doubt submission's.
  for (const char* status : {R"({"state":"done"})", "1", "true", R"(["done"])"}) {
    const std::string body = std::string(R"({"count":2,"next":null,"results":[{"id":"a",)") +
                             R"("backend_status":"done"},{"id":"b","backend_status":)" + status +
                             "}]}";
    auto page = page_answer(answer(200, body), "GET /api/tasks/", now);
    ASSERT_FALSE(page) << body;
    EXPECT_NE(page.error().message.find("backend_status is not a string"), std::string::npos)
        << page.error().message;
  }
  auto fine = page_answer(
      answer(200, R"({"count":1,"next":null,"results":[{"id":"a","backend_status":null}]})"),
      "GET /api/tasks/", now);
  ASSERT_TRUE(fine) << "null is a task with no status yet";
}

TEST(ApiAnswer, PagesOfBothShapes) {
  auto arr = page_answer(answer(200, R"([{"id":"a"},{"id":"b"}])"), "GET", now);
  ASSERT_TRUE(arr);
  EXPECT_EQ(arr->tasks.size(), 2u);
  auto page = page_answer(
      answer(200, R"({"count":9,"next":"https://h/api/tasks/?page=2","results":[{"id":"a"}]})"),
      "GET", now);
  ASSERT_TRUE(page);
  EXPECT_EQ(page->count, std::optional<std::uint64_t>(9));
  EXPECT_EQ(page_answer(answer(200, R"({"results":3})"), "GET", now).error().verdict,
            retry_verdict::retry);
}

}  // namespace
}  // namespace zefortd
