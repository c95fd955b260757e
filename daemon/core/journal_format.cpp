// Journal framing and scanning; the format and the torn-versus-corrupt rules are documented in
// journal_format.hpp.
#include "core/journal_format.hpp"

#include <algorithm>
#include <boost/endian/conversion.hpp>
#include <stdexcept>

namespace zefortd {
namespace {

// Boost.Endian for the little-endian fields: the format is defined byte by byte, whatever the
// host's order.
void put_u32(std::string& out, std::uint32_t v) {
  unsigned char b[4];
  boost::endian::store_little_u32(b, v);
  out.append(reinterpret_cast<const char*>(b), sizeof b);
}

void put_u64(std::string& out, std::uint64_t v) {
  unsigned char b[8];
  boost::endian::store_little_u64(b, v);
  out.append(reinterpret_cast<const char*>(b), sizeof b);
}

std::uint32_t get_u32(const char* p) {
  return boost::endian::load_little_u32(reinterpret_cast<const unsigned char*>(p));
}

std::uint64_t get_u64(const char* p) {
  return boost::endian::load_little_u64(reinterpret_cast<const unsigned char*>(p));
}

enum class frame_status { ok, short_header, too_long, short_payload, bad_crc, low_seq };

struct frame_view {
  std::uint32_t length = 0;
  std::uint64_t seq = 0;
  std::string_view payload;  // into the scanned bytes
};

// The frame's CRC covers its length and seq fields, then its payload.
std::uint32_t frame_crc(const char* header, std::string_view payload) {
  return crc32c_extend(crc32c(std::string_view(header, 12)), payload);
}

// Reads the frame starting at `pos`. Cheap checks come first and the CRC last, because the
// forward search after damage calls this at every byte offset. A frame whose seq is below
// `min_seq` is rejected before its CRC is computed: for the search it could not be a later
// record anyway, and zero-filled regions (seq 0) are the common case.
frame_status read_frame(std::string_view bytes, std::size_t pos, std::uint64_t min_seq,
                        frame_view& out) {
  const std::size_t left = bytes.size() - pos;
  if (left < journal_frame_header_size) return frame_status::short_header;
  const char* p = bytes.data() + pos;
  out.length = get_u32(p);
  out.seq = get_u64(p + 4);
  if (out.length > journal_max_payload) return frame_status::too_long;
  if (left - journal_frame_header_size < out.length) return frame_status::short_payload;
  if (out.seq < min_seq) return frame_status::low_seq;
  out.payload = bytes.substr(pos + journal_frame_header_size, out.length);
  if (frame_crc(p, out.payload) != get_u32(p + 12)) return frame_status::bad_crc;
  return frame_status::ok;
}

std::string describe(frame_status s, const frame_view& f, std::size_t left) {
  switch (s) {
    case frame_status::short_header:
      return "the file ends " + std::to_string(left) + " bytes into the record's 16-byte header";
    case frame_status::too_long:
      return "length " + std::to_string(f.length) + " exceeds the 16 MiB limit";
    case frame_status::short_payload:
      return "length " + std::to_string(f.length) + " runs past the end of the file (" +
             std::to_string(left - journal_frame_header_size) + " payload bytes present)";
    case frame_status::bad_crc:
      return "bad checksum";
    case frame_status::low_seq:  // only the forward search asks for a minimum
    case frame_status::ok:
      break;
  }
  return "no problem";
}

bool all_zero(std::string_view bytes) {
  return std::all_of(bytes.begin(), bytes.end(), [](char c) { return c == 0; });
}

}  // namespace

std::string encode_header() {
  std::string out(journal_magic);
  put_u32(out, journal_version);
  put_u32(out, crc32c(out));
  return out;
}

void append_frame(std::string& out, std::uint64_t seq, std::string_view payload) {
  if (payload.size() > journal_max_payload) {
    throw std::length_error("journal record of " + std::to_string(payload.size()) +
                            " bytes exceeds the 16 MiB limit");
  }
  const std::size_t start = out.size();
  out.reserve(start + journal_frame_header_size + payload.size());
  put_u32(out, static_cast<std::uint32_t>(payload.size()));
  put_u64(out, seq);
  put_u32(out, frame_crc(out.data() + start, payload));
  out.append(payload);
}

std::string encode_frame(std::uint64_t seq, std::string_view payload) {
  std::string out;
  append_frame(out, seq, payload);
  return out;
}

const char* to_string(scan_end e) {
  switch (e) {
    case scan_end::clean:
      return "clean";
    case scan_end::torn_tail:
      return "torn tail";
    case scan_end::corrupt:
      return "corrupt";
    case scan_end::bad_header:
      return "bad header";
  }
  return "unknown";
}

scan_result scan_journal(std::string_view bytes) {
  scan_result r;
  if (bytes.empty()) return r;  // a fresh journal whose header was never written

  const std::string header = encode_header();
  if (bytes.size() < journal_header_size) {
    // Only a creation cut short looks like this; anything else is not our file, and cutting it
    // would destroy someone else's data.
    if (std::string_view(header).starts_with(bytes) || all_zero(bytes)) {
      r.end = scan_end::torn_tail;
      r.problem = "the file ends " + std::to_string(bytes.size()) + " bytes into its header";
    } else {
      r.end = scan_end::bad_header;
      r.problem = "not a zefortd journal (" + std::to_string(bytes.size()) + " bytes, no magic)";
    }
    return r;
  }
  if (bytes.substr(0, journal_magic.size()) != journal_magic) {
    r.end = scan_end::bad_header;
    r.problem = "not a zefortd journal (wrong magic)";
    return r;
  }
  if (crc32c(bytes.substr(0, 12)) != get_u32(bytes.data() + 12)) {
    r.end = scan_end::bad_header;
    r.problem = "bad header checksum";
    return r;
  }
  if (const std::uint32_t version = get_u32(bytes.data() + 8); version != journal_version) {
    r.end = scan_end::bad_header;
    r.problem = "journal format version " + std::to_string(version) +
                " (this zefortd reads version " + std::to_string(journal_version) + ")";
    return r;
  }

  std::size_t pos = journal_header_size;
  std::uint64_t last_seq = 0;
  while (pos < bytes.size()) {
    frame_view f;
    const frame_status s = read_frame(bytes, pos, 0, f);
    const bool in_sequence = f.seq != 0 && (r.frames.empty() || f.seq == last_seq + 1);
    if (s == frame_status::ok && in_sequence) {
      r.frames.push_back({f.seq, pos, f.payload});
      last_seq = f.seq;
      pos += journal_frame_header_size + f.length;
      continue;
    }

    r.good_end = r.bad_offset = pos;
    std::string where =
        "record " + std::to_string(r.frames.size() + 1) + " at byte " + std::to_string(pos);
    if (!r.frames.empty()) where += " (expected seq " + std::to_string(last_seq + 1) + ")";
    if (s == frame_status::ok) {
      // Whole and CRC-valid yet out of order: a writer bug or spliced files, never a torn write.
      r.end = scan_end::corrupt;
      r.problem = where + ": sequence number " + std::to_string(f.seq) +
                  (r.frames.empty() ? std::string(" (numbers start at 1)")
                                    : " follows " + std::to_string(last_seq));
      return r;
    }
    r.problem = where + ": " + describe(s, f, bytes.size() - pos);
    for (std::size_t at = pos + 1; at + journal_frame_header_size <= bytes.size(); ++at) {
      frame_view later;
      if (read_frame(bytes, at, last_seq + 1, later) == frame_status::ok) {
        r.end = scan_end::corrupt;
        r.problem += "; a valid record (seq " + std::to_string(later.seq) + ") follows at byte " +
                     std::to_string(at);
        return r;
      }
    }
    r.end = scan_end::torn_tail;
    return r;
  }
  r.good_end = r.bad_offset = pos;
  return r;
}

salvage_result salvage_journal(std::string_view bytes) {
  scan_result scan = scan_journal(bytes);
  salvage_result out;
  if (scan.end == scan_end::bad_header) return out;
  out.frames = std::move(scan.frames);
  std::uint64_t last_seq = out.frames.empty() ? 0 : out.frames.back().seq;
  std::size_t pos = scan.good_end;
  if (pos < journal_header_size) return out;  // a header cut short: nothing follows it
  while (pos < bytes.size()) {
    frame_view f;
    if (read_frame(bytes, pos, last_seq + 1, f) == frame_status::ok &&
        (out.frames.empty() || f.seq == last_seq + 1)) {
      out.frames.push_back({f.seq, pos, f.payload});
      last_seq = f.seq;
      pos += journal_frame_header_size + f.length;
      continue;
    }
    // Damage at pos, or a frame out of sequence there (frames missing, not damaged): the next
    // frame that can follow what was kept, from pos itself, starts the next good stretch.
    std::size_t at = pos;
    for (; at + journal_frame_header_size <= bytes.size(); ++at)
      if (read_frame(bytes, at, last_seq + 1, f) == frame_status::ok) break;
    if (at + journal_frame_header_size > bytes.size()) {
      out.lost.push_back({pos, bytes.size(), 0, 0});
      break;
    }
    // The frame found proves the seqs between: they were in the stretch skipped.
    const bool gap = f.seq > last_seq + 1;
    out.lost.push_back({pos, at, gap ? last_seq + 1 : 0, gap ? f.seq - 1 : 0});
    out.frames.push_back({f.seq, at, f.payload});
    last_seq = f.seq;
    pos = at + journal_frame_header_size + f.length;
  }
  return out;
}

}  // namespace zefortd
