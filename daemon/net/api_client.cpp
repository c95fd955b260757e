// See api_client.hpp.
#include "net/api_client.hpp"

#include <boost/asio/error.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/json.hpp>
#include <boost/url/parse.hpp>
#include <set>
#include <stdexcept>

#include "core/retry.hpp"

namespace zefortd {
namespace json = boost::json;
namespace urls = boost::urls;

void throw_exception_from_error(const api_failure& f, const boost::source_location&) {
  throw std::runtime_error(f.message);
}

namespace {

http_method_kind kind_of(http::verb v) {
  switch (v) {
    case http::verb::post:
      return http_method_kind::post;
    case http::verb::patch:
      return http_method_kind::patch;
    default:
      return http_method_kind::get;
  }
}

// Task ids go into a URL path: accept only what the API hands out, never "../" or "?".
bool safe_task_id(std::string_view id) {
  if (id.empty() || id.size() > 200) return false;
  for (char c : id)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.'))
      return false;
  return id != "." && id != "..";
}

api_failure failure(retry_verdict v, unsigned status, std::string message) {
  api_failure f;
  f.verdict = v;
  f.status = status;
  f.message = std::move(message);
  return f;
}

// A network failure. A certificate refused at the handshake will be refused again: permanent.
api_failure network_failure(const exchange_result& r, http::verb method, const std::string& what) {
  bool tls = r.ec.category() == asio::error::get_ssl_category() ||
             r.ec.category() == asio::ssl::error::get_stream_category();
  if (r.stage == exchange_stage::handshake && tls)
    return failure(retry_verdict::permanent, 0,
                   what + ": TLS handshake failed: " + r.ec.message() +
                       " (is the server's certificate trusted? see api.ca_file)");
  if (r.ec == boost::beast::http::error::body_limit)
    return failure(retry_verdict::permanent, 0, what + ": answer larger than the body limit");
  auto verdict = method == http::verb::post && r.maybe_sent ? retry_verdict::retry_in_doubt
                                                            : retry_verdict::retry;
  return failure(verdict, 0, what + ": " + r.ec.message());
}

std::uint16_t effective_port(const urls::url& u) {
  if (u.has_port()) return u.port_number();
  return u.scheme() == "https" ? 443 : 80;
}

}  // namespace

api_client::api_client(https_pool& pool, urls::url base, const secret& key)
    : pool_(pool), base_(std::move(base)), authorization_(basic_auth_header(key)) {}

std::string api_client::target_of(std::string_view relative) const {
  std::string target(base_.encoded_path());
  if (target.empty() || target.back() != '/') target += '/';
  target.append(relative);
  return target;
}

asio::awaitable<api_result<json::value>> api_client::call(http::verb method, std::string target,
                                                          std::string body) {
  http_request req{method, target, 11};
  req.set(http::field::authorization, authorization_);
  req.set(http::field::accept, "application/json");
  req.set(http::field::user_agent, "zefortd/0.1");
  if (!body.empty()) {
    req.set(http::field::content_type, "application/json");
    req.body() = std::move(body);
  }
  const std::string what = std::string(http::to_string(method)) + " " + target;
  auto r = co_await pool_.send(std::move(req));
  if (r.ec) co_return network_failure(r, method, what);

  const unsigned status = r.response.result_int();
  auto verdict = classify_status(kind_of(method), status);
  if (verdict != retry_verdict::success) {
    auto f = failure(verdict, status, what + ": " + describe_status(status, r.response.body()));
    if (auto it = r.response.find(http::field::retry_after); it != r.response.end())
      f.retry_after = parse_retry_after(it->value(), std::chrono::system_clock::now());
    co_return f;
  }
  boost::system::error_code ec;
  json::value v = json::parse(r.response.body(), ec);
  if (ec) {
    // A 2xx to a POST means the task exists even if its body is unreadable.
    auto v2 = method == http::verb::post ? retry_verdict::retry_in_doubt : retry_verdict::retry;
    co_return failure(v2, status, what + ": answer is not JSON (" + ec.message() + ")");
  }
  co_return v;
}

asio::awaitable<api_result<task>> api_client::submit(std::string endpoint, json::object body) {
  auto target = target_of(endpoint);
  auto v = co_await call(http::verb::post, target, json::serialize(body));
  if (!v) co_return v.error();
  auto t = parse_task(*v);
  if (!t || !safe_task_id(t->id))
    co_return failure(retry_verdict::retry_in_doubt, 0,
                      "POST " + target + ": answer is not a task with a usable id");
  co_return *t;
}

asio::awaitable<api_result<task>> api_client::poll(std::string task_id) {
  if (!safe_task_id(task_id))
    co_return failure(retry_verdict::permanent, 0, "unusable task id '" + task_id + "'");
  auto target = target_of("tasks/" + task_id + "/");
  auto v = co_await call(http::verb::get, target, {});
  if (!v) co_return v.error();
  auto t = parse_task(*v);
  if (!t) co_return failure(retry_verdict::retry, 0, "GET " + target + ": answer is not a task");
  co_return *t;
}

asio::awaitable<api_result<task>> api_client::dismiss(std::string task_id) {
  if (!safe_task_id(task_id))
    co_return failure(retry_verdict::permanent, 0, "unusable task id '" + task_id + "'");
  auto target = target_of("tasks/" + task_id + "/");
  auto v = co_await call(http::verb::patch, target, R"({"frontend_status":"done"})");
  if (!v) co_return v.error();
  auto t = parse_task(*v);
  if (!t) {
    // The PATCH succeeded (2xx); an odd body does not undo that.
    task done;
    done.id = task_id;
    done.frontend_status = "done";
    co_return done;
  }
  co_return *t;
}

asio::awaitable<api_result<json::value>> api_client::get_page(std::string target) {
  // One bad answer among dozens of pages must not throw the whole listing away: retry the page
  // a few times, honouring Retry-After, before giving the failure to the caller.
  constexpr int attempts = 4;
  std::chrono::milliseconds delay(200);
  for (int i = 1;; ++i) {
    auto v = co_await call(http::verb::get, target, {});
    if (v || i == attempts || v.error().verdict == retry_verdict::permanent) co_return v;
    auto wait = std::max(delay, v.error().retry_after.value_or(delay));
    asio::steady_timer timer(pool_.executor(), wait);
    co_await timer.async_wait(use_tuple);
    delay *= 2;
  }
}

asio::awaitable<api_result<std::vector<task>>> api_client::list() {
  std::vector<task> all;
  std::string target = target_of("tasks/");
  std::set<std::string> seen;  // a `next` that loops back must not loop us forever
  while (seen.insert(target).second) {
    auto v = co_await get_page(target);
    if (!v) {
      api_failure f = v.error();
      // A later page that vanished means the list changed under us: start over, later.
      if (seen.size() > 1 && f.status == 404) f.verdict = retry_verdict::retry;
      co_return f;
    }
    auto page = parse_task_list(*v);
    if (!page)
      co_return failure(retry_verdict::retry, 0, "GET " + target + ": answer is not a task list");
    for (auto& t : page->tasks) all.push_back(std::move(t));
    if (!page->next) break;

    // Follow `next` only to the same origin: the API key must never go anywhere else.
    auto ref = urls::parse_uri_reference(*page->next);
    if (!ref) co_return failure(retry_verdict::retry, 0, "GET " + target + ": bad next link");
    urls::url here = base_;
    here.set_encoded_path(target.substr(0, target.find('?')));
    if (auto q = target.find('?'); q != std::string::npos)
      here.set_encoded_query(target.substr(q + 1));
    urls::url next;
    if (!urls::resolve(here, *ref, next))
      co_return failure(retry_verdict::retry, 0, "GET " + target + ": bad next link");
    if (next.scheme() != base_.scheme() || next.encoded_host() != base_.encoded_host() ||
        effective_port(next) != effective_port(base_))
      co_return failure(retry_verdict::permanent, 0,
                        "GET " + target + ": next link points to another host; not following");
    target = std::string(next.encoded_path());
    if (next.has_query()) target += "?" + std::string(next.encoded_query());
  }
  co_return all;
}

}  // namespace zefortd
