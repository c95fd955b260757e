// libFuzzer target: the journal's frame scanner, salvage (repair) and record decoder on
// arbitrary bytes, as a damaged or hostile file would present them. The bytes are tried three
// ways: as a whole journal file, as one record's payload, and framed (valid CRC) after a header,
// so the decoder is reached without the fuzzer having to forge CRCs.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "core/journal_format.hpp"
#include "core/journal_records.hpp"

namespace {

void check(bool ok) {
  if (!ok) std::abort();
}

// A record that decodes must survive a round trip unchanged.
void decode(std::string_view payload) {
  std::string error;
  auto record = zefortd::decode_record(payload, error);
  if (!record) return;
  const std::string once = zefortd::encode_record(*record);
  auto again = zefortd::decode_record(once, error);
  check(again.has_value());
  check(zefortd::encode_record(*again) == once);
}

void scan(std::string_view bytes) {
  const auto scanned = zefortd::scan_journal(bytes);
  check(scanned.good_end <= bytes.size());
  check(scanned.end != zefortd::scan_end::clean || scanned.good_end == bytes.size());
  std::uint64_t previous = 0;
  for (const auto& frame : scanned.frames) {
    check(frame.seq != 0 && (previous == 0 || frame.seq == previous + 1));
    check(frame.offset + zefortd::journal_frame_header_size + frame.payload.size() <=
          scanned.good_end);
    previous = frame.seq;
    decode(frame.payload);
  }
  const auto salvaged = zefortd::salvage_journal(bytes);
  previous = 0;
  for (const auto& frame : salvaged.frames) {
    check(frame.seq > previous);
    check(frame.offset + zefortd::journal_frame_header_size + frame.payload.size() <=
          bytes.size());
    previous = frame.seq;
  }
  for (const auto& lost : salvaged.lost) check(lost.from_byte <= lost.to_byte);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  scan(bytes);
  decode(bytes);
  // The input as a record framed twice, then its first half as a torn tail.
  std::string file = zefortd::encode_header();
  zefortd::append_frame(file, 1, bytes);
  zefortd::append_frame(file, 2, bytes);
  file.append(bytes.substr(0, bytes.size() / 2));
  scan(file);
  return 0;
}
