// Tests for core/crc32c: the hardware and the Boost.CRC implementations agree with the standard
// check value and with each other, on every length and alignment, whole or in pieces.
#include "core/crc32c.hpp"

#include <gtest/gtest.h>

#include <random>
#include <string>

namespace zefortd {
namespace {

TEST(Crc32c, CheckValue) {
  EXPECT_EQ(crc32c("123456789"), 0xE3069283u);  // the standard check value for CRC-32C
  EXPECT_EQ(crc32c(""), 0u);
  EXPECT_EQ(crc32c_extend_software(0, "123456789"), 0xE3069283u);
  if (!crc32c_in_hardware()) GTEST_SKIP() << "no SSE4.2 on this CPU: software path only";
  EXPECT_EQ(crc32c_extend_hardware(0, "123456789"), 0xE3069283u);
}

// 32 bytes of zeros and of 0xFF, from RFC 3720 (iSCSI) B.4.
TEST(Crc32c, Rfc3720Vectors) {
  const std::string zeros(32, '\0');
  const std::string ones(32, '\xff');
  EXPECT_EQ(crc32c_extend_software(0, zeros), 0x8A9136AAu);
  EXPECT_EQ(crc32c_extend_software(0, ones), 0x62A8AB43u);
  EXPECT_EQ(crc32c(zeros), 0x8A9136AAu);
  EXPECT_EQ(crc32c(ones), 0x62A8AB43u);
}

TEST(Crc32c, HardwareAndSoftwareAgreeOnRandomBuffers) {
  if (!crc32c_in_hardware()) GTEST_SKIP() << "no SSE4.2 on this CPU: software path only";
  std::mt19937 rng(42);
  std::string buffer(4096 + 7, '\0');
  for (char& c : buffer) c = static_cast<char>(rng());
  // Every length up to 300 at every alignment up to 8: the 8-byte loop and the byte tail.
  for (std::size_t offset = 0; offset < 8; ++offset) {
    for (std::size_t n = 0; n <= 300; ++n) {
      const std::string_view bytes = std::string_view(buffer).substr(offset, n);
      ASSERT_EQ(crc32c_extend_hardware(0, bytes), crc32c_extend_software(0, bytes))
          << "offset " << offset << ", length " << n;
    }
  }
  EXPECT_EQ(crc32c_extend_hardware(0, buffer), crc32c_extend_software(0, buffer));
}

TEST(Crc32c, ExtendEqualsOneCrcOverTheWhole) {
  std::mt19937 rng(3);
  std::string buffer(1000, '\0');
  for (char& c : buffer) c = static_cast<char>(rng());
  const std::uint32_t whole = crc32c_extend_software(0, buffer);
  for (std::size_t cut : {0, 1, 7, 12, 500, 999, 1000}) {
    const std::string_view a = std::string_view(buffer).substr(0, cut);
    const std::string_view b = std::string_view(buffer).substr(cut);
    EXPECT_EQ(crc32c_extend_software(crc32c_extend_software(0, a), b), whole) << cut;
    EXPECT_EQ(crc32c_extend(crc32c(a), b), whole) << cut;
    if (crc32c_in_hardware()) {
      EXPECT_EQ(crc32c_extend_hardware(*crc32c_extend_hardware(0, a), b), whole) << cut;
    }
  }
}

}  // namespace
}  // namespace zefortd
