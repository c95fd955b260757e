// The journal's on-disk framing: encoding records and scanning a file image back into records,
// classifying damage as a torn tail (cut it) or corruption (refuse). Pure: no I/O, no Asio.
//
// FORMAT (this comment is the one place it is documented)
//
//   file   := header frame*
//   header := magic "ZEFJRNL\n" (8 bytes) | u32 version = 1 | u32 CRC32C(magic, version)  = 16
//   bytes frame  := u32 length | u64 seq | u32 CRC32C(length, seq, payload) | payload (length
//   bytes)
//
//   - Integers are little-endian. CRC32C is the Castagnoli CRC (poly 0x1EDC6F41, reflected,
//     init and final XOR 0xFFFFFFFF), computed over the bytes exactly as stored.
//   - A payload is an opaque byte string of at most 16 MiB (in practice one JSON text); an
//     empty payload is allowed.
//   - Sequence numbers increase by exactly 1 from frame to frame. A new journal starts at 1; a
//     compacted journal starts wherever compaction put it (the first frame's seq is the base), and
//     a journal with no frames has no base, so its next seq is 1. Seq 0 never occurs.
//   - There is no footer and no index: the file is valid after any whole frame, which is what
//     lets a crash cut it anywhere.
//
// SCANNING decides what a damaged file means. Frames are read in order until the first one that
// is incomplete, has a length over the limit, fails its CRC, or has a seq that is not previous+1.
//   - torn_tail: nothing valid follows the damage, i.e. no CRC-valid frame with a seq above the
//     last good one starts at any byte offset after it. That is what a write cut by kill -9 or a
//     crash leaves (a partial frame, zeros, or garbage at the end). The caller cuts it.
//   - corrupt: a valid frame does follow (or the damaged frame itself is CRC-valid but out of
//     sequence). A flipped length field inside a long journal must not pass for a torn tail and
//     silently drop every record after it, which is why the search looks at every offset.
//   - bad_header: the first 16 bytes are not a version-1 header. A 0-byte file is a fresh journal
//     (clean); a file shorter than a header whose bytes are a prefix of the header, or all zeros,
//     is a creation cut short (torn_tail at offset 0).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/crc32c.hpp"

namespace zefortd {

inline constexpr std::string_view journal_magic{"ZEFJRNL\n", 8};
inline constexpr std::uint32_t journal_version = 1;
inline constexpr std::size_t journal_header_size = 16;
inline constexpr std::size_t journal_frame_header_size = 16;
inline constexpr std::size_t journal_max_payload = std::size_t{16} << 20;

// The 16-byte header of a version-1 journal.
std::string encode_header();

// One frame. Throws std::length_error if the payload is over journal_max_payload.
std::string encode_frame(std::uint64_t seq, std::string_view payload);
void append_frame(std::string& out, std::uint64_t seq, std::string_view payload);

// A view into the scanned bytes, not a copy: valid as long as those bytes are (replay reads a
// million of these, and copying each payload cost as much as checking it).
struct journal_frame {
  std::uint64_t seq = 0;
  std::uint64_t offset = 0;  // byte offset of the frame's first byte in the file
  std::string_view payload;
};

enum class scan_end { clean, torn_tail, corrupt, bad_header };

const char* to_string(scan_end);

struct scan_result {
  std::vector<journal_frame> frames;  // every good frame before the damage, in order; views
  std::uint64_t good_end = 0;         // byte offset right after the last good frame (or header)
  scan_end end = scan_end::clean;
  std::uint64_t bad_offset = 0;  // where the damage starts; equals good_end (= size) when clean
  std::string problem;  // empty when clean; else a fragment naming the record and byte offset
};

// The frames in the result view into `bytes`, which must outlive them.
scan_result scan_journal(std::string_view bytes);

// A stretch of a damaged journal that repair cannot read, and the seqs it held as far as the
// frames around it tell (none known, first_seq = 0, when it is the tail of the file).
struct lost_range {
  std::uint64_t from_byte = 0;
  std::uint64_t to_byte = 0;  // one past the last byte
  std::uint64_t first_seq = 0;
  std::uint64_t last_seq = 0;
  std::string reason;  // empty: damaged bytes; else why a whole record was left out (repair)
};

// What repair can keep of a journal: the good frames before the damage and, after each damaged
// stretch, every CRC-valid frame with a seq above the last one kept, found at any byte offset
// (as scan_journal's corruption search does). Empty for a bad header. A flipped byte in the
// middle then loses the one record it hit, not every record after it.
struct salvage_result {
  // In file order, seqs as found (increasing, with gaps); payloads are views into the bytes.
  std::vector<journal_frame> frames;
  std::vector<lost_range> lost;  // in file order
};

salvage_result salvage_journal(std::string_view bytes);

}  // namespace zefortd
