// A boost::json::basic_parser handler that keeps one object's top-level fields; see
// json_fields.hpp.
#include "core/json_fields.hpp"

#include <boost/json/basic_parser_impl.hpp>
#include <boost/json/value_stack.hpp>
#include <string>
#include <vector>

namespace zefortd {
namespace json = boost::json;
namespace {

// Field texts are appended to one buffer and located by offset: the buffer may move while it
// grows, and the parser's own string views only last for the call that passes them.
struct span {
  std::size_t offset = 0;
  std::size_t size = 0;
};

struct slot {
  span key;
  span text;
  json_fields::field value;
};

struct handler {
  static constexpr std::size_t max_array_size = static_cast<std::size_t>(-1);
  static constexpr std::size_t max_object_size = static_cast<std::size_t>(-1);
  static constexpr std::size_t max_string_size = static_cast<std::size_t>(-1);
  static constexpr std::size_t max_key_size = static_cast<std::size_t>(-1);

  std::string chars;         // every key and string of the top level, back to back
  std::vector<slot> slots;   // kept between texts so that their buffers are reused
  std::size_t used = 0;      // slots filled for this text
  std::size_t depth = 0;     // 1 inside the top-level object
  span key;                  // the top-level key whose value comes next
  span text;                 // the top-level string being read
  json::value_stack nested;  // builds a nested value (depth >= 2) on the default heap

  void start() {
    chars.clear();
    used = 0;
    depth = 0;
    key = text = {};
  }

  bool fail(json::error_code& ec) {
    ec = json::error::syntax;  // not an object: the caller only needs to know that
    return false;
  }

  // The slot for the value that follows the current key.
  json_fields::field& next_slot() {
    if (used == slots.size()) slots.emplace_back();
    slot& s = slots[used++];
    s.key = key;
    s.value.nested = nullptr;
    return s.value;
  }

  bool scalar_at_top(json::error_code& ec) { return depth == 1 || fail(ec); }

  void append(span& to, json::string_view s) {
    if (to.size == 0) to.offset = chars.size();
    chars.append(s.data(), s.size());
    to.size += s.size();
  }

  bool on_document_begin(json::error_code&) { return true; }
  bool on_document_end(json::error_code&) { return true; }

  bool on_object_begin(json::error_code& ec) {
    if (depth == 1) nested.reset();
    ++depth;
    return true;
  }
  bool on_object_end(std::size_t n, json::error_code& ec) { return close(n, true, ec); }
  bool on_array_begin(json::error_code& ec) {
    if (depth == 0) return fail(ec);
    if (depth == 1) nested.reset();
    ++depth;
    return true;
  }
  bool on_array_end(std::size_t n, json::error_code& ec) { return close(n, false, ec); }

  bool close(std::size_t n, bool object, json::error_code&) {
    --depth;
    if (depth == 0) return true;  // the top-level object itself
    if (object)
      nested.push_object(n);
    else
      nested.push_array(n);
    if (depth == 1) {
      json_fields::field& f = next_slot();
      f.type = json_fields::kind::nested;
      f.nested = nested.release();
    }
    return true;
  }

  bool on_key_part(json::string_view s, std::size_t n, json::error_code&) {
    if (depth > 1) return nested.push_chars(s), true;
    if (n == s.size()) key = {};
    append(key, s);
    return true;
  }
  bool on_key(json::string_view s, std::size_t n, json::error_code&) {
    if (depth > 1) return nested.push_key(s), true;
    if (n == s.size()) key = {};
    append(key, s);
    return true;
  }

  bool on_string_part(json::string_view s, std::size_t n, json::error_code& ec) {
    if (depth > 1) return nested.push_chars(s), true;
    if (depth == 0) return fail(ec);
    if (n == s.size()) text = {};
    append(text, s);
    return true;
  }
  bool on_string(json::string_view s, std::size_t n, json::error_code& ec) {
    if (depth > 1) return nested.push_string(s), true;
    if (depth == 0) return fail(ec);
    if (n == s.size()) text = {};
    append(text, s);
    json_fields::field& f = next_slot();
    f.type = json_fields::kind::string;
    slots[used - 1].text = text;
    return true;
  }

  bool on_number_part(json::string_view, json::error_code&) { return true; }
  bool on_int64(std::int64_t i, json::string_view, json::error_code& ec) {
    if (depth > 1) return nested.push_int64(i), true;
    if (!scalar_at_top(ec)) return false;
    json_fields::field& f = next_slot();
    f.type = json_fields::kind::int64;
    f.int64 = i;
    return true;
  }
  bool on_uint64(std::uint64_t u, json::string_view, json::error_code& ec) {
    if (depth > 1) return nested.push_uint64(u), true;
    if (!scalar_at_top(ec)) return false;
    json_fields::field& f = next_slot();
    f.type = json_fields::kind::uint64;
    f.uint64 = u;
    return true;
  }
  bool on_double(double d, json::string_view, json::error_code& ec) {
    if (depth > 1) return nested.push_double(d), true;
    if (!scalar_at_top(ec)) return false;
    next_slot().type = json_fields::kind::number;
    return true;
  }
  bool on_bool(bool b, json::error_code& ec) {
    if (depth > 1) return nested.push_bool(b), true;
    if (!scalar_at_top(ec)) return false;
    json_fields::field& f = next_slot();
    f.type = json_fields::kind::boolean;
    f.boolean = b;
    return true;
  }
  bool on_null(json::error_code& ec) {
    if (depth > 1) return nested.push_null(), true;
    if (!scalar_at_top(ec)) return false;
    next_slot().type = json_fields::kind::null;
    return true;
  }
  bool on_comment_part(json::string_view, json::error_code&) { return true; }
  bool on_comment(json::string_view, json::error_code&) { return true; }
};

}  // namespace

struct json_fields::impl {
  json::basic_parser<handler> parser{json::parse_options{}};
};

json_fields::json_fields() : impl_(std::make_unique<impl>()) {}
json_fields::~json_fields() = default;

bool json_fields::parse(std::string_view text) {
  auto& p = impl_->parser;
  handler& h = p.handler();
  p.reset();
  h.start();
  json::error_code ec;
  const std::size_t n = p.write_some(false, text.data(), text.size(), ec);
  if (ec || n != text.size()) {
    h.used = 0;
    return false;
  }
  // Strings become views only now that the buffer holding them no longer grows.
  for (std::size_t i = 0; i < h.used; ++i) {
    slot& s = h.slots[i];
    if (s.value.type == kind::string) s.value.text = {h.chars.data() + s.text.offset, s.text.size};
  }
  return true;
}

json_fields::field* json_fields::find(std::string_view key) {
  handler& h = impl_->parser.handler();
  for (std::size_t i = h.used; i-- > 0;) {
    slot& s = h.slots[i];
    if (std::string_view(h.chars.data() + s.key.offset, s.key.size) == key) return &s.value;
  }
  return nullptr;
}

}  // namespace zefortd
