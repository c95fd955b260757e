// YAML to JSON conversion with strict scalar typing; see yaml_json.hpp.
#include "core/yaml_json.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <cmath>
#include <map>

#include "core/config.hpp"

namespace zefortd {
namespace json = boost::json;

namespace {

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

// The JSON number grammar, -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?, checked here rather
// than left to a parser so that nothing lenient (leading '+', "0x", ".5", "Infinity") slips in.
bool is_json_number(std::string_view s) {
  std::size_t i = 0;
  auto digits = [&] {
    const std::size_t start = i;
    while (i < s.size() && is_digit(s[i])) ++i;
    return i > start;
  };
  if (i < s.size() && s[i] == '-') ++i;
  if (i < s.size() && s[i] == '0') {
    ++i;
  } else if (i < s.size() && s[i] >= '1' && s[i] <= '9') {
    digits();
  } else {
    return false;
  }
  if (i < s.size() && s[i] == '.') {
    ++i;
    if (!digits()) return false;
  }
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
    if (!digits()) return false;
  }
  return i == s.size();
}

source_position position_of(const YAML::Node& node, const std::filesystem::path& file) {
  const YAML::Mark mark = node.Mark();
  if (mark.is_null()) return {file, 0, 0};
  return {file, mark.line + 1, mark.column + 1};
}

// yaml-cpp reports `~`, `null`, `Null`, `NULL` and an empty value alike. For a written token the
// node's mark points at it; for an empty value it points at whatever comes next (a key, a '-'),
// which is why a '~' directly followed by ':' is not taken as the value.
json::value null_node_to_json(const YAML::Node& node, std::string_view source) {
  const YAML::Mark mark = node.Mark();
  if (source.empty() || mark.is_null() || mark.pos < 0 ||
      static_cast<std::size_t>(mark.pos) >= source.size())
    return nullptr;
  const std::string_view rest = source.substr(static_cast<std::size_t>(mark.pos));
  auto token_is = [&](std::string_view word) {
    if (!rest.starts_with(word)) return false;
    if (rest.size() == word.size()) return true;
    const char after = rest[word.size()];
    return after == ' ' || after == '\t' || after == '\r' || after == '\n' || after == ',' ||
           after == ']' || after == '}';
  };
  for (std::string_view spelling : {"~", "Null", "NULL"})
    if (token_is(spelling)) return json::string(spelling);
  return nullptr;
}

class converter {
 public:
  converter(const YAML::Node& root, const std::filesystem::path& file, std::string_view source)
      : root_(root), file_(file), source_(source) {}

  json::value convert(const YAML::Node& node, std::size_t depth = 0) {
    count(1, 0);
    switch (node.Type()) {
      case YAML::NodeType::Undefined:
      case YAML::NodeType::Null:
        return null_node_to_json(node, source_);
      case YAML::NodeType::Scalar:
        count(0, node.Scalar().size());
        return scalar(node);
      case YAML::NodeType::Sequence: {
        enter(node, depth);
        json::array out;
        out.reserve(std::min<std::size_t>(node.size(), max_json_values));
        for (const YAML::Node& item : node) out.push_back(convert(item, depth + 1));
        return out;
      }
      case YAML::NodeType::Map:
        enter(node, depth);
        return mapping(node, depth);
    }
    return nullptr;
  }

 private:
  // Checked as the conversion goes, so that it stops at the limit rather than after the bomb.
  void count(std::size_t values, std::size_t bytes) {
    values_ += values;
    bytes_ += bytes;
    if (values_ > max_json_values || bytes_ > max_json_text)
      fail(root_, "expands to more than " +
                      (values_ > max_json_values ? std::to_string(max_json_values) + " values"
                                                 : std::to_string(max_json_text >> 20) + " MiB") +
                      ", counting each use of an alias; write it out plainly");
  }

  void enter(const YAML::Node& node, std::size_t depth) const {
    if (depth >= max_json_depth)
      fail(node, "nested more than " + std::to_string(max_json_depth) + " levels deep");
  }

  [[noreturn]] void fail(const YAML::Node& node, const std::string& message) const {
    throw config_error(position_of(node, file_), message);
  }

  json::value scalar(const YAML::Node& node) const {
    const std::string& text = node.Scalar();
    const std::string& tag = node.Tag();
    if (tag == "!" || tag == "tag:yaml.org,2002:str") return json::string(text);
    if (tag == "tag:yaml.org,2002:null") {
      if (!text.empty() && text != "null" && text != "~") fail(node, "'" + text + "' is not null");
      return nullptr;
    }
    std::optional<json::value> typed = plain_scalar_to_json(text);
    if (typed && typed->is_double() && !std::isfinite(typed->get_double()))
      fail(node, "number out of range: " + text);
    if (tag == "?") return typed ? std::move(*typed) : json::value(json::string(text));

    // An explicit core-schema tag: the text must already read as that JSON type.
    constexpr std::string_view core = "tag:yaml.org,2002:";
    const std::string_view type =
        std::string_view(tag).substr(tag.starts_with(core) ? core.size() : 0);
    if (!tag.starts_with(core) || (type != "bool" && type != "int" && type != "float"))
      fail(node, "unsupported YAML tag '" + tag + "'; quote the value to make it a string");
    const bool ok = typed && ((type == "bool" && typed->is_bool()) ||
                              (type == "int" && (typed->is_int64() || typed->is_uint64())) ||
                              (type == "float" && typed->is_number()));
    if (!ok) fail(node, "'" + text + "' is not a valid !!" + std::string(type));
    return std::move(*typed);
  }

  json::value mapping(const YAML::Node& node, std::size_t depth) {
    json::object out;
    out.reserve(std::min<std::size_t>(node.size(), max_json_values));
    std::map<std::string, YAML::Mark> seen;
    for (auto it = node.begin(); it != node.end(); ++it) {
      const YAML::Node key = it->first;
      if (!key.IsScalar()) fail(key, "a key must be a string");
      const std::string& name = key.Scalar();
      count(0, name.size());
      const auto [first, inserted] = seen.emplace(name, key.Mark());
      if (!inserted)
        fail(key, "duplicate key '" + name + "' (first at line " +
                      std::to_string(first->second.line + 1) + ", column " +
                      std::to_string(first->second.column + 1) + ")");
      out.emplace(name, convert(it->second, depth + 1));
    }
    return out;
  }

  const YAML::Node& root_;
  const std::filesystem::path& file_;
  std::string_view source_;
  std::size_t values_ = 0;
  std::size_t bytes_ = 0;
};

}  // namespace

std::optional<json::value> plain_scalar_to_json(std::string_view text) {
  if (text == "true") return json::value(true);
  if (text == "false") return json::value(false);
  if (text == "null") return json::value(nullptr);
  if (!is_json_number(text)) return std::nullopt;
  // The grammar is checked above; Boost.JSON's own parser then picks int64, uint64 or double
  // exactly as the wire format will, and turns an overflowing exponent into infinity, which the
  // caller rejects with a position.
  boost::system::error_code ec;
  json::value number = json::parse(text, ec);
  if (ec) return std::nullopt;
  return number;
}

json::value yaml_to_json(const YAML::Node& node, const std::filesystem::path& file,
                         std::string_view source) {
  return converter(node, file, source).convert(node);
}

}  // namespace zefortd
