// Classification of exchanges with the API; see api_answer.hpp.
#include "core/api_answer.hpp"

#include <boost/json/monotonic_resource.hpp>
#include <boost/json/parse.hpp>
#include <cctype>
#include <stdexcept>

namespace zefortd {
namespace json = boost::json;

void throw_exception_from_error(const api_failure& f, const boost::source_location&) {
  throw std::runtime_error(f.message);
}

const char* to_string(http_method m) {
  switch (m) {
    case http_method::get:
      return "GET";
    case http_method::post:
      return "POST";
    case http_method::patch:
      return "PATCH";
  }
  return "?";
}

namespace {

api_failure failure(retry_verdict v, unsigned status, std::string message) {
  api_failure f;
  f.verdict = v;
  f.status = status;
  f.message = std::move(message);
  return f;
}

http_method_kind kind_of(http_method m) {
  switch (m) {
    case http_method::post:
      return http_method_kind::post;
    case http_method::patch:
      return http_method_kind::patch;
    case http_method::get:
      break;
  }
  return http_method_kind::get;
}

std::string joined(std::string_view what, std::string_view detail) {
  std::string s(what);
  s += ": ";
  s += detail;
  return s;
}

// Parses a 2xx body into `arena`; nullopt (with `error`) when it is not JSON. The DOM lives only
// until the task or page is taken out of it (those copy into their own storage), so one arena
// per answer replaces a malloc and a free per JSON node.
std::optional<json::value> parse_body(const transport_result& r, std::string& error,
                                      json::storage_ptr arena) {
  boost::system::error_code ec;
  json::value v = json::parse(r.body, ec, std::move(arena));
  if (ec) {
    error = "answer is not JSON (" + ec.message() + ")";
    return std::nullopt;
  }
  return v;
}

}  // namespace

bool safe_task_id(std::string_view id) {
  if (id.empty() || id.size() > 200) return false;
  for (char c : id)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.'))
      return false;
  return id != "." && id != "..";
}

std::optional<api_failure> failure_of(http_method method, const transport_result& r,
                                      std::string_view what,
                                      std::chrono::system_clock::time_point now) {
  if (r.ec && !r.body_too_large) {
    // A certificate refused at the handshake will be refused again; anything else that broke a
    // handshake (an EOF from a load balancer, a reset) is a network failure like another.
    if (r.certificate_rejected)
      return failure(retry_verdict::permanent, 0,
                     joined(what, "TLS handshake failed: " + r.error_text +
                                      " (is the server's certificate trusted? see api.ca_file)"));
    if (r.protocol_refused)
      return failure(retry_verdict::permanent, 0,
                     joined(what, "TLS handshake failed: " + r.error_text));
    auto verdict = method == http_method::post && r.maybe_sent ? retry_verdict::retry_in_doubt
                                                               : retry_verdict::retry;
    return failure(verdict, 0, joined(what, r.error_text.empty() ? r.ec.message() : r.error_text));
  }
  const auto verdict = classify_status(kind_of(method), r.status);
  if (verdict == retry_verdict::success) {
    if (!r.body_too_large) return std::nullopt;
    // A 2xx whose body we could not read: the request was carried out. A POST created a task
    // we cannot name (in doubt); a PATCH did what we wanted; a GET answer is unusable.
    if (method == http_method::post)
      return failure(retry_verdict::retry_in_doubt, r.status,
                     joined(what, "answer larger than the body limit"));
    if (method == http_method::patch) return std::nullopt;
    return failure(retry_verdict::permanent, r.status,
                   joined(what, "answer larger than the body limit"));
  }
  auto f = failure(verdict, r.status,
                   joined(what, r.body_too_large ? std::to_string(r.status) +
                                                       " (answer larger than the body limit)"
                                                 : describe_status(r.status, r.reason, r.body)));
  if (!r.retry_after.empty()) f.retry_after = parse_retry_after(r.retry_after, now);
  return f;
}

api_result<task> submit_answer(const transport_result& r, std::string_view what,
                               std::chrono::system_clock::time_point now) {
  if (auto f = failure_of(http_method::post, r, what, now)) return *f;
  std::string error;
  unsigned char first_block[4096];
  json::monotonic_resource arena(first_block, sizeof first_block);
  auto v = parse_body(r, error, &arena);
  if (!v) return failure(retry_verdict::retry_in_doubt, r.status, joined(what, error));
  auto t = parse_task(*v);
  if (!t || !safe_task_id(t->id))
    return failure(retry_verdict::retry_in_doubt, r.status,
                   joined(what, "answer is not a task with a usable id"));
  return std::move(*t);
}

api_result<task> poll_answer(const transport_result& r, std::string_view task_id,
                             std::string_view what, std::chrono::system_clock::time_point now) {
  if (auto f = failure_of(http_method::get, r, what, now)) return *f;
  std::string error;
  unsigned char first_block[4096];
  json::monotonic_resource arena(first_block, sizeof first_block);
  auto v = parse_body(r, error, &arena);
  if (!v) return failure(retry_verdict::retry, r.status, joined(what, error));
  auto t = parse_task(*v);
  if (!t && t.error() == errc::bad_backend_status)
    return failure(retry_verdict::retry, r.status,
                   joined(what, "protocol error: backend_status is not a string"));
  if (!t) return failure(retry_verdict::retry, r.status, joined(what, "answer is not a task"));
  if (t->id != task_id)
    return failure(retry_verdict::retry, r.status,
                   joined(what, "protocol error: the answer is another task"));
  return std::move(*t);
}

api_result<void> dismiss_answer(const transport_result& r, std::string_view what,
                                std::chrono::system_clock::time_point now) {
  if (auto f = failure_of(http_method::patch, r, what, now)) return *f;
  return {};
}

api_result<task_page> page_answer(const transport_result& r, std::string_view what,
                                  std::chrono::system_clock::time_point now) {
  if (auto f = failure_of(http_method::get, r, what, now)) return *f;
  std::string error;
  unsigned char first_block[4096];
  json::monotonic_resource arena(first_block, sizeof first_block);
  auto v = parse_body(r, error, &arena);
  if (!v) return failure(retry_verdict::retry, r.status, joined(what, error));
  auto page = parse_task_list(*v);
  if (!page && page.error() == errc::bad_backend_status)
    return failure(retry_verdict::retry, r.status, joined(what, page.error().message()));
  if (!page)
    return failure(retry_verdict::retry, r.status, joined(what, "answer is not a task list"));
  return std::move(*page);
}

load_signal load_of(const transport_result& r) {
  if (r.ec && !r.body_too_large) return load_signal::neutral;
  if (r.status == 429 || r.status == 503) return load_signal::throttled;
  return r.status < 500 ? load_signal::good : load_signal::neutral;
}

bool key_refused(const transport_result& r) {
  return (!r.ec || r.body_too_large) && (r.status == 401 || r.status == 403);
}

}  // namespace zefortd
