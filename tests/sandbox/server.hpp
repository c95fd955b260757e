// The sandbox's network edge: TLS listener and HTTP/1.1 keep-alive sessions that hand each
// request to the api and carry out its planned reply (answer, delay, or drop).
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <chrono>
#include <cstdint>
#include <string>

#include "api.hpp"
#include "certs.hpp"

namespace zefort_sandbox {

namespace asio = boost::asio;
namespace ssl = boost::asio::ssl;
using tcp = boost::asio::ip::tcp;

struct server_settings {
  std::chrono::microseconds idle_timeout{std::chrono::seconds(30)};
  unsigned keep_alive_max = 0;  // 0: unlimited
  bool quiet = false;
};

// TLS 1.2 at least, serving the generated certificate. Throws on an OpenSSL error.
ssl::context make_tls_context(const tls_identity& identity);

class server {
 public:
  server(asio::io_context& io, ssl::context& tls, api& handler, server_settings settings);

  // Binds and listens; throws std::runtime_error naming the address. Returns the base URL
  // clients use, with the real port: https://127.0.0.1:PORT.
  std::string listen(const std::string& host, std::uint16_t port);
  void start();
  // Stops accepting; open sessions end when the io_context stops.
  void stop();

 private:
  asio::awaitable<void> accept_loop();
  asio::awaitable<void> session(tcp::socket socket, std::uint64_t id);

  asio::io_context& io_;
  ssl::context& tls_;
  api& api_;
  server_settings settings_;
  tcp::acceptor acceptor_;
  std::string authority_;  // host:port for links when a request has no Host header
  std::uint64_t next_connection_ = 1;
};

}  // namespace zefort_sandbox
