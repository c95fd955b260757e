// Tests for net/https_pool and net/api_client against a loopback TLS peer on 127.0.0.1: reuse of
// kept-alive connections and the stale-connection retry, the Keep-Alive timeout, what a refused
// certificate reports, the body limit, and shutdown() ending every wait at once.
#include "net/https_pool.hpp"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <exception>
#include <filesystem>
#include <fstream>
#include <functional>
#include <optional>
#include <string>

#include "certs.hpp"
#include "net/api_client.hpp"
#include "net/tls_context.hpp"

// g++ 12 falsely reports a mismatched delete on Asio coroutine frames (GCC bug 109224).
#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ < 13
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

namespace zefortd {
namespace {

namespace ssl = asio::ssl;
namespace beast = boost::beast;
using tcp = asio::ip::tcp;
using server_stream = ssl::stream<tcp::socket>;
using namespace std::chrono_literals;

// The sandbox's throwaway CA and loopback certificate, made once per process.
const zefort_sandbox::tls_identity& identity() {
  static const auto id = zefort_sandbox::make_tls_identity();
  return id;
}

// Another CA whose server certificate expired yesterday.
const zefort_sandbox::tls_identity& expired_identity() {
  static const auto id = zefort_sandbox::make_tls_identity({-2L * 24 * 3600, -24L * 3600});
  return id;
}

// A CA as a file, for the production client context (api.ca_file); removed at exit.
std::filesystem::path ca_file_of(const zefort_sandbox::tls_identity& id) {
  std::string tmpl = (std::filesystem::temp_directory_path() / "zefortd-ca-XXXXXX").string();
  const int fd = ::mkstemp(tmpl.data());
  if (fd < 0) throw std::runtime_error("mkstemp failed");
  ::close(fd);
  std::ofstream(tmpl) << id.ca_pem;
  static std::vector<std::filesystem::path> made;
  if (made.empty())
    std::atexit([] {
      for (const auto& p : made) std::filesystem::remove(p);
    });
  made.push_back(tmpl);
  return tmpl;
}

const std::filesystem::path& ca_file() {
  static const std::filesystem::path path = ca_file_of(identity());
  return path;
}

// Set once, awaited by any number of coroutines: how the test waits for the peer (or the
// client) to reach a step, instead of sleeping.
class event {
 public:
  explicit event(asio::any_io_executor ex) : timer_(ex, asio::steady_timer::time_point::max()) {}
  void notify() {
    set_ = true;
    timer_.cancel();
  }
  bool is_set() const { return set_; }
  asio::awaitable<void> wait() {
    while (!set_) {
      auto [ec] = co_await timer_.async_wait(use_tuple);
      (void)ec;
    }
  }

 private:
  asio::steady_timer timer_;
  bool set_ = false;
};

// The loopback server: an acceptor on port 0 and counters of what it saw.
class peer {
 public:
  explicit peer(asio::io_context& io, const char* address = "127.0.0.1",
                const zefort_sandbox::tls_identity& id = identity())
      : tls_(ssl::context::tls_server), acceptor_(io, {asio::ip::make_address(address), 0}) {
    tls_.use_certificate_chain(asio::buffer(id.cert_pem));
    tls_.use_private_key(asio::buffer(id.key_pem), ssl::context::pem);
  }

  // Offers TLS versions up to `v` only (TLS1_1_VERSION: a server too old for the client).
  void max_version(int v) {
    SSL_CTX_set_security_level(tls_.native_handle(), 0);
    SSL_CTX_set_min_proto_version(tls_.native_handle(), 0);
    SSL_CTX_set_max_proto_version(tls_.native_handle(), v);
  }

  std::string port() const { return std::to_string(acceptor_.local_endpoint().port()); }

  asio::awaitable<tcp::socket> accept() {
    auto socket = co_await acceptor_.async_accept(asio::use_awaitable);
    ++accepted;
    co_return socket;
  }

  // The handshake's outcome only: for tests in which the client refuses the certificate.
  asio::awaitable<std::tuple<boost::system::error_code>> start_tls(tcp::socket socket) {
    server_stream s(std::move(socket), tls_);
    co_return co_await s.async_handshake(ssl::stream_base::server, use_tuple);
  }

  asio::awaitable<server_stream> accept_tls() {
    server_stream s(co_await accept(), tls_);
    co_await s.async_handshake(ssl::stream_base::server, asio::use_awaitable);
    co_return s;
  }

  // False when the client went away instead of sending a request.
  asio::awaitable<bool> read(server_stream& s) {
    http::request<http::string_body> req;
    auto [ec, n] = co_await http::async_read(s, buffer_, req, use_tuple);
    if (ec) co_return false;
    ++requests;
    last_request_ = std::move(req);
    co_return true;
  }

  const http::request<http::string_body>& last_request() const { return last_request_; }

  int accepted = 0;
  int requests = 0;

 private:
  ssl::context tls_;
  tcp::acceptor acceptor_;
  beast::flat_buffer buffer_;
  http::request<http::string_body> last_request_;
};

// A kept-alive answer; `keep_alive` is the Keep-Alive header's value, none when empty.
asio::awaitable<void> answer(server_stream& s, std::string body = "{}",
                             std::string keep_alive = "") {
  http::response<http::string_body> res{http::status::ok, 11};
  res.set(http::field::content_type, "application/json");
  if (!keep_alive.empty()) res.set("Keep-Alive", keep_alive);
  res.keep_alive(true);
  res.body() = std::move(body);
  res.prepare_payload();
  co_await http::async_write(s, res, asio::use_awaitable);
}

void drop(server_stream& s) {
  boost::system::error_code ec;
  s.lowest_layer().close(ec);
}

transport_request get(std::string target) {
  transport_request r;
  r.method = http_method::get;
  r.target = std::move(target);
  return r;
}

transport_request post(std::string body) {
  transport_request r;
  r.method = http_method::post;
  r.target = "/api/tasks/";
  r.body = std::move(body);
  return r;
}

class HttpsPool : public ::testing::Test {
 protected:
  pool_options options(const std::string& host = "127.0.0.1") {
    pool_options o;
    o.host = host;
    o.port = peer_.port();
    // Far longer than any test may take: a test that waits for it fails on the guard below.
    o.timeout = 30s;
    o.max_connections = 1;
    return o;
  }

  // Runs the server and the client to the client's end, or fails after `guard`.
  void run(std::function<asio::awaitable<void>()> server,
           std::function<asio::awaitable<void>()> client, std::chrono::seconds guard = 5s) {
    auto server_done = [](std::exception_ptr) {};  // the client's checks say what went wrong
    asio::co_spawn(io_, server(), server_done);
    bool finished = false;
    std::exception_ptr failure;
    auto client_done = [&](std::exception_ptr e) {
      finished = true;
      failure = e;
      io_.stop();
    };
    asio::co_spawn(io_, client(), client_done);
    io_.run_for(guard);
    ASSERT_TRUE(finished) << "the client did not finish within " << guard.count() << " s";
    if (failure) std::rethrow_exception(failure);
  }

  // One GET to `p`, which only starts the handshake, by a client trusting `tls` that asks for
  // `host`: what the client got (a refusal, in the tests that use it).
  transport_result get_from_handshake_only(peer& p, ssl::context& tls,
                                           const std::string& host = "127.0.0.1");

  asio::io_context io_;
  peer peer_{io_};
  ssl::context trusted_ = make_tls_client_context(ca_file());
  secret key_{"test-key"};
};

TEST_F(HttpsPool, AKeptAliveConnectionIsReused) {
  auto server = [&]() -> asio::awaitable<void> {
    auto s = co_await peer_.accept_tls();
    while (co_await peer_.read(s)) co_await answer(s);
  };
  auto client = [&]() -> asio::awaitable<void> {
    https_pool pool(io_.get_executor(), trusted_, options());
    api_client api(pool, key_);
    auto first = co_await api.send(get("/api/tasks/1/"));
    auto second = co_await api.send(get("/api/tasks/2/"));
    EXPECT_EQ(first.status, 200u);
    EXPECT_EQ(second.status, 200u) << second.error_text;
    EXPECT_EQ(pool.stats().connects, 1u);
    EXPECT_EQ(pool.stats().reused, 1u);
    EXPECT_EQ(peer_.last_request().target(), "/api/tasks/2/");
  };
  run(server, client);
}

TEST_F(HttpsPool, AGetOnAConnectionTheServerDropsIsRetriedOnceOnAFreshOne) {
  auto server = [&]() -> asio::awaitable<void> {
    auto first = co_await peer_.accept_tls();
    co_await peer_.read(first);
    co_await answer(first);
    // The server reads the next request on the kept-alive connection, then drops it unanswered,
    // as a server does whose idle timer fires while the request is in flight.
    co_await peer_.read(first);
    drop(first);
    auto second = co_await peer_.accept_tls();
    while (co_await peer_.read(second)) co_await answer(second, "{\"id\":2}");
  };
  auto client = [&]() -> asio::awaitable<void> {
    https_pool pool(io_.get_executor(), trusted_, options());
    api_client api(pool, key_);
    auto first = co_await api.send(get("/api/tasks/1/"));
    auto second = co_await api.send(get("/api/tasks/2/"));
    EXPECT_EQ(first.status, 200u);
    EXPECT_FALSE(second.ec) << second.error_text;
    EXPECT_EQ(second.status, 200u);
    EXPECT_EQ(second.body, "{\"id\":2}");
    EXPECT_EQ(pool.stats().stale_retries, 1u);
    EXPECT_EQ(pool.stats().connects, 2u);
    EXPECT_EQ(peer_.requests, 3);
  };
  run(server, client);
}

TEST_F(HttpsPool, APostOnAConnectionTheServerDropsAfterReadingItIsNotRetried) {
  auto server = [&]() -> asio::awaitable<void> {
    auto first = co_await peer_.accept_tls();
    co_await peer_.read(first);
    co_await answer(first);
    co_await peer_.read(first);
    drop(first);
    // A retry would land here and be answered: the test sees it in the counters.
    auto second = co_await peer_.accept_tls();
    while (co_await peer_.read(second)) co_await answer(second);
  };
  auto client = [&]() -> asio::awaitable<void> {
    https_pool pool(io_.get_executor(), trusted_, options());
    api_client api(pool, key_);
    auto first = co_await api.send(get("/api/tasks/"));
    auto created = co_await api.send(post("{\"job\":\"a\"}"));
    EXPECT_EQ(first.status, 200u);
    EXPECT_TRUE(created.ec);
    EXPECT_TRUE(created.maybe_sent);  // the server read it: the core must treat it as in doubt
    EXPECT_EQ(created.status, 0u);
    EXPECT_FALSE(created.certificate_rejected);
    EXPECT_EQ(pool.stats().stale_retries, 0u);
    EXPECT_EQ(pool.stats().connects, 1u);
    EXPECT_EQ(peer_.requests, 2);
    // What reached the server: the payload's bytes as given, with the API key's authorization.
    EXPECT_EQ(peer_.last_request().method(), http::verb::post);
    EXPECT_EQ(peer_.last_request().body(), "{\"job\":\"a\"}");
    EXPECT_EQ(peer_.last_request()[http::field::authorization], basic_auth_header(key_));
  };
  run(server, client);
}

TEST_F(HttpsPool, AnIdleConnectionTheServerClosedIsNotReused) {
  event closed(io_.get_executor());
  auto server = [&]() -> asio::awaitable<void> {
    auto first = co_await peer_.accept_tls();
    co_await peer_.read(first);
    co_await answer(first);
    drop(first);
    closed.notify();
    auto second = co_await peer_.accept_tls();
    while (co_await peer_.read(second)) co_await answer(second);
  };
  auto client = [&]() -> asio::awaitable<void> {
    https_pool pool(io_.get_executor(), trusted_, options());
    api_client api(pool, key_);
    auto first = co_await api.send(get("/api/tasks/1/"));
    co_await closed.wait();
    auto second = co_await api.send(get("/api/tasks/2/"));
    EXPECT_EQ(first.status, 200u);
    EXPECT_EQ(second.status, 200u) << second.error_text;
    // Seen closed before reuse (MSG_PEEK), so no request was lost on it and none retried.
    EXPECT_EQ(pool.stats().reused, 0u);
    EXPECT_EQ(pool.stats().stale_retries, 0u);
    EXPECT_EQ(pool.stats().connects, 2u);
    EXPECT_EQ(peer_.requests, 2);
  };
  run(server, client);
}

// Answers every request with `Keep-Alive: <keep_alive>` on every connection, never closing one.
asio::awaitable<void> keep_serving(peer* p, std::string keep_alive) {
  for (;;) {
    auto s = std::make_shared<server_stream>(co_await p->accept_tls());
    auto serve = [](peer* p, std::shared_ptr<server_stream> s,
                    std::string keep_alive) -> asio::awaitable<void> {
      while (co_await p->read(*s)) co_await answer(*s, "{}", keep_alive);
    };
    asio::co_spawn(s->get_executor(), serve(p, s, keep_alive), asio::detached);
  }
}

TEST_F(HttpsPool, AConnectionIdleForTheServersKeepAliveTimeoutLessASecondIsNotReused) {
  auto server = [&]() { return keep_serving(&peer_, "timeout=1, max=100"); };
  auto client = [&]() -> asio::awaitable<void> {
    https_pool pool(io_.get_executor(), trusted_, options());
    api_client api(pool, key_);
    auto first = co_await api.send(get("/api/tasks/1/"));
    auto second = co_await api.send(get("/api/tasks/2/"));
    EXPECT_EQ(first.status, 200u);
    EXPECT_EQ(second.status, 200u) << second.error_text;
    // timeout=1 leaves no safe idle time at all: the connection is still open, but not reused.
    EXPECT_EQ(pool.stats().reused, 0u);
    EXPECT_EQ(pool.stats().connects, 2u);
  };
  run(server, client);
}

TEST_F(HttpsPool, AConnectionWithinTheServersKeepAliveTimeoutIsReused) {
  auto server = [&]() { return keep_serving(&peer_, "timeout=5, max=100"); };
  auto client = [&]() -> asio::awaitable<void> {
    https_pool pool(io_.get_executor(), trusted_, options());
    api_client api(pool, key_);
    auto first = co_await api.send(get("/api/tasks/1/"));
    auto second = co_await api.send(get("/api/tasks/2/"));
    EXPECT_EQ(second.status, 200u) << second.error_text;
    EXPECT_EQ(pool.stats().reused, 1u);
    EXPECT_EQ(pool.stats().connects, 1u);
  };
  run(server, client);
}

// Accepts and starts the handshake; the client's refusal ends it.
asio::awaitable<void> handshake_only(peer* p) {
  auto [ec] = co_await p->start_tls(co_await p->accept());
  (void)ec;
}

transport_result HttpsPool::get_from_handshake_only(peer& p, ssl::context& tls,
                                                    const std::string& host) {
  transport_result out;
  auto server = [&]() { return handshake_only(&p); };
  auto client = [&]() -> asio::awaitable<void> {
    auto o = options(host);
    o.port = p.port();
    https_pool pool(io_.get_executor(), tls, o);
    api_client api(pool, key_);
    out = co_await api.send(get("/api/tasks/"));
  };
  run(server, client);
  return out;
}

TEST_F(HttpsPool, AnUntrustedCertificateIsRefusedNamingTheCheck) {
  ssl::context untrusted = make_tls_client_context(std::nullopt);  // the system store only
  const auto r = get_from_handshake_only(peer_, untrusted);
  EXPECT_TRUE(r.ec);
  EXPECT_EQ(r.stage, transport_stage::handshake);
  EXPECT_TRUE(r.certificate_rejected);
  EXPECT_FALSE(r.maybe_sent);
  EXPECT_NE(r.error_text.find("unable to get local issuer certificate"), std::string::npos)
      << r.error_text;
}

TEST_F(HttpsPool, ANameTheCertificateCarriesIsAccepted) {
  auto server = [&]() -> asio::awaitable<void> {
    auto s = co_await peer_.accept_tls();
    while (co_await peer_.read(s)) co_await answer(s);
  };
  auto client = [&]() -> asio::awaitable<void> {
    https_pool pool(io_.get_executor(), trusted_, options("localhost"));  // a DNS name, not an IP
    api_client api(pool, key_);
    auto r = co_await api.send(get("/api/tasks/"));
    EXPECT_EQ(r.status, 200u) << r.error_text;
    EXPECT_EQ(peer_.last_request()[http::field::host], "localhost:" + peer_.port());
  };
  run(server, client);
}

TEST_F(HttpsPool, ACertificateForAnotherHostIsRefusedNamingTheMismatch) {
  // The certificate names localhost, 127.0.0.1 and ::1; all of 127/8 is loopback on Linux.
  peer other(io_, "127.0.0.2");
  const auto r = get_from_handshake_only(other, trusted_, "127.0.0.2");
  EXPECT_TRUE(r.ec);
  EXPECT_EQ(r.stage, transport_stage::handshake);
  EXPECT_TRUE(r.certificate_rejected);
  EXPECT_NE(r.error_text.find("mismatch"), std::string::npos) << r.error_text;
  EXPECT_NE(r.error_text.find("127.0.0.2"), std::string::npos) << r.error_text;
}

TEST_F(HttpsPool, AnExpiredCertificateIsRefusedNamingTheCheck) {
  peer expired(io_, "127.0.0.1", expired_identity());
  ssl::context trusting = make_tls_client_context(ca_file_of(expired_identity()));
  const auto r = get_from_handshake_only(expired, trusting);
  EXPECT_TRUE(r.ec);
  EXPECT_EQ(r.stage, transport_stage::handshake);
  EXPECT_TRUE(r.certificate_rejected);
  EXPECT_FALSE(r.maybe_sent);
  EXPECT_NE(r.error_text.find("certificate has expired"), std::string::npos) << r.error_text;
}

TEST_F(HttpsPool, AConnectionClosedDuringTheHandshakeIsANetworkFailureNotARefusal) {
  auto server = [&]() -> asio::awaitable<void> {
    auto s = co_await peer_.accept();
    char hello[16];
    co_await s.async_read_some(asio::buffer(hello), asio::use_awaitable);  // the ClientHello
    s.close();
  };
  auto client = [&]() -> asio::awaitable<void> {
    https_pool pool(io_.get_executor(), trusted_, options());
    api_client api(pool, key_);
    auto r = co_await api.send(post("{}"));
    EXPECT_TRUE(r.ec);
    EXPECT_EQ(r.stage, transport_stage::handshake);
    EXPECT_FALSE(r.certificate_rejected) << r.error_text;
    EXPECT_FALSE(r.maybe_sent);  // nothing was sent: the core may resubmit at once
  };
  run(server, client);
}

// A server that speaks only TLS 1.1 or older: the client (TLS 1.2 or later) says so, and does
// not blame the certificate or point at api.ca_file.
TEST_F(HttpsPool, AServerWithoutTls12IsRefusedNamingTheProtocolVersion) {
  peer old(io_);
  old.max_version(TLS1_1_VERSION);
  const auto r = get_from_handshake_only(old, trusted_);
  EXPECT_TRUE(r.ec);
  EXPECT_EQ(r.stage, transport_stage::handshake);
  EXPECT_FALSE(r.certificate_rejected) << r.error_text;
  EXPECT_TRUE(r.protocol_refused) << r.error_text;
  EXPECT_NE(r.error_text.find("TLS 1.2"), std::string::npos) << r.error_text;
}

TEST_F(HttpsPool, AnAnswerOverTheBodyLimitReportsItsStatus) {
  auto server = [&]() -> asio::awaitable<void> {
    auto s = co_await peer_.accept_tls();
    while (co_await peer_.read(s)) co_await answer(s, std::string(5000, 'x'));
  };
  auto client = [&]() -> asio::awaitable<void> {
    auto o = options();
    o.body_limit = 1000;
    https_pool pool(io_.get_executor(), trusted_, o);
    api_client api(pool, key_);
    auto r = co_await api.send(post("{}"));
    EXPECT_TRUE(r.body_too_large);
    EXPECT_EQ(r.ec, http::error::body_limit);
    EXPECT_EQ(r.status, 200u);  // a 2xx to a POST: the task exists
    EXPECT_TRUE(r.maybe_sent);
  };
  run(server, client);
}

// One request sent in a coroutine of its own, so that the test can act while it waits.
struct pending_request {
  explicit pending_request(asio::any_io_executor ex) : executor(ex), done(ex) {}
  asio::any_io_executor executor;
  event done;
  transport_result result;
  std::chrono::steady_clock::time_point finished;
};

void start(api_client& api, transport_request request, pending_request& p) {
  auto send = [](api_client* api, transport_request request,
                 pending_request* p) -> asio::awaitable<void> {
    p->result = co_await api->send(std::move(request));
    p->finished = std::chrono::steady_clock::now();
    p->done.notify();
  };
  asio::co_spawn(p.executor, send(&api, std::move(request), &p), asio::detached);
}

// shutdown() must not wait for api.timeout (30 s here): a second is already far too long.
constexpr auto prompt = 1s;

TEST_F(HttpsPool, ShutdownEndsAConnectOrHandshakeInProgress) {
  event accepted(io_.get_executor());
  auto server = [&]() -> asio::awaitable<void> {
    auto s = co_await peer_.accept();
    accepted.notify();
    char hello[512];
    // Never answers the ClientHello; reads until the client goes away.
    for (;;) co_await s.async_read_some(asio::buffer(hello), asio::use_awaitable);
  };
  auto client = [&]() -> asio::awaitable<void> {
    https_pool pool(io_.get_executor(), trusted_, options());
    api_client api(pool, key_);
    pending_request p(io_.get_executor());
    start(api, get("/api/tasks/"), p);
    co_await accepted.wait();
    const auto stopped = std::chrono::steady_clock::now();
    pool.shutdown();
    co_await p.done.wait();
    EXPECT_TRUE(p.result.ec);
    EXPECT_FALSE(p.result.certificate_rejected);
    EXPECT_LT(p.finished - stopped, prompt);
  };
  run(server, client);
}

TEST_F(HttpsPool, ShutdownEndsAReadInProgress) {
  event got_request(io_.get_executor());
  auto server = [&]() -> asio::awaitable<void> {
    auto s = co_await peer_.accept_tls();
    co_await peer_.read(s);
    got_request.notify();
    co_await peer_.read(s);  // never answers; returns when the client closes
  };
  auto client = [&]() -> asio::awaitable<void> {
    https_pool pool(io_.get_executor(), trusted_, options());
    api_client api(pool, key_);
    pending_request p(io_.get_executor());
    start(api, get("/api/tasks/"), p);
    co_await got_request.wait();
    const auto stopped = std::chrono::steady_clock::now();
    pool.shutdown();
    co_await p.done.wait();
    EXPECT_TRUE(p.result.ec);
    EXPECT_EQ(p.result.status, 0u);
    EXPECT_LT(p.finished - stopped, prompt);
  };
  run(server, client);
}

TEST_F(HttpsPool, ShutdownDuringAReadOnAReusedConnectionDoesNotRetryOnANewOne) {
  event got_second(io_.get_executor());
  auto server = [&]() -> asio::awaitable<void> {
    auto s = co_await peer_.accept_tls();
    co_await peer_.read(s);
    co_await answer(s);
    co_await peer_.read(s);
    got_second.notify();
    // Accepts nothing more: a retry would connect through the backlog and then wait in the
    // handshake until api.timeout.
    co_await peer_.read(s);
  };
  auto client = [&]() -> asio::awaitable<void> {
    https_pool pool(io_.get_executor(), trusted_, options());
    api_client api(pool, key_);
    auto first = co_await api.send(get("/api/tasks/1/"));
    EXPECT_EQ(first.status, 200u);
    pending_request p(io_.get_executor());
    start(api, get("/api/tasks/2/"), p);
    co_await got_second.wait();
    const auto stopped = std::chrono::steady_clock::now();
    pool.shutdown();
    co_await p.done.wait();
    EXPECT_TRUE(p.result.ec);
    EXPECT_LT(p.finished - stopped, prompt);
    EXPECT_EQ(pool.stats().stale_retries, 0u);
    EXPECT_EQ(pool.stats().connects, 1u);
  };
  run(server, client);
}

}  // namespace
}  // namespace zefortd
