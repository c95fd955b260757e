// Tests for core/journal_format: the byte layout, round trips, and the torn-tail versus corrupt
// decision under every cut and every bit flip.
#include "core/journal_format.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <initializer_list>
#include <random>
#include <string>
#include <vector>

namespace zefortd {
namespace {

using namespace std::string_literals;

// Varied sizes, an empty payload and one with NUL bytes: payloads are opaque to the format.
std::vector<std::string> sample_payloads(std::size_t n) {
  std::vector<std::string> out;
  for (std::size_t i = 0; i < n; ++i) {
    switch (i % 4) {
      case 0:
        out.push_back(R"({"type":"intent","run":)" + std::to_string(i) + "}");
        break;
      case 1:
        out.push_back(std::string(i * 7 % 90, 'x'));
        break;
      case 2:
        out.push_back("\0bin\0ary\xff"s + std::to_string(i));
        break;
      default:
        out.push_back(R"({"type":"task","id":"t-)" + std::to_string(i) + R"(","status":"done"})");
    }
  }
  return out;
}

struct image {
  std::string bytes;
  std::vector<std::uint64_t> starts;  // offset of each frame
  std::vector<std::uint64_t> ends;    // offset right after each frame
};

image build(const std::vector<std::string>& payloads, std::uint64_t first_seq = 1) {
  image im{encode_header(), {}, {}};
  for (std::size_t i = 0; i < payloads.size(); ++i) {
    im.starts.push_back(im.bytes.size());
    append_frame(im.bytes, first_seq + i, payloads[i]);
    im.ends.push_back(im.bytes.size());
  }
  return im;
}

void expect_frames(const scan_result& r, const std::vector<std::string>& payloads,
                   std::size_t count, std::uint64_t first_seq = 1) {
  ASSERT_EQ(r.frames.size(), count);
  for (std::size_t i = 0; i < count; ++i) {
    EXPECT_EQ(r.frames[i].seq, first_seq + i);
    EXPECT_EQ(r.frames[i].payload, payloads[i]);
  }
}

TEST(JournalFormat, Crc32cIsCastagnoli) {
  EXPECT_EQ(crc32c("123456789"), 0xE3069283u);  // the standard check value
  EXPECT_EQ(crc32c(""), 0u);
}

// Frames written by the software CRC (a CPU without SSE4.2) read back with the hardware one,
// and the other way round: the checksum is a property of the bytes, not of the machine.
TEST(JournalFormat, FrameCrcIsTheCrc32cOfLengthSeqAndPayload) {
  const std::string frame = encode_frame(42, "payload bytes");
  const std::string covered = frame.substr(0, 12) + frame.substr(16);
  const std::uint32_t stored =
      static_cast<unsigned char>(frame[12]) | static_cast<unsigned char>(frame[13]) << 8 |
      static_cast<unsigned char>(frame[14]) << 16 |
      static_cast<std::uint32_t>(static_cast<unsigned char>(frame[15])) << 24;
  EXPECT_EQ(stored, crc32c_extend_software(0, covered));
}

TEST(JournalFormat, HeaderLayout) {
  const std::string h = encode_header();
  ASSERT_EQ(h.size(), 16u);
  EXPECT_EQ(h.substr(0, 8), "ZEFJRNL\n");
  EXPECT_EQ(h.substr(8, 4), "\x01\0\0\0"s);
  const std::uint32_t crc = crc32c(h.substr(0, 12));
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(static_cast<unsigned char>(h[12 + i]), (crc >> (8 * i)) & 0xFF);
  }
}

TEST(JournalFormat, FrameLayoutIsLittleEndianWithCrcOverLengthSeqPayload) {
  const std::string f = encode_frame(0x0102030405060708ull, "abc");
  ASSERT_EQ(f.size(), 16u + 3u);
  EXPECT_EQ(f.substr(0, 4), "\x03\0\0\0"s);
  EXPECT_EQ(f.substr(4, 8), "\x08\x07\x06\x05\x04\x03\x02\x01"s);
  const std::uint32_t crc = crc32c(f.substr(0, 12) + "abc");
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(static_cast<unsigned char>(f[12 + i]), (crc >> (8 * i)) & 0xFF);
  }
  EXPECT_EQ(f.substr(16), "abc");
}

TEST(JournalFormat, OversizedPayloadIsRefused) {
  const std::string big(journal_max_payload + 1, 'a');
  EXPECT_THROW(encode_frame(1, big), std::length_error);
  std::string buf = "keep";
  EXPECT_THROW(append_frame(buf, 1, big), std::length_error);
  EXPECT_EQ(buf, "keep");
  EXPECT_NO_THROW(encode_frame(1, std::string(journal_max_payload, 'a')));
}

TEST(JournalFormat, RoundTrip) {
  const auto payloads = sample_payloads(50);
  const image im = build(payloads);
  const scan_result r = scan_journal(im.bytes);
  EXPECT_EQ(r.end, scan_end::clean);
  EXPECT_EQ(r.good_end, im.bytes.size());
  EXPECT_EQ(r.bad_offset, im.bytes.size());
  EXPECT_TRUE(r.problem.empty());
  expect_frames(r, payloads, payloads.size());
  for (std::size_t i = 0; i < r.frames.size(); ++i) EXPECT_EQ(r.frames[i].offset, im.starts[i]);
}

// Replay reads a million frames: each is a view into the scanned bytes, never a copy.
TEST(JournalFormat, FramesAreViewsIntoTheScannedBytes) {
  const auto payloads = sample_payloads(20);
  const image im = build(payloads);
  const scan_result r = scan_journal(im.bytes);
  ASSERT_EQ(r.frames.size(), payloads.size());
  for (const auto& f : r.frames) {
    EXPECT_EQ(f.payload.data(), im.bytes.data() + f.offset + journal_frame_header_size);
  }
}

TEST(JournalFormat, FirstSeqIsTheBase) {
  const auto payloads = sample_payloads(5);
  const image im = build(payloads, 1000);  // the frames view into its bytes
  const scan_result r = scan_journal(im.bytes);
  EXPECT_EQ(r.end, scan_end::clean);
  expect_frames(r, payloads, 5, 1000);
}

TEST(JournalFormat, EmptyFileIsAFreshJournal) {
  const scan_result r = scan_journal("");
  EXPECT_EQ(r.end, scan_end::clean);
  EXPECT_TRUE(r.frames.empty());
  EXPECT_EQ(r.good_end, 0u);
}

TEST(JournalFormat, HeaderOnlyIsClean) {
  const scan_result r = scan_journal(encode_header());
  EXPECT_EQ(r.end, scan_end::clean);
  EXPECT_TRUE(r.frames.empty());
  EXPECT_EQ(r.good_end, 16u);
}

TEST(JournalFormat, PartialHeaderIsTornTail) {
  const std::string h = encode_header();
  for (std::size_t cut = 1; cut < h.size(); ++cut) {
    const scan_result r = scan_journal(h.substr(0, cut));
    EXPECT_EQ(r.end, scan_end::torn_tail) << "cut " << cut;
    EXPECT_EQ(r.good_end, 0u);
    EXPECT_TRUE(r.frames.empty());
  }
  EXPECT_EQ(scan_journal(std::string(7, '\0')).end, scan_end::torn_tail);
}

TEST(JournalFormat, BadHeader) {
  std::string wrong_magic = encode_header();
  wrong_magic[3] = 'X';
  EXPECT_EQ(scan_journal(wrong_magic + encode_frame(1, "a")).end, scan_end::bad_header);

  std::string bad_crc = encode_header();
  bad_crc[14] ^= 1;
  EXPECT_EQ(scan_journal(bad_crc).end, scan_end::bad_header);

  // Version 2 with a correct CRC: a newer format, not damage.
  std::string v2 = "ZEFJRNL\n\x02\0\0\0"s;
  const std::uint32_t crc = crc32c(v2);
  for (int i = 0; i < 4; ++i) v2.push_back(static_cast<char>((crc >> (8 * i)) & 0xFF));
  const scan_result r = scan_journal(v2);
  EXPECT_EQ(r.end, scan_end::bad_header);
  EXPECT_NE(r.problem.find("version 2"), std::string::npos) << r.problem;

  // Someone else's file, long or short: never mistaken for a torn journal.
  EXPECT_EQ(scan_journal("# my notes\nbuy milk\n").end, scan_end::bad_header);
  EXPECT_EQ(scan_journal("hello").end, scan_end::bad_header);
  EXPECT_EQ(scan_journal(std::string(64, '\0')).end, scan_end::bad_header);
}

// Every cut inside the last three records, as a crash during a (group) write leaves it.
TEST(JournalFormat, CutAtEveryOffsetOfTheLastThreeRecords) {
  const auto payloads = sample_payloads(12);
  const image im = build(payloads);
  const std::size_t from = im.starts[payloads.size() - 3];
  for (std::size_t cut = from; cut <= im.bytes.size(); ++cut) {
    SCOPED_TRACE("cut at " + std::to_string(cut));
    const scan_result r = scan_journal(std::string_view(im.bytes).substr(0, cut));
    std::size_t whole = 0;
    while (whole < im.ends.size() && im.ends[whole] <= cut) ++whole;
    const std::uint64_t good_end = whole == 0 ? 16 : im.ends[whole - 1];
    expect_frames(r, payloads, whole);
    EXPECT_EQ(r.good_end, good_end);
    EXPECT_EQ(r.end, cut == good_end ? scan_end::clean : scan_end::torn_tail) << r.problem;
    if (cut != good_end) {
      EXPECT_EQ(r.bad_offset, good_end);
    }
  }
}

// Any single-bit or whole-byte change inside a record in the middle must stop the scan right
// there and say corrupt: never a torn tail, never a clean scan with records missing.
TEST(JournalFormat, EveryFlipInAMiddleRecordIsCorrupt) {
  const auto payloads = sample_payloads(9);
  const image im = build(payloads);
  for (std::size_t victim : {std::size_t{4}, std::size_t{5}}) {  // JSON and NUL-laden payloads
    for (std::size_t at = im.starts[victim]; at < im.ends[victim]; ++at) {
      for (int mask : {1, 2, 4, 8, 16, 32, 64, 128, 255}) {
        std::string bytes = im.bytes;
        bytes[at] = static_cast<char>(bytes[at] ^ mask);
        const scan_result r = scan_journal(bytes);
        ASSERT_EQ(r.end, scan_end::corrupt)
            << "record " << victim << " byte " << at << " mask " << mask << ": " << r.problem;
        EXPECT_EQ(r.bad_offset, im.starts[victim]);
        EXPECT_EQ(r.good_end, im.starts[victim]);
        expect_frames(r, payloads, victim);
        EXPECT_NE(r.problem.find("byte " + std::to_string(im.starts[victim])), std::string::npos);
      }
    }
  }
}

// The case that motivates the forward search: a damaged length at the front of a long journal.
TEST(JournalFormat, DamagedLengthInFirstOfAThousandRecordsIsCorrupt) {
  const auto payloads = sample_payloads(1000);
  const image im = build(payloads);
  for (std::uint32_t length : {0x7FFFFFFFu, 0x00FFFFFFu, 1000000u, 0u, 1u, 40u}) {
    std::string bytes = im.bytes;
    for (int i = 0; i < 4; ++i) bytes[16 + i] = static_cast<char>((length >> (8 * i)) & 0xFF);
    const scan_result r = scan_journal(bytes);
    EXPECT_EQ(r.end, scan_end::corrupt) << "length " << length << ": " << r.problem;
    EXPECT_TRUE(r.frames.empty());
    EXPECT_EQ(r.bad_offset, 16u);
  }
}

TEST(JournalFormat, ZeroFilledTailIsTorn) {
  const auto payloads = sample_payloads(6);
  const image im = build(payloads);
  for (std::size_t zeros : {1, 15, 16, 17, 4096}) {
    const std::string bytes = im.bytes + std::string(zeros, '\0');  // outlives the frames
    const scan_result r = scan_journal(bytes);
    EXPECT_EQ(r.end, scan_end::torn_tail) << zeros << " zeros";
    EXPECT_EQ(r.good_end, im.bytes.size());
    expect_frames(r, payloads, 6);
  }
  // A frame header that made it to disk, with its payload still zeros.
  const std::string frame = encode_frame(7, "a payload that never reached the disk");
  const std::string torn = im.bytes + frame.substr(0, 16) + std::string(frame.size() - 16, '\0');
  const scan_result r = scan_journal(torn);
  EXPECT_EQ(r.end, scan_end::torn_tail) << r.problem;
  expect_frames(r, payloads, 6);
}

TEST(JournalFormat, GarbageTailIsTorn) {
  const auto payloads = sample_payloads(6);
  const image im = build(payloads);
  std::mt19937 rng(7);
  for (int round = 0; round < 50; ++round) {
    std::string tail(1 + rng() % 300, '\0');
    for (char& c : tail) c = static_cast<char>(rng());
    const std::string bytes = im.bytes + tail;
    const scan_result r = scan_journal(bytes);
    EXPECT_EQ(r.end, scan_end::torn_tail) << "round " << round << ": " << r.problem;
    expect_frames(r, payloads, 6);
  }
}

TEST(JournalFormat, SequenceGapIsCorrupt) {
  std::string bytes = encode_header();
  append_frame(bytes, 1, "a");
  append_frame(bytes, 2, "b");
  const std::size_t third = bytes.size();
  append_frame(bytes, 4, "d");  // whole and CRC-valid, so not a torn write even at the end
  scan_result r = scan_journal(bytes);
  EXPECT_EQ(r.end, scan_end::corrupt);
  EXPECT_EQ(r.bad_offset, third);
  EXPECT_EQ(r.frames.size(), 2u);
  EXPECT_NE(r.problem.find("sequence number 4 follows 2"), std::string::npos) << r.problem;

  std::string repeated = encode_header();
  append_frame(repeated, 1, "a");
  append_frame(repeated, 2, "b");
  append_frame(repeated, 2, "b");
  EXPECT_EQ(scan_journal(repeated).end, scan_end::corrupt);

  std::string zero = encode_header();
  append_frame(zero, 0, "a");
  EXPECT_EQ(scan_journal(zero).end, scan_end::corrupt);
}

// A damaged record followed by a later record with a gap in between (a lost page) is corrupt.
TEST(JournalFormat, HoleFollowedByValidRecordIsCorrupt) {
  const auto payloads = sample_payloads(8);
  image im = build(payloads);
  std::fill(im.bytes.begin() + static_cast<long>(im.starts[3]),
            im.bytes.begin() + static_cast<long>(im.ends[4]), '\0');
  const scan_result r = scan_journal(im.bytes);
  EXPECT_EQ(r.end, scan_end::corrupt) << r.problem;
  EXPECT_EQ(r.bad_offset, im.starts[3]);
  EXPECT_NE(r.problem.find("seq 6"), std::string::npos) << r.problem;
}

// --- salvage_journal --------------------------------------------------------------------------

std::vector<std::string> payloads_without(const std::vector<std::string>& payloads,
                                          std::initializer_list<std::size_t> lost) {
  std::vector<std::string> out;
  for (std::size_t i = 0; i < payloads.size(); ++i)
    if (std::find(lost.begin(), lost.end(), i) == lost.end()) out.push_back(payloads[i]);
  return out;
}

std::vector<std::string> payloads_of(const salvage_result& r) {
  std::vector<std::string> out;
  for (const auto& f : r.frames) out.emplace_back(f.payload);
  return out;
}

TEST(JournalSalvage, EveryFlipInAMiddleRecordLosesThatRecordAlone) {
  const auto payloads = sample_payloads(9);
  const image im = build(payloads);
  for (std::size_t victim : {std::size_t{4}, std::size_t{5}}) {
    for (std::size_t at = im.starts[victim]; at < im.ends[victim]; ++at) {
      for (int mask : {1, 128, 255}) {
        std::string bytes = im.bytes;
        bytes[at] = static_cast<char>(bytes[at] ^ mask);
        const salvage_result r = salvage_journal(bytes);
        ASSERT_EQ(payloads_of(r), payloads_without(payloads, {victim}))
            << "record " << victim << " byte " << at << " mask " << mask;
        ASSERT_EQ(r.lost.size(), 1u);
        EXPECT_EQ(r.lost[0].from_byte, im.starts[victim]);
        EXPECT_EQ(r.lost[0].to_byte, im.ends[victim]);
        EXPECT_EQ(r.lost[0].first_seq, victim + 1);
        EXPECT_EQ(r.lost[0].last_seq, victim + 1);
        EXPECT_EQ(r.frames[victim].offset, im.starts[victim + 1]);  // offsets as found
      }
    }
  }
}

TEST(JournalSalvage, HolesAndGapsAreNamedBySeqAndBytes) {
  const auto payloads = sample_payloads(12);
  image im = build(payloads, 40);  // a compacted journal: seqs from 40
  std::fill(im.bytes.begin() + static_cast<long>(im.starts[3]),
            im.bytes.begin() + static_cast<long>(im.ends[4]), '\0');
  im.bytes[im.starts[9] + 20] ^= 1;
  const salvage_result r = salvage_journal(im.bytes);
  EXPECT_EQ(payloads_of(r), payloads_without(payloads, {3, 4, 9}));
  ASSERT_EQ(r.lost.size(), 2u);
  EXPECT_EQ(r.lost[0].from_byte, im.starts[3]);
  EXPECT_EQ(r.lost[0].to_byte, im.ends[4]);
  EXPECT_EQ(r.lost[0].first_seq, 43u);
  EXPECT_EQ(r.lost[0].last_seq, 44u);
  EXPECT_EQ(r.lost[1].first_seq, 49u);
  EXPECT_EQ(r.lost[1].last_seq, 49u);

  // Whole records missing: nothing damaged, a gap in the seqs.
  std::string bytes = encode_header();
  append_frame(bytes, 1, "a");
  append_frame(bytes, 2, "b");
  const std::size_t third = bytes.size();
  append_frame(bytes, 5, "e");
  const salvage_result gap = salvage_journal(bytes);
  EXPECT_EQ(payloads_of(gap), (std::vector<std::string>{"a", "b", "e"}));
  ASSERT_EQ(gap.lost.size(), 1u);
  EXPECT_EQ(gap.lost[0].from_byte, third);
  EXPECT_EQ(gap.lost[0].to_byte, third);
  EXPECT_EQ(gap.lost[0].first_seq, 3u);
  EXPECT_EQ(gap.lost[0].last_seq, 4u);
}

TEST(JournalSalvage, ATornTailIsLostWithNoSeqKnown) {
  const auto payloads = sample_payloads(5);
  const image im = build(payloads);
  const std::string torn = im.bytes + std::string(30, 'z');  // frames are views into it
  const salvage_result r = salvage_journal(torn);
  EXPECT_EQ(payloads_of(r), payloads);
  ASSERT_EQ(r.lost.size(), 1u);
  EXPECT_EQ(r.lost[0].from_byte, im.bytes.size());
  EXPECT_EQ(r.lost[0].to_byte, im.bytes.size() + 30);
  EXPECT_EQ(r.lost[0].first_seq, 0u);
}

TEST(JournalSalvage, SoundAndForeignFiles) {
  const auto payloads = sample_payloads(5);
  const image whole = build(payloads);  // frames are views into its bytes
  const salvage_result sound = salvage_journal(whole.bytes);
  EXPECT_EQ(payloads_of(sound), payloads);
  EXPECT_TRUE(sound.lost.empty());
  EXPECT_TRUE(salvage_journal("not a journal at all, no").frames.empty());
  EXPECT_TRUE(salvage_journal("").frames.empty());
  // A repeated record (seq not above the last kept) is skipped with what surrounds it.
  std::string repeated = encode_header();
  append_frame(repeated, 1, "a");
  append_frame(repeated, 2, "b");
  append_frame(repeated, 2, "b");
  append_frame(repeated, 3, "c");
  const salvage_result r = salvage_journal(repeated);
  EXPECT_EQ(payloads_of(r), (std::vector<std::string>{"a", "b", "c"}));
  ASSERT_EQ(r.lost.size(), 1u);
  EXPECT_EQ(r.lost[0].first_seq, 0u);  // bytes skipped, no record known to be missing
}

}  // namespace
}  // namespace zefortd
