// A pool of HTTP/1.1 keep-alive connections over verified TLS to one origin. Requests share at
// most `max_connections` connections; each request is bounded by one deadline covering resolve,
// connect, handshake, write and read. Which request goes when (priorities, the rate limit) is
// the engine's decision; the pool only bounds the connections. An idle connection that the server
// closed is detected before reuse, and a GET/PATCH that meets a stale connection is retried once on
// a fresh one.
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <chrono>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "net/asio_fwd.hpp"
#include "net/async_semaphore.hpp"

namespace zefortd {

namespace http = boost::beast::http;
using http_request = http::request<http::string_body>;
using http_response = http::response<http::string_body>;

struct pool_options {
  std::string host;  // also the SNI name and the name the certificate must carry
  std::string port;  // "443"
  std::chrono::milliseconds timeout{std::chrono::seconds(30)};
  unsigned max_connections = 4;
  std::size_t body_limit = 16 * 1024 * 1024;
};

// Where a failed exchange stopped: a certificate refused at the handshake is not worth retrying.
enum class exchange_stage { resolve, connect, handshake, write, read, done };

struct exchange_result {
  boost::system::error_code ec;  // network, TLS, timeout or body-limit failure
  exchange_stage stage = exchange_stage::done;
  http_response response;  // valid only when header_read
  // Whether the server may have seen the request (for deciding whether a POST is in doubt).
  bool maybe_sent = false;
  // The status and headers were read (also when the body then went over the limit).
  bool header_read = false;
  // The handshake failed on the certificate; tls_detail says which check failed.
  bool certificate_rejected = false;
  // The handshake failed because the server offers no TLS version we accept (1.2 or later).
  bool protocol_refused = false;
  std::string tls_detail;
};

struct pool_stats {
  std::uint64_t requests = 0;
  std::uint64_t connects = 0;
  std::uint64_t reused = 0;
  std::uint64_t stale_retries = 0;
};

class https_pool {
 public:
  https_pool(asio::any_io_executor executor, asio::ssl::context& tls, pool_options options);
  ~https_pool();

  // Sends one request and reads the whole answer. Never throws for I/O failures.
  asio::awaitable<exchange_result> send(http_request request);

  // Closes every connection, idle or busy, and fails requests from now on (on shutdown).
  void shutdown();
  const pool_stats& stats() const { return stats_; }
  const pool_options& options() const { return options_; }
  const asio::any_io_executor& executor() const { return executor_; }

 private:
  struct connection;
  using clock = std::chrono::steady_clock;

  struct connect_result {
    boost::system::error_code ec;
    exchange_stage stage;
    std::unique_ptr<connection> conn;
    bool certificate_rejected = false;
    bool protocol_refused = false;
    std::string tls_detail;
  };

  std::unique_ptr<connection> take_idle();
  asio::awaitable<connect_result> connect(clock::time_point deadline);
  asio::awaitable<exchange_result> exchange(connection&, const http_request&,
                                            clock::time_point deadline, bool& got_bytes);
  void give_back(std::unique_ptr<connection>, const http_response&);

  asio::any_io_executor executor_;
  asio::ssl::context& tls_;
  pool_options options_;
  std::string host_header_;
  async_semaphore slots_;
  std::set<asio::ip::tcp::resolver*> resolving_;   // cancelled by shutdown()
  std::vector<std::unique_ptr<connection>> idle_;  // most recently used last
  std::set<connection*> busy_;                     // closed by shutdown()
  bool shut_down_ = false;
  pool_stats stats_;
};

}  // namespace zefortd
