// YAML to JSON for job payloads (DESIGN.md §2): what is written is what is sent. Plain scalars
// that read as strict JSON numbers, true, false or null become those; everything else is a string.
#pragma once

#include <yaml-cpp/node/node.h>

#include <boost/json/value.hpp>
#include <filesystem>
#include <optional>
#include <string_view>

namespace zefortd {

// How a plain (unquoted, untagged) YAML scalar reads as JSON: a number (int64 when integral and
// in range, else uint64, else double), true, false or null (only these lower-case spellings), or
// std::nullopt when it is just a string. Numbers follow the JSON grammar exactly, so "0x1F",
// "1e", "+1", "01" and "2023-02-15" are strings.
std::optional<boost::json::value> plain_scalar_to_json(std::string_view text);

// What one converted node may expand to. Aliases are counted each time they are used, so that a
// "billion laughs" (aliases of aliases) is refused long before it exhausts memory.
inline constexpr std::size_t max_json_values = 1'000'000;           // scalars, lists, mappings
inline constexpr std::size_t max_json_text = std::size_t{8} << 20;  // bytes of keys and scalars
// Nesting of lists and mappings: the journal keeps a payload one level inside its record, and
// Boost.JSON reads records back with its default limit of 32 levels.
inline constexpr std::size_t max_json_depth = 24;

// Converts a YAML node to JSON. Sequences become arrays, mappings objects (keys are strings),
// scalars as above; quoted and block scalars ("42", '42', |, >) and `!!str` are always strings;
// an empty value (`key:`) is null. `!!null` is null, `!!int`, `!!float` and `!!bool` must read as
// that JSON type, other tags are rejected.
//
// yaml-cpp folds `~`, `null`, `Null` and `NULL` into one null node. `source`, the text the node
// was parsed from, lets this tell them apart: `~`, `Null` and `NULL` become strings. Without it
// they are all null.
//
// Throws config_error at the node's position (file:line:column) for a duplicate key in one
// mapping, a key that is not a scalar, a number out of range, a tag that is not understood, or
// nesting deeper than max_json_depth; at the position of `node` itself when the whole expands to
// more than max_json_values values or max_json_text bytes.
boost::json::value yaml_to_json(const YAML::Node& node, const std::filesystem::path& file,
                                std::string_view source = {});

}  // namespace zefortd
