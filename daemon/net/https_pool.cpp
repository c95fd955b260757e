// See https_pool.hpp.
#include "net/https_pool.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>
#include <sys/socket.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <string_view>

#include "core/keep_alive.hpp"

namespace zefortd {
namespace beast = boost::beast;
namespace ssl = asio::ssl;

struct https_pool::connection {
  connection(asio::any_io_executor ex, ssl::context& ctx) : stream(ex, ctx) {}
  ssl::stream<beast::tcp_stream> stream;
  beast::flat_buffer buffer;
  clock::time_point idle_since{};
  std::chrono::seconds server_idle_timeout{0};  // from a Keep-Alive: timeout=N header
};

namespace {

bool idempotent(http::verb v) {
  return v == http::verb::get || v == http::verb::patch || v == http::verb::put ||
         v == http::verb::delete_ || v == http::verb::head;
}

// A closed peer shows as a readable socket (EOF or a TLS close_notify) while the connection idles.
bool still_open(ssl::stream<beast::tcp_stream>& s) {
  auto& sock = beast::get_lowest_layer(s).socket();
  if (!sock.is_open()) return false;
  char byte;
  ssize_t n = ::recv(sock.native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
}

}  // namespace

https_pool::https_pool(asio::any_io_executor executor, ssl::context& tls, pool_options options)
    : executor_(executor),
      tls_(tls),
      options_(std::move(options)),
      slots_(executor, options_.max_connections ? options_.max_connections : 1) {
  // RFC 9110 §7.2: the port is part of Host unless it is the scheme's default.
  bool v6 = options_.host.find(':') != std::string::npos;
  host_header_ = v6 ? "[" + options_.host + "]" : options_.host;
  if (options_.port != "443") host_header_ += ":" + options_.port;
}

https_pool::~https_pool() = default;

void https_pool::shutdown() {
  shut_down_ = true;
  beast::error_code ec;
  for (auto* c : busy_) beast::get_lowest_layer(c->stream).socket().close(ec);
  for (auto* r : resolving_) r->cancel();
  idle_.clear();
  slots_.cancel_waiters();
}

std::unique_ptr<https_pool::connection> https_pool::take_idle() {
  while (!idle_.empty()) {
    auto c = std::move(idle_.back());
    idle_.pop_back();
    bool expired = c->server_idle_timeout.count() > 0 &&
                   clock::now() - c->idle_since >= c->server_idle_timeout - std::chrono::seconds(1);
    if (!expired && still_open(c->stream)) return c;
  }
  return nullptr;
}

asio::awaitable<exchange_result> https_pool::send(http_request request) {
  co_await slots_.acquire();
  semaphore_permit permit(slots_);
  if (shut_down_)
    co_return exchange_result{asio::error::operation_aborted, exchange_stage::connect, {}, false};
  ++stats_.requests;
  const auto deadline = clock::now() + options_.timeout;

  request.set(http::field::host, host_header_);
  request.keep_alive(true);
  request.prepare_payload();

  for (int attempt = 0;; ++attempt) {
    auto conn = take_idle();
    bool reused = conn != nullptr;
    if (reused) {
      ++stats_.reused;
    } else {
      auto attempt_result = co_await connect(deadline);
      if (attempt_result.ec) {
        exchange_result failed{attempt_result.ec, attempt_result.stage, {}, false};
        failed.certificate_rejected = attempt_result.certificate_rejected;
        failed.protocol_refused = attempt_result.protocol_refused;
        failed.tls_detail = std::move(attempt_result.tls_detail);
        co_return failed;
      }
      conn = std::move(attempt_result.conn);
      // Shut down while connecting: nothing may leave after shutdown().
      if (shut_down_)
        co_return exchange_result{
            asio::error::operation_aborted, exchange_stage::connect, {}, false};
    }
    bool got_bytes = false;
    busy_.insert(conn.get());
    auto result = co_await exchange(*conn, request, deadline, got_bytes);
    busy_.erase(conn.get());
    if (!result.ec) {
      give_back(std::move(conn), result.response);
      co_return result;
    }
    // A kept-alive connection the server dropped between our check and our write: the request
    // never got an answer. Safe to repeat only for idempotent methods; a POST reports in doubt.
    // After shutdown() nothing may start again: its closing of the socket is not staleness.
    bool stale = reused && !got_bytes && result.ec != beast::error::timeout && !shut_down_;
    if (stale && attempt == 0 && idempotent(request.method())) {
      ++stats_.stale_retries;
      continue;
    }
    co_return result;
  }
}

asio::awaitable<https_pool::connect_result> https_pool::connect(clock::time_point deadline) {
  auto stage = exchange_stage::resolve;
  auto failed = [&stage](boost::system::error_code ec) {
    return connect_result{ec, stage, nullptr, false, {}};
  };
  ++stats_.connects;
  asio::ip::tcp::resolver resolver(executor_);
  // The resolver has no deadline of its own: bound it with a timer that cancels it.
  asio::steady_timer guard(executor_, deadline);
  guard.async_wait([&resolver](boost::system::error_code ec) {
    if (!ec) resolver.cancel();
  });
  resolving_.insert(&resolver);
  auto [rec, endpoints] = co_await resolver.async_resolve(options_.host, options_.port, use_tuple);
  resolving_.erase(&resolver);
  guard.cancel();
  if (rec) {
    if (rec == asio::error::operation_aborted) rec = beast::error::timeout;
    co_return failed(rec);
  }
  stage = exchange_stage::connect;

  auto conn = std::make_unique<connection>(executor_, tls_);
  auto& tcp = beast::get_lowest_layer(conn->stream);
  // shutdown() closes a connect or handshake in progress too.
  struct busy_while_connecting {
    std::set<connection*>& busy;
    connection* c;
    ~busy_while_connecting() { busy.erase(c); }
  } guard_busy{busy_, conn.get()};
  busy_.insert(conn.get());
  tcp.expires_at(deadline);
  auto [cec, ep] = co_await tcp.async_connect(endpoints, use_tuple);
  if (cec) co_return failed(cec);
  tcp.socket().set_option(asio::ip::tcp::no_delay(true));

  // SNI carries names only, never IP literals (RFC 6066); verification checks both.
  boost::system::error_code parse_ec;
  asio::ip::make_address(options_.host, parse_ec);
  if (parse_ec && !SSL_set_tlsext_host_name(conn->stream.native_handle(), options_.host.c_str()))
    co_return failed(boost::system::error_code(static_cast<int>(::ERR_get_error()),
                                               asio::error::get_ssl_category()));
  // OpenSSL's own name check, not Asio's host_name_verification callback: a refusal by the
  // callback leaves only "unspecified certificate verification error" in the verify result.
  X509_VERIFY_PARAM* param = SSL_get0_param(conn->stream.native_handle());
  const int named = parse_ec ? X509_VERIFY_PARAM_set1_host(param, options_.host.c_str(), 0)
                             : X509_VERIFY_PARAM_set1_ip_asc(param, options_.host.c_str());
  if (named != 1)
    co_return failed(boost::system::error_code(static_cast<int>(::ERR_get_error()),
                                               asio::error::get_ssl_category()));

  stage = exchange_stage::handshake;
  tcp.expires_at(deadline);
  auto [hec] = co_await conn->stream.async_handshake(ssl::stream_base::client, use_tuple);
  if (hec) {
    // Which check refused the certificate (name, expiry, issuer) is in the verify result; an
    // EOF or a reset during the handshake is a network failure like any other.
    auto result = failed(hec);
    const long verify = SSL_get_verify_result(conn->stream.native_handle());
    if (verify != X509_V_OK) {
      result.certificate_rejected = true;
      result.tls_detail =
          std::string("certificate verify failed: ") + X509_verify_cert_error_string(verify);
      if (verify == X509_V_ERR_HOSTNAME_MISMATCH || verify == X509_V_ERR_IP_ADDRESS_MISMATCH)
        result.tls_detail += " (the certificate does not name " + options_.host + ")";
    } else if (hec.category() == asio::error::get_ssl_category()) {
      switch (ERR_GET_REASON(hec.value())) {
        case SSL_R_CERTIFICATE_VERIFY_FAILED:
          result.certificate_rejected = true;
          break;
        // The server's versions and ours (TLS 1.2 or later) do not meet: it will not change
        // by retrying, and the certificate has nothing to do with it.
        case SSL_R_UNSUPPORTED_PROTOCOL:
        case SSL_R_TLSV1_ALERT_PROTOCOL_VERSION:
        case SSL_R_NO_PROTOCOLS_AVAILABLE:
          result.protocol_refused = true;
          result.tls_detail = "protocol version: the server offers no TLS 1.2 or later (" +
                              hec.message() + ")";
          break;
        default:
          break;
      }
    }
    co_return result;
  }
  co_return connect_result{{}, exchange_stage::done, std::move(conn), false, {}};
}

asio::awaitable<exchange_result> https_pool::exchange(connection& conn, const http_request& req,
                                                      clock::time_point deadline, bool& got_bytes) {
  auto& tcp = beast::get_lowest_layer(conn.stream);
  tcp.expires_at(deadline);
  auto [wec, wn] = co_await http::async_write(conn.stream, req, use_tuple);
  if (wec) co_return exchange_result{wec, exchange_stage::write, {}, wn > 0};

  http::response_parser<http::string_body> parser;
  parser.body_limit(options_.body_limit);
  tcp.expires_at(deadline);
  conn.buffer.clear();
  auto [rec, rn] = co_await http::async_read(conn.stream, conn.buffer, parser, use_tuple);
  got_bytes = parser.got_some();
  if (rec) {
    exchange_result failed{rec, exchange_stage::read, {}, true};
    // Over the body limit: the status is known (a 2xx to a POST created a task).
    if (rec == http::error::body_limit && parser.is_header_done()) {
      failed.response = parser.release();
      failed.header_read = true;
    }
    co_return failed;
  }
  exchange_result done{{}, exchange_stage::done, parser.release(), true};
  done.header_read = true;
  co_return done;
}

void https_pool::give_back(std::unique_ptr<connection> conn, const http_response& res) {
  if (!res.keep_alive() || shut_down_) return;  // the server said Connection: close
  conn->idle_since = clock::now();
  auto it = res.find("Keep-Alive");
  conn->server_idle_timeout =
      it == res.end() ? std::chrono::seconds(0) : keep_alive_timeout(std::string_view(it->value()));
  beast::get_lowest_layer(conn->stream).expires_never();
  idle_.push_back(std::move(conn));
}

}  // namespace zefortd
