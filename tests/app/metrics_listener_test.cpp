// Tests for net/metrics_listener on loopback: 200 at /metrics and 404 elsewhere, one request per
// connection, at most max_connections at once (the next is closed unanswered), and a client
// that sends nothing, or half a request, is closed at the timeout instead of holding a slot.
#include "net/metrics_listener.hpp"

#include <gtest/gtest.h>

#include <boost/asio.hpp>
#include <string>

namespace zefortd {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using namespace std::chrono_literals;

class MetricsListener : public ::testing::Test {
 protected:
  void start(std::size_t max_connections, std::chrono::milliseconds timeout) {
    listener_ = std::make_unique<metrics_listener>(
        io_.get_executor(), [] { return std::string("# TYPE x gauge\nx 1\n"); },
        metrics_listener_options{max_connections, timeout});
    ASSERT_FALSE(listener_->start({"127.0.0.1", "0"}));
  }
  tcp::socket connect() {
    tcp::socket s(io_);
    s.connect(listener_->local_endpoint());
    return s;
  }
  // Runs `client` to its end; a guard far beyond any timeout here fails a test that hangs.
  void run(std::function<asio::awaitable<void>()> client) {
    bool done = false;
    asio::co_spawn(io_, client(), [&](std::exception_ptr e) {
      done = true;
      listener_->stop();
      io_.stop();
      if (e) std::rethrow_exception(e);
    });
    io_.run_for(30s);
    EXPECT_TRUE(done) << "the client did not finish within the guard";
  }
  // Writes `request` (possibly partial) and reads until the server closes: what it answered.
  static asio::awaitable<std::string> exchange(tcp::socket& s, std::string request) {
    if (!request.empty()) co_await asio::async_write(s, asio::buffer(request), asio::use_awaitable);
    std::string answer;
    char buf[4096];
    for (;;) {
      auto [ec, n] = co_await s.async_read_some(asio::buffer(buf),
                                                asio::as_tuple(asio::use_awaitable));
      answer.append(buf, n);
      if (ec) break;
    }
    co_return answer;
  }

  asio::io_context io_;
  std::unique_ptr<metrics_listener> listener_;
};

const std::string get_metrics = "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n";

TEST_F(MetricsListener, AnswersMetricsAnd404ElsewhereThenCloses) {
  start(4, 5s);
  run([&]() -> asio::awaitable<void> {
    auto a = connect();
    const std::string ok = co_await exchange(a, get_metrics);
    EXPECT_EQ(ok.rfind("HTTP/1.1 200", 0), 0u) << ok;
    EXPECT_NE(ok.find("text/plain; version=0.0.4"), std::string::npos) << ok;
    EXPECT_NE(ok.find("\r\n\r\n# TYPE x gauge\nx 1\n"), std::string::npos) << ok;
    auto b = connect();
    const std::string other = co_await exchange(b, "GET /other HTTP/1.1\r\nHost: x\r\n\r\n");
    EXPECT_EQ(other.rfind("HTTP/1.1 404", 0), 0u) << other;
  });
}

TEST_F(MetricsListener, BeyondTheCapAConnectionIsClosedUnansweredUntilASlotFrees) {
  start(2, 5s);
  run([&]() -> asio::awaitable<void> {
    auto first = connect();
    auto second = connect();
    auto third = connect();
    EXPECT_EQ(co_await exchange(third, get_metrics), "") << "two are open: the third is refused";
    // A slot frees when one of them is done.
    const std::string answered = co_await exchange(first, get_metrics);
    EXPECT_EQ(answered.rfind("HTTP/1.1 200", 0), 0u) << answered;
    auto fourth = connect();
    const std::string later = co_await exchange(fourth, get_metrics);
    EXPECT_EQ(later.rfind("HTTP/1.1 200", 0), 0u) << later;
    const std::string held = co_await exchange(second, get_metrics);
    EXPECT_EQ(held.rfind("HTTP/1.1 200", 0), 0u) << held;
  });
}

TEST_F(MetricsListener, ASilentOrSlowClientIsClosedAtTheTimeoutAndFreesItsSlot) {
  start(1, 200ms);
  run([&]() -> asio::awaitable<void> {
    auto silent = connect();
    EXPECT_EQ(co_await exchange(silent, ""), "") << "closed without an answer";
    auto slow = connect();
    EXPECT_EQ(co_await exchange(slow, "GET /metr"), "") << "half a request, then nothing";
    auto next = connect();
    const std::string ok = co_await exchange(next, get_metrics);
    EXPECT_EQ(ok.rfind("HTTP/1.1 200", 0), 0u) << "the slot was freed: " << ok;
  });
}

}  // namespace
}  // namespace zefortd
