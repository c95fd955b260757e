// Tests for core/redact: a server that echoes the key, in any of its forms, never gets it into a
// log line, and a server cannot forge log lines or drive a terminal with what it sends.
#include "core/redact.hpp"

#include <gtest/gtest.h>

#include <string>

namespace zefortd {
namespace {

// The reference's example key; base64("ySLE1mhh6lfRsYa:") is what Basic auth sends.
const secret key("ySLE1mhh6lfRsYa");
constexpr std::string_view key_b64 = "eVNMRTFtaGg2bGZSc1lh";  // base64(key), no padding needed
constexpr std::string_view basic_b64 = "eVNMRTFtaGg2bGZSc1lhOg==";

std::string clean(std::string_view text, std::size_t max = max_server_text) {
  return sanitize_server_text(text, key, max);
}

TEST(Redact, TheKeyInEveryFormIsReplaced) {
  EXPECT_EQ(clean("invalid key ySLE1mhh6lfRsYa"), "invalid key [redacted]");
  EXPECT_EQ(clean("Authorization: Basic eVNMRTFtaGg2bGZSc1lhOg=="),
            "Authorization: Basic [redacted]");
  EXPECT_EQ(clean("bare eVNMRTFtaGg2bGZSc1lhOg and " + std::string(key_b64)),
            "bare [redacted] and [redacted]");
  EXPECT_EQ(clean("ySLE1mhh6lfRsYaySLE1mhh6lfRsYa"), "[redacted][redacted]");
  EXPECT_EQ(clean(std::string(basic_b64) + "\n"), "[redacted]\\n");
}

// Text shorter than the key is not searched (no form of the key is shorter than the key): the
// key alone, exactly as long, still is.
TEST(Redact, TextAsLongAsTheKeyIsStillSearchedAndShorterTextIsKept) {
  EXPECT_EQ(clean("ySLE1mhh6lfRsYa"), "[redacted]");
  EXPECT_EQ(clean("running"), "running");
  EXPECT_EQ(clean("ySLE1mhh6lfRsY"), "ySLE1mhh6lfRsY");
  EXPECT_EQ(clean("a\tb"), "a\\tb");
}

TEST(Redact, PaddedAndUrlSafeBase64) {
  // A key whose base64 has padding and both characters the URL-safe alphabet changes.
  const secret odd(std::string("\xfb\xff\xbf?>", 5));  // base64 "+/+/Pz4=", URL-safe "-_-_Pz4="
  EXPECT_EQ(sanitize_server_text("a +/+/Pz4= b", odd), "a [redacted] b");
  EXPECT_EQ(sanitize_server_text("a -_-_Pz4 b", odd), "a [redacted] b");
  EXPECT_EQ(sanitize_server_text("a +/+/Pz4 b", odd), "a [redacted] b");
}

TEST(Redact, NoKeyNoRedaction) {
  EXPECT_EQ(sanitize_server_text("plain text", secret()), "plain text");
  EXPECT_EQ(clean("ySLE1mhh6lfRsY, a key cut short, is not the key"),
            "ySLE1mhh6lfRsY, a key cut short, is not the key");
}

TEST(Redact, ControlCharactersCannotForgeALogLine) {
  EXPECT_EQ(clean("bad\nzefortd[1]: error: forged"), "bad\\nzefortd[1]: error: forged");
  EXPECT_EQ(clean("a\r\tb"), "a\\r\\tb");
  EXPECT_EQ(clean("\x1b[31mred\x1b[0m"), "\\x1b[31mred\\x1b[0m");
  EXPECT_EQ(clean(std::string("nul\0here", 8)), "nul\\x00here");
  EXPECT_EQ(clean("del\x7f"), "del\\x7f");
  EXPECT_EQ(clean("csi\xc2\x9b"
                  "31m"),
            "csi\\xc2\\x9b31m");  // U+009B, the 8-bit CSI
  EXPECT_EQ(clean("not utf-8 \xff\xfe, cut \xe2\x82"), "not utf-8 \\xff\\xfe, cut \\xe2\\x82");
  EXPECT_EQ(clean("overlong \xc0\xaf"), "overlong \\xc0\\xaf");
  EXPECT_EQ(clean("fine: é € 𝄞"), "fine: é € 𝄞");
}

TEST(Redact, LengthIsBoundedAndCutBetweenCharacters) {
  EXPECT_EQ(clean(std::string(1000, 'a')), std::string(300, 'a') + "…");
  EXPECT_EQ(clean(std::string(300, 'a')), std::string(300, 'a'));
  EXPECT_EQ(clean("abcd\n", 5), "abcd…");  // "\n" is written as two bytes: it does not fit
  EXPECT_EQ(clean("abé", 3), "ab…");       // never half of a UTF-8 character
  // The key is removed before the cut, so a cut never leaves a piece of it behind.
  EXPECT_EQ(clean("12345678ySLE1mhh6lfRsYa", 12), "12345678[red…");
  EXPECT_EQ(clean(std::string(400, 'x') + "ySLE1mhh6lfRsYa").find("ySLE"), std::string::npos);
}

}  // namespace
}  // namespace zefortd
