// See api_client.hpp.
#include "net/api_client.hpp"

#include <boost/beast/http/error.hpp>
#include <boost/beast/http/status.hpp>

namespace zefortd {
namespace {

http::verb verb_of(http_method m) {
  switch (m) {
    case http_method::post:
      return http::verb::post;
    case http_method::patch:
      return http::verb::patch;
    case http_method::get:
      break;
  }
  return http::verb::get;
}

transport_stage stage_of(exchange_stage s) {
  switch (s) {
    case exchange_stage::resolve:
      return transport_stage::resolve;
    case exchange_stage::connect:
      return transport_stage::connect;
    case exchange_stage::handshake:
      return transport_stage::handshake;
    case exchange_stage::write:
      return transport_stage::write;
    case exchange_stage::read:
      return transport_stage::read;
    case exchange_stage::done:
      break;
  }
  return transport_stage::done;
}

}  // namespace

api_client::api_client(https_pool& pool, const secret& key)
    : pool_(pool), authorization_(basic_auth_header(key)) {}

asio::awaitable<transport_result> api_client::send(transport_request request) {
  http_request req{verb_of(request.method), request.target, 11};
  req.set(http::field::authorization, authorization_);
  req.set(http::field::accept, "application/json");
  req.set(http::field::user_agent, "zefortd/0.1");
  if (!request.body.empty()) {
    req.set(http::field::content_type, "application/json");
    req.body() = std::move(request.body);
  }
  auto r = co_await pool_.send(std::move(req));

  transport_result out;
  out.ec = r.ec;
  out.stage = stage_of(r.stage);
  out.maybe_sent = r.maybe_sent;
  out.certificate_rejected = r.certificate_rejected;
  out.protocol_refused = r.protocol_refused;
  if (r.ec) out.error_text = r.tls_detail.empty() ? r.ec.message() : r.tls_detail;
  // A default-constructed response says 200: read the status only when a header arrived.
  if (r.header_read) {
    out.status = r.response.result_int();
    if (r.response.result() != http::status::unknown)
      out.reason = std::string(http::obsolete_reason(r.response.result()));
    if (auto it = r.response.find(http::field::retry_after); it != r.response.end())
      out.retry_after = std::string(it->value());
    out.body = std::move(r.response.body());
  }
  out.body_too_large = r.ec == http::error::body_limit && r.header_read;
  co_return out;
}

}  // namespace zefortd
