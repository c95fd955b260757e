// libFuzzer target: everything a server's answer body reaches: task and task-list parsing, the
// classification of submit, poll, dismiss and page answers, `next` links of a paged list, and
// the cleaning of server text (the key redacted in every form, no control characters, bounded).
#include <algorithm>
#include <boost/json/parse.hpp>
#include <boost/url/parse.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "core/api_answer.hpp"
#include "core/api_key.hpp"
#include "core/list_pager.hpp"
#include "core/redact.hpp"
#include "core/task.hpp"

namespace {

void check(bool ok) {
  if (!ok) std::abort();
}

// Letters that no escape (\n, \xHH) or marker can produce, so a key in the output was not
// assembled by the cleaning itself.
constexpr std::string_view key_text = "ZK-SECRET-KQ";

void clean(std::string_view text) {
  static const zefortd::secret key(key_text);
  static const std::string basic = zefortd::basic_auth_header(key);
  static const std::string encoded = basic.substr(basic.find(' ') + 1);
  const std::string out = zefortd::sanitize_server_text(text, key);
  check(out.find(key_text) == std::string::npos);
  check(out.find(encoded.substr(0, encoded.find('='))) == std::string::npos);
  check(out.size() <= zefortd::max_server_text + std::string_view("…").size());
  for (unsigned char c : out) check(c >= 0x20 && c != 0x7f);
}

zefortd::transport_result answer(unsigned status, std::string_view body) {
  zefortd::transport_result r;
  r.status = status;
  r.body = std::string(body);
  return r;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  const auto now = std::chrono::system_clock::time_point(std::chrono::seconds(1'700'000'000));

  boost::system::error_code ec;
  const boost::json::value v = boost::json::parse(bytes, ec);
  if (!ec) {
    if (auto t = zefortd::parse_task(v)) {
      check(!t->id.empty());
      (void)t->state();
      (void)t->contracts_touched();
      clean(t->backend_status_info);
    }
    if (auto page = zefortd::parse_task_list(v)) {
      for (const auto& t : page->tasks) check(!t.id.empty());
      if (page->next) {
        const auto base = boost::urls::parse_uri("https://api.example/api/").value();
        bool foreign = false;
        auto next = zefortd::next_target(base, "/api/tasks/", *page->next, foreign);
        check(!next || (!next->empty() && next->front() == '/'));
      }
    }
  }
  // The same bytes as the body of every answer the client reads, at a 2xx and a 4xx status.
  for (unsigned status : {200u, 201u, 204u, 400u, 500u}) {
    const auto r = answer(status, bytes);
    if (auto t = zefortd::submit_answer(r, "POST", now)) check(zefortd::safe_task_id(t->id));
    if (auto t = zefortd::poll_answer(r, "tk-1", "GET", now)) check(t->id == "tk-1");
    check(zefortd::dismiss_answer(r, "PATCH", now).has_value() == (status < 300));
    (void)zefortd::page_answer(r, "GET", now);
  }
  clean(bytes);
  // A hostile `next` link, relative to a page.
  const auto base = boost::urls::parse_uri("https://api.example:8443/api/").value();
  bool foreign = false;
  if (auto next = zefortd::next_target(base, "/api/tasks/?page=2", bytes, foreign))
    check(!next->empty() && next->front() == '/');
  return 0;
}
