// Typed, position-aware reading of YAML configuration nodes: every failure is a config_error at
// the node's file:line:column. The vocabulary config.cpp is written in.
#pragma once

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <array>
#include <boost/json/value.hpp>
#include <filesystem>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/config.hpp"
#include "core/duration.hpp"
#include "core/suggest.hpp"

namespace zefortd {

// "FILE:LINE:COLUMN", shortened when the line or column is unknown (0).
std::string format_location(const source_position& where);

// One parsed YAML file and the text it came from (yaml_to_json looks back at the text).
struct yaml_file {
  std::filesystem::path path;
  std::string text;
  YAML::Node root;  // null for an empty file
};

// The largest configuration or job file: far more than any real one, small enough that a wrong
// file (a log, a device) is refused before it is parsed.
inline constexpr std::size_t max_config_file = std::size_t{1} << 20;

// Reads and parses one file. Throws config_error: "FILE: cannot read: <strerror>" (also for a
// file that is not a regular file or is over max_config_file), a NUL byte at its line and column,
// a YAML syntax error at its position, or more than one document.
yaml_file load_yaml(const std::filesystem::path& path);

// How a node reads in a message: 'text' (shortened), "a list", "a mapping" or "nothing".
std::string describe(const YAML::Node& node);

class yaml_reader {
 public:
  explicit yaml_reader(const yaml_file& file) : file_(file), shared_(file.path) {}

  const std::filesystem::path& file() const { return file_.path; }
  source_position position(const YAML::Node& node) const;
  [[noreturn]] void fail(const YAML::Node& node, const std::string& message) const;

  // Calls handle(key, value) for each member of a mapping (null counts as empty), rejecting keys
  // outside `allowed` (with a suggestion) and keys written twice. `path` names the mapping in
  // messages; "" is the top level.
  template <class Handler>
  void members(const YAML::Node& node, const std::string& path,
               std::span<const std::string_view> allowed, Handler handle) const;

  // A non-empty scalar, whatever it looks like: `name: 2024` is the string "2024".
  std::string text(const YAML::Node& node, const std::string& path) const;
  // A path, relative ones taken from the directory of this file.
  std::filesystem::path file_path(const YAML::Node& node, const std::string& path) const;
  // A duration of at most `most` (itself at most max_duration), e.g. "api.timeout: must be at
  // most 1h, got 1000000d".
  duration span_of_time(const YAML::Node& node, const std::string& path,
                        duration most = max_duration) const;
  double number(const YAML::Node& node, const std::string& path) const;
  unsigned whole_number(const YAML::Node& node, const std::string& path, unsigned low,
                        unsigned high) const;
  bool boolean(const YAML::Node& node, const std::string& path) const;
  boost::json::value to_json(const YAML::Node& node) const;

  // One of a few words, e.g. utc|local; a near miss is suggested.
  template <class E, std::size_t N>
  E choice(const YAML::Node& node, const std::string& path,
           const std::array<std::pair<std::string_view, E>, N>& options) const;

 private:
  const yaml_file& file_;
  source_file shared_;  // file_.path, once for every position read from it
  // yaml-cpp marks an empty value (`timeout:`) at whatever token follows it, often on the next
  // line; members() records the key of each such value so that messages point at the key.
  mutable std::vector<std::pair<YAML::Node, YAML::Mark>> empty_values_;
};

template <class Handler>
void yaml_reader::members(const YAML::Node& node, const std::string& path,
                          std::span<const std::string_view> allowed, Handler handle) const {
  if (node.IsNull()) return;
  const std::string where = path.empty() ? "at the top level" : "in " + path;
  if (!node.IsMap())
    fail(node, (path.empty() ? "the file" : path) + ": expected a mapping, got " + describe(node));
  std::map<std::string, YAML::Node> seen;
  for (auto it = node.begin(); it != node.end(); ++it) {
    const YAML::Node key = it->first;
    if (!key.IsScalar()) fail(key, "a key must be a string, got " + describe(key));
    const std::string& name = key.Scalar();
    if (std::find(allowed.begin(), allowed.end(), name) == allowed.end())
      fail(key, "unknown key '" + name + "' " + where + did_you_mean(name, allowed));
    if (const auto [first, inserted] = seen.emplace(name, key); !inserted) {
      const source_position p = position(first->second);
      fail(key, "duplicate key '" + name + "' " + where + " (first at line " +
                    std::to_string(p.line) + ", column " + std::to_string(p.column) + ")");
    }
    if (it->second.IsNull()) empty_values_.emplace_back(it->second, key.Mark());
    handle(name, it->second);
  }
}

template <class E, std::size_t N>
E yaml_reader::choice(const YAML::Node& node, const std::string& path,
                      const std::array<std::pair<std::string_view, E>, N>& options) const {
  std::array<std::string_view, N> names;
  std::string expected;
  for (std::size_t i = 0; i < N; ++i) {
    names[i] = options[i].first;
    if (node.IsScalar() && node.Scalar() == names[i]) return options[i].second;
    expected += (i == 0 ? "" : i + 1 == N ? " or " : ", ") + std::string(names[i]);
  }
  fail(node, path + ": expected " + expected + ", got " + describe(node) +
                 (node.IsScalar() ? did_you_mean(node.Scalar(), names) : ""));
}

}  // namespace zefortd
