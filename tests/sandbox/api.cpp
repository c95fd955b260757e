// The API's semantics; see api.hpp.
#include "api.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <cctype>
#include <charconv>

namespace zefort_sandbox {
namespace {

api_reply json_reply(unsigned status, const json::value& body) {
  api_reply r;
  r.status = status;
  r.body = json::serialize(body);
  return r;
}

api_reply detail(unsigned status, std::string_view text) {
  json::object body;
  body["detail"] = text;
  return json_reply(status, body);
}

api_reply field_error(unsigned status, std::string_view field, std::string_view text) {
  json::object body;
  body[field] = json::array{json::value(text)};
  return json_reply(status, body);
}

api_reply not_allowed(std::string_view method, const char* allow) {
  api_reply r = detail(405, "Method \"" + std::string(method) + "\" not allowed.");
  r.headers.emplace_back("Allow", allow);
  return r;
}

api_reply unauthorized() {
  api_reply r = detail(401, "Invalid API key.");
  r.headers.emplace_back("WWW-Authenticate", "Basic realm=\"api\"");
  return r;
}

// Django REST framework answers 415 for a body it has no parser for; a client that forgets
// its Content-Type should find out here, not against the real API. No header is let through,
// as curl -d users would otherwise trip on it.
bool json_media_type(std::string_view content_type) {
  std::string_view media = content_type.substr(0, content_type.find(';'));
  while (!media.empty() && media.back() == ' ') media.remove_suffix(1);
  while (!media.empty() && media.front() == ' ') media.remove_prefix(1);
  if (media.empty()) return true;
  constexpr std::string_view expected = "application/json";
  return media.size() == expected.size() &&
         std::equal(media.begin(), media.end(), expected.begin(), [](char a, char b) {
           return std::tolower(static_cast<unsigned char>(a)) == b;
         });
}

// Parses a JSON body, or says why not in Django REST framework's words.
bool parse_body(const api_request& request, json::value& out, api_reply& error) {
  if (!json_media_type(request.content_type)) {
    error = detail(
        415, "Unsupported media type \"" + std::string(request.content_type) + "\" in request.");
    return false;
  }
  boost::system::error_code ec;
  out = json::parse(request.body, ec);
  if (ec) {
    error = detail(400, "JSON parse error - " + ec.message());
    return false;
  }
  return true;
}

std::string_view query_param(std::string_view query, std::string_view name) {
  while (!query.empty()) {
    const auto amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    const auto eq = pair.find('=');
    if (pair.substr(0, eq) == name) return eq == std::string_view::npos ? "" : pair.substr(eq + 1);
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return {};
}

}  // namespace

api::api(const options& opts, std::uint64_t seed)
    : api_key_(opts.api_key),
      submit_status_(opts.submit_status),
      format_(opts.format),
      page_size_(opts.page_size),
      retry_after_(opts.retry_after),
      slow_(opts.slow),
      store_(opts.task_min, opts.task_max, seed),
      throttle_(opts.rate_limit, opts.rate_burst),
      faults_(
          fault_rates{opts.error_rate, opts.rate_429, opts.drop_rate, opts.error_after_processing},
          seed) {}

bool api::authorized(std::string_view authorization) const {
  constexpr std::string_view scheme = "basic ";
  if (authorization.size() < scheme.size()) return false;
  for (std::size_t i = 0; i < scheme.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(authorization[i])) != scheme[i]) return false;
  std::string_view encoded = authorization.substr(scheme.size());
  while (!encoded.empty() && encoded.front() == ' ') encoded.remove_prefix(1);
  while (!encoded.empty() && encoded.back() == ' ') encoded.remove_suffix(1);
  std::string credentials;
  if (!decode_base64(encoded, credentials)) return false;
  // The key is the user name and the password is empty: "KEY:".
  return credentials.size() == api_key_.size() + 1 && credentials.back() == ':' &&
         credentials.compare(0, api_key_.size(), api_key_) == 0;
}

api_reply api::handle(const api_request& request, time_point now) {
  const std::string_view target = request.target;
  const auto question = target.find('?');
  const std::string_view path = target.substr(0, question);
  const std::string_view query =
      question == std::string_view::npos ? std::string_view() : target.substr(question + 1);

  // The test's own window into the sandbox: never counted, never misbehaving.
  if (path.starts_with("/_sandbox/")) {
    if (!authorized(request.authorization)) return unauthorized();
    if (path != "/_sandbox/stats") return detail(404, "Not found.");
    if (request.method != "GET") return not_allowed(request.method, "GET");
    return json_reply(200, store_.stats(now));
  }

  counters& count = store_.count();
  ++count.requests;
  if (path != "/api" && !path.starts_with("/api/")) return detail(404, "Not found.");

  // The gateway's rate limit and the load balancer's faults hit before authentication, as a
  // real one's would.
  if (const auto wait = throttle_.admit(now)) {
    ++count.rejected_429;
    ++count.rate_limited;
    api_reply reply = detail(429, "Request was throttled. Expected available in " +
                                      std::to_string(*wait) +
                                      (*wait == 1 ? " second." : " seconds."));
    reply.headers.emplace_back("Retry-After", std::to_string(*wait));
    reply.note = "rate limit";
    reply.delay = slow_;
    return reply;
  }
  const fault f = faults_.decide(request.method == "POST");
  api_reply reply;
  switch (f) {
    case fault::drop_before:
      ++count.dropped;
      reply.drop = true;
      reply.note = "injected";
      break;
    case fault::throttle:
      ++count.rejected_429;
      reply = detail(429, "Request was throttled. Expected available in " +
                              std::to_string(retry_after_) +
                              (retry_after_ == 1 ? " second." : " seconds."));
      reply.headers.emplace_back("Retry-After", std::to_string(retry_after_));
      reply.note = "injected";
      break;
    case fault::error_503:
      ++count.errors_injected;
      reply = detail(503, "Service temporarily unavailable (sandbox).");
      reply.note = "injected";
      break;
    case fault::error_500_before:
      ++count.errors_injected;
      reply = detail(500, "Internal server error (sandbox).");
      reply.note = "injected";
      break;
    case fault::none:
    case fault::drop_after:
    case fault::error_500_after: {
      const std::uint64_t submissions_before = count.submissions;
      reply = authorized(request.authorization) ? route(request, path, query, now) : unauthorized();
      const bool created = count.submissions != submissions_before;
      if (f == fault::drop_after) {
        ++count.dropped;
        if (created) ++count.in_doubt;
        reply.drop = true;
        reply.note = "injected after processing " + reply.note;
      } else if (f == fault::error_500_after) {
        ++count.errors_injected;
        if (created) ++count.in_doubt;
        std::string note = "injected after processing " + reply.note;
        reply = detail(500, "Internal server error (sandbox).");
        reply.note = std::move(note);
      }
      break;
    }
  }
  reply.delay = slow_;
  return reply;
}

api_reply api::route(const api_request& request, std::string_view path, std::string_view query,
                     time_point now) {
  const std::string_view method = request.method;
  if (path.ends_with("/bulk_update/")) {
    if (method != "POST") return not_allowed(method, "POST");
    return submit(request, now);
  }
  constexpr std::string_view tasks = "/api/tasks/";
  if (path == tasks) {
    if (method != "GET") return not_allowed(method, "GET");
    return list(request.host, path, query, now);
  }
  if (path.starts_with(tasks) && path.ends_with('/') && path.size() > tasks.size() + 1) {
    const std::string_view id = path.substr(tasks.size(), path.size() - tasks.size() - 1);
    if (id.find('/') == std::string_view::npos) {
      if (method == "GET") return poll(id, now);
      if (method == "PATCH") return dismiss(request, id, now);
      return not_allowed(method, "GET, PATCH");
    }
  }
  return detail(404, "Not found.");
}

api_reply api::submit(const api_request& request, time_point now) {
  json::value body;
  api_reply error;
  if (!parse_body(request, body, error)) return error;
  json::object* object = body.if_object();
  if (!object || !object->contains("search") || !object->at("search").is_object())
    return field_error(400, "search", "This field is required.");
  const task& t = store_.submit(std::move(*object), now);
  api_reply r = json_reply(submit_status_, store::render_submitted(t));
  r.note = t.id;
  return r;
}

api_reply api::poll(std::string_view id, time_point now) {
  ++store_.count().polls;
  const task* t = store_.find(id);
  if (!t) return detail(404, "Not found.");
  api_reply r = json_reply(200, store::render(*t, now));
  r.note = t->id;
  return r;
}

api_reply api::dismiss(const api_request& request, std::string_view id, time_point now) {
  // Like Django REST framework: the object is looked up before the body is validated.
  if (!store_.find(id)) return detail(404, "Not found.");
  json::value body;
  api_reply error;
  if (!parse_body(request, body, error)) return error;
  const json::object* object = body.if_object();
  const json::value* status = object ? object->if_contains("frontend_status") : nullptr;
  if (!status) return field_error(400, "frontend_status", "This field is required.");
  if (!status->is_string() || status->get_string() != "done") {
    const std::string shown =
        status->is_string() ? std::string(status->get_string()) : canonical_json(*status);
    return field_error(400, "frontend_status", "\"" + shown + "\" is not a valid choice.");
  }
  const auto outcome = store_.dismiss(id, now);
  api_reply r = json_reply(200, store::render(*store_.find(id), now));
  r.note =
      std::string(id) + (outcome == store::dismiss_outcome::already_dismissed ? " (again)" : "");
  return r;
}

api_reply api::list(std::string_view host, std::string_view path, std::string_view query,
                    time_point now) {
  ++store_.count().lists;
  const std::size_t open = store_.open_count();
  if (format_ == list_format::array) {
    json::array all;
    for (const task* t : store_.open_tasks(0, open)) all.emplace_back(store::render(*t, now));
    api_reply r = json_reply(200, all);
    r.note = std::to_string(open) + " open";
    return r;
  }

  std::size_t page = 1;
  if (const std::string_view text = query_param(query, "page"); !text.empty()) {
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), page);
    if (ec != std::errc() || end != text.data() + text.size() || page == 0)
      return detail(404, "Invalid page.");
  }
  const std::size_t pages = std::max<std::size_t>(1, (open + page_size_ - 1) / page_size_);
  if (page > pages) return detail(404, "Invalid page.");

  // Absolute links from the Host header, as Django REST framework builds them; the link back
  // to page 1 carries no page parameter, as there.
  const std::string base = "https://" + std::string(host) + std::string(path);
  json::object out;
  out["count"] = open;
  out["next"] = page < pages ? json::value(base + "?page=" + std::to_string(page + 1)) : nullptr;
  if (page == 1)
    out["previous"] = nullptr;
  else if (page == 2)
    out["previous"] = base;
  else
    out["previous"] = base + "?page=" + std::to_string(page - 1);
  json::array results;
  for (const task* t : store_.open_tasks((page - 1) * page_size_, page_size_))
    results.emplace_back(store::render(*t, now));
  out["results"] = std::move(results);
  api_reply r = json_reply(200, out);
  r.note = "page " + std::to_string(page) + "/" + std::to_string(pages) + ", " +
           std::to_string(open) + " open";
  return r;
}

bool decode_base64(std::string_view text, std::string& out) {
  out.clear();
  if (text.size() % 4 != 0) return false;
  // EVP_DecodeBlock skips surrounding whitespace and does not check where '=' stands, and it
  // counts the padding as zero bytes: check the alphabet here and drop what padding stands for.
  std::size_t padding = 0;
  while (padding < 2 && padding < text.size() && text[text.size() - 1 - padding] == '=') ++padding;
  for (std::size_t i = 0; i + padding < text.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    if (!std::isalnum(c) && c != '+' && c != '/') return false;
  }
  out.resize(text.size() / 4 * 3);
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(text.data()),
                                static_cast<int>(text.size()));
  if (n < 0) return false;
  out.resize(static_cast<std::size_t>(n) - padding);
  return true;
}

}  // namespace zefort_sandbox
