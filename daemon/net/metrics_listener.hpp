// The /metrics edge: a small HTTP/1.1 server on the event loop that answers GET /metrics with
// what a render function returns (core/metrics) and 404 elsewhere. Few connections, a deadline
// on every step, one request per connection: a slow or hostile scraper cannot hold the loop.
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <boost/system/result.hpp>
#include <chrono>
#include <functional>
#include <set>
#include <string>

#include "net/asio_fwd.hpp"

namespace zefortd {

struct metrics_listener_options {
  std::size_t max_connections = 4;  // beyond this, a new connection is closed at once
  std::chrono::milliseconds timeout{5000};  // to read the request, and to write the answer
};

// "127.0.0.1:9464", "[::1]:9464", "localhost:9464" -> host and port (brackets removed).
struct listen_address {
  std::string host, port;
};
listen_address split_listen_address(const std::string& listen);
// Whether the address names only this machine: 127.0.0.0/8, ::1, "localhost".
bool is_loopback_host(const std::string& host);

class metrics_listener {
 public:
  using render_fn = std::function<std::string()>;
  metrics_listener(asio::any_io_executor ex, render_fn render, metrics_listener_options options);
  metrics_listener(const metrics_listener&) = delete;
  metrics_listener& operator=(const metrics_listener&) = delete;
  ~metrics_listener();

  // Resolves and binds (numeric hosts, or a name the resolver knows), then accepts on the loop.
  // An error is a value: the caller logs it and carries on without metrics.
  boost::system::error_code start(const listen_address& address);
  asio::ip::tcp::endpoint local_endpoint() const;
  // Closes the acceptor and every open connection; the coroutines end on their next step.
  void stop();

 private:
  asio::awaitable<void> accept_loop();
  asio::awaitable<void> serve(asio::ip::tcp::socket socket);

  asio::any_io_executor executor_;
  render_fn render_;
  metrics_listener_options options_;
  asio::ip::tcp::acceptor acceptor_;
  std::set<asio::ip::tcp::socket*> open_;
  std::size_t serving_ = 0;  // connections accepted and not yet done, against max_connections
  bool stopped_ = false;
};

}  // namespace zefortd
