// CRC32C (Castagnoli), the journal's checksum: the SSE4.2 instruction where the CPU has it,
// Boost.CRC elsewhere. Both give the same value; replay spends much of its time here.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace zefortd {

// Poly 0x1EDC6F41, reflected, init and final XOR 0xFFFFFFFF: crc32c("123456789") == 0xE3069283.
std::uint32_t crc32c(std::string_view bytes);

// Continues a CRC over more bytes: crc32c_extend(crc32c(a), b) == crc32c(a + b), and
// crc32c_extend(0, b) == crc32c(b). Lets a frame's CRC cover fields that are not contiguous.
std::uint32_t crc32c_extend(std::uint32_t crc, std::string_view bytes);

// The two implementations behind crc32c_extend, for tests that hold one against the other.
std::uint32_t crc32c_extend_software(std::uint32_t crc, std::string_view bytes);
// nullopt when the CPU lacks SSE4.2 (or this is not an x86-64 build).
std::optional<std::uint32_t> crc32c_extend_hardware(std::uint32_t crc, std::string_view bytes);
bool crc32c_in_hardware();

}  // namespace zefortd
