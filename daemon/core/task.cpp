// Parsing the API's task objects and task lists; see task.hpp.
#include "core/task.hpp"

#include <algorithm>
#include <boost/json/serialize.hpp>
#include <cctype>

namespace zefortd {

namespace {

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

// Missing and null read as ""; a string as itself; anything else as its JSON text, so that an
// unexpected but informative value (an object in backend_status_info) still reaches the log.
std::string text_field(const boost::json::object& o, std::string_view key) {
  const boost::json::value* v = o.if_contains(key);
  if (v == nullptr || v->is_null()) return {};
  if (v->is_string()) return std::string(v->get_string());
  return boost::json::serialize(*v);
}

}  // namespace

backend_state classify_backend_status(std::string_view status) {
  if (iequals(status, "done")) return backend_state::done;
  for (std::string_view failure : {"failed", "error", "cancelled", "canceled"})
    if (iequals(status, failure)) return backend_state::failed;
  return backend_state::running;
}

std::size_t task::contracts_touched() const {
  const auto* o = data.if_object();
  if (o == nullptr) return 0;
  const auto* contracts = o->if_contains("contracts");
  if (contracts == nullptr || !contracts->is_array()) return 0;
  return contracts->get_array().size();
}

boost::system::result<task> parse_task(const boost::json::value& v) {
  const auto* o = v.if_object();
  if (o == nullptr) return make_error_code(errc::not_a_task);
  const auto* id = o->if_contains("id");
  if (id == nullptr || !id->is_string() || id->get_string().empty())
    return make_error_code(errc::not_a_task);

  // The one field every decision reads: anything but a string (or nothing yet) is not "still
  // running", it is a server that does not keep the API's promise.
  if (const auto* s = o->if_contains("backend_status"); s && !s->is_string() && !s->is_null())
    return make_error_code(errc::bad_backend_status);

  task t;
  t.id = std::string(id->get_string());
  t.backend_status = text_field(*o, "backend_status");
  t.backend_status_info = text_field(*o, "backend_status_info");
  t.frontend_status = text_field(*o, "frontend_status");
  t.description = text_field(*o, "description");
  if (const auto* details = o->if_contains("details"); details && details->is_object()) {
    if (const auto* data = details->get_object().if_contains("data")) t.data = *data;
  }
  return t;
}

boost::system::result<task_page> parse_task_list(const boost::json::value& v) {
  task_page page;
  const boost::json::array* entries = v.if_array();
  if (entries == nullptr) {
    const auto* o = v.if_object();
    if (o == nullptr) return make_error_code(errc::bad_response);
    const auto* results = o->if_contains("results");
    if (results == nullptr || !results->is_array()) return make_error_code(errc::bad_response);
    entries = &results->get_array();
    if (const auto* next = o->if_contains("next"); next && !next->is_null()) {
      if (!next->is_string()) return make_error_code(errc::bad_response);
      if (!next->get_string().empty()) page.next = std::string(next->get_string());
    }
    if (const auto* count = o->if_contains("count"); count && count->is_uint64())
      page.count = count->get_uint64();
    else if (count && count->is_int64() && count->get_int64() >= 0)
      page.count = static_cast<std::uint64_t>(count->get_int64());
  }
  page.tasks.reserve(entries->size());
  for (const auto& entry : *entries) {
    auto t = parse_task(entry);
    if (t) {
      page.tasks.push_back(std::move(*t));
    } else if (t.error() == errc::bad_backend_status) {
      // Not skipped: the entry may be the in-doubt task a lookup looks for.
      return t.error();
    } else {
      ++page.skipped;
    }
  }
  return page;
}

}  // namespace zefortd
