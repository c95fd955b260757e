// The sandbox's network edge; see server.hpp.
#include "server.hpp"

#include <openssl/ssl.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <exception>
#include <stdexcept>

#include "log.hpp"

// g++ 12 falsely reports a mismatched delete on Asio coroutine frames, whose promise brings a
// sized operator delete (GCC bug 109224, fixed in 13).
#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ < 13
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

namespace zefort_sandbox {
namespace {

namespace beast = boost::beast;
namespace http = boost::beast::http;

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);
constexpr auto handshake_timeout = std::chrono::seconds(10);
// Reading a body or writing an answer: generous, as a stalled peer only costs a coroutine.
constexpr auto transfer_timeout = std::chrono::seconds(30);
constexpr auto shutdown_timeout = std::chrono::seconds(2);
constexpr std::uint64_t body_limit = 1024 * 1024;

// Completion handler for every co_spawn: a coroutine's escaped exception is logged and ends
// that coroutine only, never the process.
struct log_exception {
  std::string what;
  void operator()(std::exception_ptr e) const {
    if (!e) return;
    try {
      std::rethrow_exception(e);
    } catch (const std::exception& x) {
      log(what, ": ", x.what());
    } catch (...) {
      log(what, ": unknown exception");
    }
  }
};

// The normal ways for a client to go away; not worth a log line.
bool ordinary_end(const boost::system::error_code& ec) {
  return ec == http::error::end_of_stream || ec == asio::error::eof ||
         ec == asio::ssl::error::stream_truncated || ec == asio::error::connection_reset ||
         ec == http::error::partial_message;
}

std::string url_host(const asio::ip::address& address) {
  // The certificate names 127.0.0.1 and ::1: a wildcard listener is announced on those.
  if (address.is_v4()) return address.is_unspecified() ? "127.0.0.1" : address.to_string();
  return "[" + (address.is_unspecified() ? std::string("::1") : address.to_string()) + "]";
}

}  // namespace

ssl::context make_tls_context(const tls_identity& identity) {
  ssl::context tls(ssl::context::tls_server);
  tls.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                  ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
  if (SSL_CTX_set_min_proto_version(tls.native_handle(), TLS1_2_VERSION) != 1)
    throw std::runtime_error("cannot require TLS 1.2 in the OpenSSL context");
  tls.use_certificate_chain(asio::buffer(identity.cert_pem));
  tls.use_private_key(asio::buffer(identity.key_pem), ssl::context::pem);
  return tls;
}

server::server(asio::io_context& io, ssl::context& tls, api& handler, server_settings settings)
    : io_(io), tls_(tls), api_(handler), settings_(settings), acceptor_(io) {}

std::string server::listen(const std::string& host, std::uint16_t port) {
  boost::system::error_code ec;
  const auto address = host == "localhost" ? asio::ip::address(asio::ip::address_v4::loopback())
                                           : asio::ip::make_address(host, ec);
  if (ec)
    throw std::runtime_error("--listen " + host + ": not an IP address (" + ec.message() + ")");
  const tcp::endpoint wanted(address, port);
  acceptor_.open(wanted.protocol());
  acceptor_.set_option(asio::socket_base::reuse_address(true));
  acceptor_.bind(wanted, ec);
  if (ec)
    throw std::runtime_error("cannot listen on " + url_host(address) + ":" + std::to_string(port) +
                             ": " + ec.message() +
                             "; pick another --listen port, or 0 for any free one");
  // Test suites open hundreds of connections at once: a short backlog would drop SYNs.
  acceptor_.listen(asio::socket_base::max_listen_connections);
  authority_ = url_host(address) + ":" + std::to_string(acceptor_.local_endpoint().port());
  return "https://" + authority_;
}

void server::start() {
  asio::co_spawn(io_, accept_loop(), log_exception{"accept loop"});
}

void server::stop() {
  boost::system::error_code ignored;
  acceptor_.close(ignored);
}

asio::awaitable<void> server::accept_loop() {
  for (;;) {
    auto [ec, socket] = co_await acceptor_.async_accept(use_tuple);
    if (ec == asio::error::operation_aborted || !acceptor_.is_open()) co_return;
    if (ec) {
      // Out of file descriptors and the like: back off instead of spinning, keep serving.
      log("accept: ", ec.message());
      asio::steady_timer pause(io_, std::chrono::milliseconds(100));
      co_await pause.async_wait(use_tuple);
      continue;
    }
    const std::uint64_t id = next_connection_++;
    asio::co_spawn(io_, session(std::move(socket), id),
                   log_exception{"connection " + std::to_string(id)});
  }
}

asio::awaitable<void> server::session(tcp::socket socket, std::uint64_t id) {
  beast::ssl_stream<beast::tcp_stream> stream(std::move(socket), tls_);
  beast::tcp_stream& tcp = beast::get_lowest_layer(stream);
  const std::string who = "connection " + std::to_string(id);

  tcp.expires_after(handshake_timeout);
  auto [handshake_ec] = co_await stream.async_handshake(ssl::stream_base::server, use_tuple);
  if (handshake_ec) {
    if (!settings_.quiet) log(who, ": TLS handshake failed: ", handshake_ec.message());
    co_return;
  }
  ++api_.count().connections;

  beast::flat_buffer buffer;
  unsigned served = 0;
  for (;;) {
    http::request_parser<http::string_body> parser;
    parser.body_limit(body_limit);

    // Waiting for a request is where a load balancer's idle timeout bites: on expiry the
    // tcp_stream closes the socket, silently, with no answer and no TLS close_notify.
    tcp.expires_after(settings_.idle_timeout);
    auto [header_ec, header_bytes] =
        co_await http::async_read_header(stream, buffer, parser, use_tuple);
    if (header_ec == beast::error::timeout) {
      if (!settings_.quiet) log(who, ": idle, closed after ", served, " requests");
      co_return;
    }
    boost::system::error_code read_ec = header_ec;
    if (!read_ec) {
      tcp.expires_after(transfer_timeout);
      if (beast::iequals(parser.get()[http::field::expect], "100-continue")) {
        // curl waits a second for this before sending a large body anyway.
        http::response<http::empty_body> proceed(http::status::continue_, parser.get().version());
        auto [continue_ec, continue_bytes] = co_await http::async_write(stream, proceed, use_tuple);
        if (continue_ec) co_return;
      }
      auto [body_ec, body_bytes] = co_await http::async_read(stream, buffer, parser, use_tuple);
      read_ec = body_ec;
    }
    // A Content-Length over the limit fails already with the header, before any upload.
    if (read_ec == http::error::body_limit) {
      http::response<http::string_body> too_large(http::status::payload_too_large,
                                                  parser.get().version());
      too_large.set(http::field::server, "zefort-sandbox");
      too_large.set(http::field::content_type, "application/json");
      too_large.body() = R"({"detail": "Request body larger than 1 MiB."})";
      too_large.keep_alive(false);
      too_large.prepare_payload();
      tcp.expires_after(transfer_timeout);
      // Whether the 413 arrives or not, this connection is over.
      co_await http::async_write(stream, too_large, use_tuple);
      if (!settings_.quiet) log(who, ": request body over 1 MiB, answered 413 and closed");
      co_return;
    }
    if (read_ec) {
      if (!settings_.quiet && !ordinary_end(read_ec))
        log(who, ": reading request: ", read_ec.message());
      co_return;
    }

    const http::request<http::string_body>& request = parser.get();
    ++served;
    const bool keep_alive = request.keep_alive() &&
                            (settings_.keep_alive_max == 0 || served < settings_.keep_alive_max);
    const std::string_view host_header = request[http::field::host];
    const api_request call{request.method_string(),
                           request.target(),
                           request[http::field::authorization],
                           host_header.empty() ? std::string_view(authority_) : host_header,
                           request[http::field::content_type],
                           request.body()};
    const auto started = std::chrono::steady_clock::now();
    api_reply reply = api_.handle(call, std::chrono::system_clock::now());

    if (reply.delay.count() > 0) {
      asio::steady_timer wait(io_, reply.delay);
      co_await wait.async_wait(use_tuple);
    }
    auto log_request = [&](std::string_view outcome) {
      if (settings_.quiet) return;
      const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::steady_clock::now() - started)
                          .count();
      log(who, ": ", request.method_string(), " ", request.target(), " -> ", outcome,
          reply.note.empty() ? "" : ", ", reply.note, " (", ms, " ms)");
    };
    if (reply.drop) {
      log_request("dropped");
      tcp.close();
      co_return;
    }

    http::response<http::string_body> response;
    response.version(request.version());
    response.result(reply.status);
    response.set(http::field::server, "zefort-sandbox");
    response.set(http::field::content_type, "application/json");
    for (const auto& [name, value] : reply.headers) response.set(name, value);
    response.body() = std::move(reply.body);
    response.keep_alive(keep_alive);
    response.prepare_payload();

    tcp.expires_after(transfer_timeout);
    auto [write_ec, written] = co_await http::async_write(stream, response, use_tuple);
    log_request(std::to_string(reply.status));
    if (write_ec) {
      if (!settings_.quiet && !ordinary_end(write_ec))
        log(who, ": writing answer: ", write_ec.message());
      co_return;
    }
    if (!keep_alive) break;
  }

  // Connection: close was said; a polite TLS close, bounded because peers often just hang up.
  tcp.expires_after(shutdown_timeout);
  co_await stream.async_shutdown(use_tuple);
}

}  // namespace zefort_sandbox
