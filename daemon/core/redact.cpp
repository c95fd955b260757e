// Redaction and escaping of server-supplied text; see redact.hpp.
#include "core/redact.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <algorithm>
#include <vector>

namespace zefortd {
namespace {

// Wipes the forms of the key when the redaction is done, as secret does for the key itself.
struct key_forms {
  std::vector<std::string> forms;
  ~key_forms() {
    for (std::string& f : forms)
      if (!f.empty()) OPENSSL_cleanse(f.data(), f.size());
  }
};

std::string base64(std::string_view bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(bytes.data()),
                                static_cast<int>(bytes.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

// Every spelling of the key a server might echo, longest first, so that a padded form is
// replaced whole before its unpadded prefix is looked for.
void add_forms(key_forms& out, std::string_view key) {
  std::string user_pass(key);
  user_pass += ':';
  for (std::string encoded : {base64(user_pass), base64(key)}) {
    std::string url_safe = encoded;
    std::replace(url_safe.begin(), url_safe.end(), '+', '-');
    std::replace(url_safe.begin(), url_safe.end(), '/', '_');
    for (std::string form : {encoded, url_safe}) {
      std::string bare = form;
      while (!bare.empty() && bare.back() == '=') bare.pop_back();
      out.forms.push_back(std::move(form));
      out.forms.push_back(std::move(bare));
    }
    OPENSSL_cleanse(encoded.data(), encoded.size());
    OPENSSL_cleanse(url_safe.data(), url_safe.size());
  }
  OPENSSL_cleanse(user_pass.data(), user_pass.size());
  out.forms.emplace_back(key);
  std::stable_sort(out.forms.begin(), out.forms.end(),
                   [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
}

void replace_all(std::string& text, std::string_view needle) {
  if (needle.empty()) return;
  for (std::size_t at = text.find(needle); at != std::string::npos;
       at = text.find(needle, at + redacted_marker.size()))
    text.replace(at, needle.size(), redacted_marker);
}

// The length of the well-formed UTF-8 sequence at the start of `s`, or 0 (overlong forms,
// surrogates and code points above U+10FFFF are not well formed).
std::size_t utf8_length(std::string_view s) {
  const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(s[i]); };
  const unsigned char lead = byte(0);
  std::size_t n = 0;
  unsigned char low = 0x80, high = 0xBF;  // the range of the second byte
  if (lead >= 0xC2 && lead <= 0xDF) {
    n = 2;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    n = 3;
    if (lead == 0xE0) low = 0xA0;
    if (lead == 0xED) high = 0x9F;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    n = 4;
    if (lead == 0xF0) low = 0x90;
    if (lead == 0xF4) high = 0x8F;
  } else {
    return 0;
  }
  if (s.size() < n || byte(1) < low || byte(1) > high) return 0;
  for (std::size_t i = 2; i < n; ++i)
    if (byte(i) < 0x80 || byte(i) > 0xBF) return 0;
  return n;
}

void append_hex(std::string& out, unsigned char c) {
  static constexpr char hex[] = "0123456789abcdef";
  out += "\\x";
  out += hex[c >> 4];
  out += hex[c & 0xf];
}

}  // namespace

std::string cut_text(std::string text, std::size_t max, std::string_view mark) {
  if (text.size() <= max) return text;
  std::size_t n = max;
  // Back up to the byte that starts a character: never half a UTF-8 sequence.
  while (n > 0 && (static_cast<unsigned char>(text[n]) & 0xC0) == 0x80) --n;
  text.resize(n);
  text += mark;
  return text;
}

std::string sanitize_server_text(std::string_view text, const secret& key, std::size_t max_length) {
  std::string clean(text);
  // Every form of the key is at least as long as the key itself: shorter text (a backend
  // status, on every poll) cannot hold one, and is spared building the nine forms.
  if (!key.empty() && text.size() >= key.reveal().size()) {
    key_forms forms;
    add_forms(forms, key.reveal());
    for (const std::string& form : forms.forms) replace_all(clean, form);
  }

  std::string out;
  out.reserve(std::min(clean.size(), max_length) + 8);
  std::string piece;  // one character as it is written out
  std::size_t i = 0;
  while (i < clean.size()) {
    const auto c = static_cast<unsigned char>(clean[i]);
    std::size_t consumed = 1;
    piece.clear();
    if (c == '\n') {
      piece = "\\n";
    } else if (c == '\r') {
      piece = "\\r";
    } else if (c == '\t') {
      piece = "\\t";
    } else if (c < 0x20 || c == 0x7f) {
      append_hex(piece, c);
    } else if (c < 0x80) {
      piece.assign(1, static_cast<char>(c));
    } else if (const std::size_t n = utf8_length(std::string_view(clean).substr(i)); n == 0) {
      append_hex(piece, c);
    } else if (n == 2 && c == 0xC2 && static_cast<unsigned char>(clean[i + 1]) <= 0x9F) {
      // A C1 control: terminals read U+009B as CSI, as they read ESC [.
      append_hex(piece, c);
      append_hex(piece, static_cast<unsigned char>(clean[i + 1]));
      consumed = 2;
    } else {
      piece = clean.substr(i, n);
      consumed = n;
    }
    if (out.size() + piece.size() > max_length) {
      out += "…";
      break;
    }
    out += piece;
    i += consumed;
  }
  if (!clean.empty()) OPENSSL_cleanse(clean.data(), clean.size());
  return out;
}

}  // namespace zefortd
