// The top-level fields of one JSON object, read with a SAX parser instead of a DOM: scalars as
// views, nested objects and arrays built once into their own json::value. For decoding many
// small flat texts (journal records) with no allocation per text once the buffers have grown.
#pragma once

#include <boost/json/value.hpp>
#include <cstdint>
#include <memory>
#include <string_view>

namespace zefortd {

class json_fields {
 public:
  enum class kind { string, int64, uint64, number, boolean, null, nested };

  struct field {
    kind type = kind::null;
    std::string_view text;  // for a string: valid until the next parse()
    std::int64_t int64 = 0;
    std::uint64_t uint64 = 0;
    bool boolean = false;
    boost::json::value nested;  // an object or array; on the default heap, take it by moving
  };

  json_fields();
  ~json_fields();
  json_fields(const json_fields&) = delete;
  json_fields& operator=(const json_fields&) = delete;

  // Reads `text`, which must be exactly one JSON object; false (and no fields) if it is not.
  // Drops the previous text's fields but keeps the buffers.
  bool parse(std::string_view text);

  // The field named `key` (the last one when a key repeats, as boost::json::parse keeps), or
  // nullptr.
  field* find(std::string_view key);

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace zefortd
