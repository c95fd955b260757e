// CRC32C in hardware behind a runtime CPU check, Boost.CRC as the fallback; see crc32c.hpp.
#include "core/crc32c.hpp"

#include <boost/crc.hpp>
#include <cstring>

#if defined(__x86_64__)
#include <nmmintrin.h>
#endif

namespace zefortd {
namespace {

using crc32c_type = boost::crc_optimal<32, 0x1EDC6F41, 0xFFFFFFFF, 0xFFFFFFFF, true, true>;

// crc_optimal bit-reflects the initial remainder it is given (its register is kept reflected).
std::uint32_t reflect(std::uint32_t v) {
  std::uint32_t out = 0;
  for (int i = 0; i < 32; ++i, v >>= 1) out = (out << 1) | (v & 1);
  return out;
}

std::uint32_t extend_software(std::uint32_t crc, const char* p, std::size_t n) {
  // Undo the final XOR to carry on from `crc`.
  crc32c_type c(reflect(crc ^ 0xFFFFFFFFu));
  c.process_bytes(p, n);
  return c.checksum();
}

#if defined(__x86_64__)
// Compiled for SSE4.2 alone, so the rest of the program still runs on any x86-64; only called
// after the CPU said it has the instruction.
__attribute__((target("sse4.2"))) std::uint32_t extend_hardware(std::uint32_t crc, const char* p,
                                                                std::size_t n) {
  std::uint64_t c = crc ^ 0xFFFFFFFFu;
  for (; n >= 8; p += 8, n -= 8) {
    std::uint64_t word;
    std::memcpy(&word, p, 8);  // unaligned load; x86 is little-endian, as the CRC wants
    c = _mm_crc32_u64(c, word);
  }
  auto c32 = static_cast<std::uint32_t>(c);
  for (; n > 0; ++p, --n) c32 = _mm_crc32_u8(c32, static_cast<unsigned char>(*p));
  return c32 ^ 0xFFFFFFFFu;
}

bool cpu_has_sse42() {
  __builtin_cpu_init();  // may run before the constructors that would otherwise do it
  return __builtin_cpu_supports("sse4.2");
}
#else
std::uint32_t extend_hardware(std::uint32_t crc, const char* p, std::size_t n) {
  return extend_software(crc, p, n);
}
bool cpu_has_sse42() {
  return false;
}
#endif

const bool hardware = cpu_has_sse42();

}  // namespace

bool crc32c_in_hardware() {
  return hardware;
}

std::uint32_t crc32c_extend(std::uint32_t crc, std::string_view bytes) {
  return hardware ? extend_hardware(crc, bytes.data(), bytes.size())
                  : extend_software(crc, bytes.data(), bytes.size());
}

std::uint32_t crc32c(std::string_view bytes) {
  return crc32c_extend(0, bytes);
}

std::uint32_t crc32c_extend_software(std::uint32_t crc, std::string_view bytes) {
  return extend_software(crc, bytes.data(), bytes.size());
}

std::optional<std::uint32_t> crc32c_extend_hardware(std::uint32_t crc, std::string_view bytes) {
  if (!hardware) return std::nullopt;
  return extend_hardware(crc, bytes.data(), bytes.size());
}

}  // namespace zefortd
