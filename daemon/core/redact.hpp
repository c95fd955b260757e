// Server-supplied text made safe to log, store in the journal or print: the API key removed in
// every form a server could echo it in, control characters escaped, the length bounded.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "core/api_key.hpp"

namespace zefortd {

inline constexpr std::size_t max_server_text = 300;  // bytes, before the "…" that marks a cut
inline constexpr std::string_view redacted_marker = "[redacted]";

// `text` (an error body, a backend_status_info, a header) with:
// - the key, its base64 form and the base64 of "key:" (what Basic auth sends), padded or not,
//   standard or URL-safe alphabet, each replaced by "[redacted]";
// - control characters escaped, so that a server cannot forge a log line or drive a terminal:
//   \n, \r, \t as such, other C0 bytes, DEL and the C1 controls (U+0080–U+009F) as \xHH, bytes
//   that are not UTF-8 as \xHH;
// - at most max_length bytes, cut between characters and followed by "…" when cut.
// An empty key redacts nothing.
std::string sanitize_server_text(std::string_view text, const secret& key,
                                 std::size_t max_length = max_server_text);

// `text` cut to at most `max` bytes between UTF-8 characters, followed by `mark` when cut.
std::string cut_text(std::string text, std::size_t max, std::string_view mark = "…");

}  // namespace zefortd
