// See metrics_listener.hpp.
#include "net/metrics_listener.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>

#include "core/log.hpp"

namespace zefortd {
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

listen_address split_listen_address(const std::string& listen) {
  const auto colon = listen.rfind(':');
  listen_address a{listen.substr(0, colon), colon == std::string::npos ? "" : listen.substr(colon + 1)};
  if (a.host.size() >= 2 && a.host.front() == '[' && a.host.back() == ']')
    a.host = a.host.substr(1, a.host.size() - 2);
  return a;
}

bool is_loopback_host(const std::string& host) {
  if (host == "localhost") return true;
  boost::system::error_code ec;
  const auto address = asio::ip::make_address(host, ec);
  return !ec && address.is_loopback();
}

metrics_listener::metrics_listener(asio::any_io_executor ex, render_fn render,
                                   metrics_listener_options options)
    : executor_(ex), render_(std::move(render)), options_(options), acceptor_(ex) {}

metrics_listener::~metrics_listener() {
  stop();
}

boost::system::error_code metrics_listener::start(const listen_address& address) {
  boost::system::error_code ec;
  tcp::resolver resolver(executor_);
  // A numeric host or /etc/hosts: the resolver answers at once, before the loop runs.
  auto results = resolver.resolve(address.host, address.port,
                                  tcp::resolver::numeric_service | tcp::resolver::passive, ec);
  if (ec) return ec;
  if (results.empty()) return asio::error::host_not_found;
  const tcp::endpoint endpoint = *results.begin();
  acceptor_.open(endpoint.protocol(), ec);
  if (ec) return ec;
  acceptor_.set_option(tcp::acceptor::reuse_address(true), ec);
  acceptor_.bind(endpoint, ec);
  if (!ec) acceptor_.listen(16, ec);
  if (ec) {
    boost::system::error_code ignored;
    acceptor_.close(ignored);
    return ec;
  }
  asio::co_spawn(executor_, accept_loop(), [](std::exception_ptr e) {
    if (!e) return;
    try {
      std::rethrow_exception(e);
    } catch (const std::exception& x) {
      log_error("metrics listener stopped: ", x.what());
    }
  });
  return {};
}

tcp::endpoint metrics_listener::local_endpoint() const {
  boost::system::error_code ec;
  return acceptor_.local_endpoint(ec);
}

void metrics_listener::stop() {
  stopped_ = true;
  boost::system::error_code ec;
  acceptor_.close(ec);
  for (tcp::socket* s : open_) s->close(ec);
}

asio::awaitable<void> metrics_listener::accept_loop() {
  for (;;) {
    auto [ec, socket] = co_await acceptor_.async_accept(use_tuple);
    if (stopped_ || ec == asio::error::operation_aborted) co_return;
    if (ec) continue;  // e.g. EMFILE: the next accept may succeed
    // Counted here, not when serve() first runs: accepts queued in one turn must see each other.
    if (serving_ >= options_.max_connections) {
      boost::system::error_code ignored;
      socket.close(ignored);  // a scraper retries; the loop is not held by a queue of them
      continue;
    }
    ++serving_;
    auto serving = serve(std::move(socket));
    asio::co_spawn(executor_, std::move(serving), asio::detached);
  }
}

asio::awaitable<void> metrics_listener::serve(tcp::socket socket) {
  beast::tcp_stream stream(std::move(socket));
  tcp::socket* registered = &stream.socket();
  open_.insert(registered);
  struct unregister {
    std::set<tcp::socket*>& set;
    tcp::socket* s;
    std::size_t& serving;
    ~unregister() {
      set.erase(s);
      --serving;
    }
  } guard{open_, registered, serving_};

  beast::flat_buffer buffer(8 * 1024);
  http::request_parser<http::empty_body> parser;
  parser.header_limit(8 * 1024);
  parser.body_limit(0);
  stream.expires_after(options_.timeout);
  auto [read_ec, n] = co_await http::async_read(stream, buffer, parser, use_tuple);
  (void)n;
  if (read_ec || stopped_) co_return;
  const auto& request = parser.get();

  std::string_view target = request.target();
  if (auto q = target.find('?'); q != std::string_view::npos) target = target.substr(0, q);
  http::response<http::string_body> response;
  response.version(11);
  response.keep_alive(false);
  if (target != "/metrics") {
    response.result(http::status::not_found);
    response.set(http::field::content_type, "text/plain; charset=utf-8");
    response.body() = "not found: metrics are at /metrics\n";
  } else if (request.method() != http::verb::get && request.method() != http::verb::head) {
    response.result(http::status::method_not_allowed);
    response.set(http::field::allow, "GET, HEAD");
    response.set(http::field::content_type, "text/plain; charset=utf-8");
    response.body() = "GET /metrics\n";
  } else {
    response.result(http::status::ok);
    response.set(http::field::content_type, "text/plain; version=0.0.4; charset=utf-8");
    if (request.method() == http::verb::get) response.body() = render_();
  }
  response.prepare_payload();
  if (request.method() == http::verb::head) response.body().clear();
  stream.expires_after(options_.timeout);
  auto [write_ec, m] = co_await http::async_write(stream, response, use_tuple);
  (void)write_ec;
  (void)m;
  boost::system::error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
}

}  // namespace zefortd
