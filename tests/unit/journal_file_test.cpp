// Tests for storage/journal_file on real files with real fsyncs: recovery, refusal, the lock,
// compaction, check/repair, and a crash at every system call of a whole scenario.
#include "storage/journal_file.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "storage/broken_copies.hpp"

namespace zefortd {
namespace {

namespace fs = std::filesystem;

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void spit(const fs::path& p, const std::string& bytes) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out << bytes;
}

std::vector<std::string> payloads_of(const std::vector<journal_frame>& frames) {
  std::vector<std::string> out;
  for (const auto& f : frames) out.emplace_back(f.payload);
  return out;
}

std::vector<fs::path> with_prefix(const fs::path& dir, const std::string& prefix) {
  std::vector<fs::path> out;
  for (const auto& e : fs::directory_iterator(dir)) {
    if (e.path().filename().string().starts_with(prefix)) out.push_back(e.path());
  }
  return out;
}

std::string record(int i) {
  return R"({"type":"intent","n":)" + std::to_string(i) + "}";
}

// Journal image with records 1..n, and where each starts.
std::string image_of(int n, std::vector<std::uint64_t>* starts = nullptr) {
  std::string bytes = encode_header();
  for (int i = 1; i <= n; ++i) {
    if (starts) starts->push_back(bytes.size());
    append_frame(bytes, static_cast<std::uint64_t>(i), record(i));
  }
  return bytes;
}

class JournalFile : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "zefortd-journal-XXXXXX").string();
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    path_ = dir_ / "zefortd.journal";
  }
  void TearDown() override { fs::remove_all(dir_); }

  journal_file open(file_io* io = nullptr) { return journal_file::open({path_, io}); }

  fs::path dir_;
  fs::path path_;
};

TEST_F(JournalFile, CreatesAFreshJournalWithHeaderAndLockFile) {
  journal_file j = open();
  EXPECT_TRUE(j.frames().empty());
  EXPECT_EQ(j.last_seq(), 0u);
  EXPECT_EQ(j.size_bytes(), 16u);
  EXPECT_FALSE(j.recovery_note());
  EXPECT_EQ(slurp(path_), encode_header());
  EXPECT_EQ(slurp(dir_ / "zefortd.journal.lock"), std::to_string(::getpid()) + "\n");
}

TEST_F(JournalFile, AppendSyncReopenRoundTrip) {
  {
    journal_file j = open();
    EXPECT_EQ(j.append(record(1)), 1u);
    EXPECT_EQ(j.append(record(2)), 2u);
    EXPECT_EQ(j.append(record(3)), 3u);
    EXPECT_EQ(j.durable_seq(), 0u);
    EXPECT_EQ(j.size_bytes(), 16u);  // appends are buffered
    j.sync();
    EXPECT_EQ(j.durable_seq(), 3u);
    EXPECT_EQ(j.size_bytes(), slurp(path_).size());
    j.append(record(4));
    j.append(record(5));
    j.sync();
    EXPECT_EQ(j.last_seq(), 5u);
    EXPECT_EQ(j.durable_seq(), 5u);
  }
  journal_file j = open();
  EXPECT_FALSE(j.recovery_note());
  ASSERT_EQ(j.frames().size(), 5u);
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(j.frames()[i].seq, static_cast<std::uint64_t>(i + 1));
    EXPECT_EQ(j.frames()[i].payload, record(i + 1));
  }
  EXPECT_EQ(j.last_seq(), 5u);
  EXPECT_EQ(j.durable_seq(), 5u);
  EXPECT_EQ(j.append(record(6)), 6u);
  const journal_image taken = j.take_frames();
  ASSERT_EQ(taken.frames.size(), 5u);
  EXPECT_TRUE(j.frames().empty());
  // The frames view into bytes that came along with them.
  EXPECT_EQ(taken.frames[4].payload, record(5));
}

TEST_F(JournalFile, UnsyncedAppendsAreDroppedLikeACrash) {
  {
    journal_file j = open();
    j.append(record(1));
    j.sync();
    j.append(record(2));
    EXPECT_GT(j.pending_bytes(), 0u);
  }
  journal_file j = open();
  EXPECT_EQ(payloads_of(j.frames()), std::vector<std::string>{record(1)});
}

TEST_F(JournalFile, GroupSyncIsOneWriteAndOneFdatasync) {
  faulty_file_io io;
  journal_file j = open(&io);
  const std::uint64_t before = io.ops();
  j.sync();  // nothing pending: no system call at all
  EXPECT_EQ(io.ops(), before);
  for (int i = 1; i <= 10; ++i) j.append(record(i));
  EXPECT_EQ(io.ops(), before);
  j.sync();
  ASSERT_EQ(io.ops(), before + 2);
  EXPECT_EQ(io.trace()[before], "write_all");
  EXPECT_EQ(io.trace()[before + 1], "fdatasync");
}

TEST_F(JournalFile, OversizedAppendIsRefusedAndTheJournalStaysUsable) {
  journal_file j = open();
  EXPECT_THROW(j.append(std::string(journal_max_payload + 1, 'x')), std::length_error);
  EXPECT_TRUE(j.usable());
  EXPECT_EQ(j.append(record(1)), 1u);
  j.sync();
}

TEST_F(JournalFile, TornTailIsCutAndTheOriginalKept) {
  std::string bytes = image_of(3);
  const std::uint64_t good_end = bytes.size();
  const std::string half = encode_frame(4, record(4)).substr(0, 21);
  spit(path_, bytes + half);

  {
    journal_file j = open();
    ASSERT_TRUE(j.recovery_note());
    EXPECT_NE(j.recovery_note()->find("torn"), std::string::npos) << *j.recovery_note();
    EXPECT_EQ(payloads_of(j.frames()), (std::vector<std::string>{record(1), record(2), record(3)}));
    EXPECT_EQ(slurp(path_).size(), good_end);
    const auto copies = with_prefix(dir_, "zefortd.journal.broken-");
    ASSERT_EQ(copies.size(), 1u);
    EXPECT_EQ(slurp(copies[0]), bytes + half);
    EXPECT_NE(j.recovery_note()->find(copies[0].string()), std::string::npos);
    // The name carries a UTC time stamp, YYYYmmddTHHMMSSZ.
    const std::string stamp = copies[0].filename().string().substr(23);
    EXPECT_EQ(stamp.size(), 16u) << stamp;
    EXPECT_EQ(stamp[8], 'T');
    EXPECT_EQ(stamp.back(), 'Z');
    // Appending continues right after the last good record.
    EXPECT_EQ(j.append(record(4)), 4u);
    j.sync();
  }
  journal_file j = open();
  EXPECT_FALSE(j.recovery_note());
  EXPECT_EQ(j.frames().size(), 4u);
}

TEST_F(JournalFile, TwoRecoveriesInOneSecondKeepBothCopies) {
  spit(path_, image_of(2) + std::string(10, '\0'));
  { journal_file j = open(); }
  spit(path_, image_of(2) + std::string(11, '\x7f'));
  { journal_file j = open(); }
  EXPECT_EQ(with_prefix(dir_, "zefortd.journal.broken-").size(), 2u);
}

TEST_F(JournalFile, OnlyTheNewestBrokenCopiesAreKept) {
  // Older copies, as earlier recoveries left them (time stamps sort as times do), and a file
  // that only looks alike.
  const std::vector<std::string> old = {"20240101T000000Z", "20240101T000000Z-2",
                                        "20240101T000000Z-10", "20250101T000000Z",
                                        "20250601T000000Z", "20260101T000000Z"};
  for (const auto& stamp : old) spit(dir_ / ("zefortd.journal.broken-" + stamp), stamp);
  spit(dir_ / "other.journal.broken-20200101T000000Z", "not ours");
  spit(path_, image_of(2) + std::string(10, '\0'));
  { journal_file j = open(); }
  auto copies = with_prefix(dir_, "zefortd.journal.broken-");
  ASSERT_EQ(copies.size(), broken_copies_kept);
  std::set<std::string> names;
  for (const auto& c : copies) names.insert(c.filename().string().substr(23));
  // The oldest two went: the first of 2024 and its "-2"; "-10" came after them.
  EXPECT_FALSE(names.count("20240101T000000Z"));
  EXPECT_FALSE(names.count("20240101T000000Z-2"));
  EXPECT_TRUE(names.count("20240101T000000Z-10"));
  EXPECT_TRUE(names.count("20260101T000000Z"));
  EXPECT_TRUE(std::filesystem::exists(dir_ / "other.journal.broken-20200101T000000Z"));
}

TEST_F(JournalFile, EmptyOrTornHeaderBecomesAFreshJournal) {
  spit(path_, "");
  {
    journal_file j = open();
    EXPECT_FALSE(j.recovery_note());  // a 0-byte file is simply new
    EXPECT_EQ(slurp(path_), encode_header());
  }
  spit(path_, encode_header().substr(0, 5));
  {
    journal_file j = open();
    EXPECT_TRUE(j.recovery_note());
    EXPECT_EQ(slurp(path_), encode_header());
    j.append(record(1));
    j.sync();
  }
  EXPECT_EQ(open().frames().size(), 1u);
}

TEST_F(JournalFile, CorruptMiddleIsRefusedWithItsOffset) {
  std::vector<std::uint64_t> starts;
  std::string bytes = image_of(5, &starts);
  bytes[starts[2] + 20] ^= 0x10;  // a payload byte of record 3
  spit(path_, bytes);
  try {
    open();
    FAIL() << "opened a corrupt journal";
  } catch (const journal_error& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find(path_.string()), std::string::npos) << m;
    EXPECT_NE(m.find("record 3 at byte " + std::to_string(starts[2])), std::string::npos) << m;
    EXPECT_NE(m.find("bad checksum"), std::string::npos) << m;
    EXPECT_NE(m.find("zefortd journal repair"), std::string::npos) << m;
    EXPECT_EQ(dynamic_cast<const journal_io_error*>(&e), nullptr);
  }
  EXPECT_EQ(slurp(path_), bytes);  // refused means untouched
  EXPECT_TRUE(with_prefix(dir_, "zefortd.journal.broken-").empty());
}

TEST_F(JournalFile, ForeignFileIsRefusedAndUntouched) {
  spit(path_, "# not a journal\nsome: yaml\n");
  EXPECT_THROW(open(), journal_error);
  EXPECT_EQ(slurp(path_), "# not a journal\nsome: yaml\n");
}

TEST_F(JournalFile, MissingDirectoryIsAnIoErrorNamingTheFile) {
  path_ = dir_ / "nope" / "zefortd.journal";
  try {
    open();
    FAIL();
  } catch (const journal_io_error& e) {
    EXPECT_EQ(e.code(), std::errc::no_such_file_or_directory);
    EXPECT_NE(std::string(e.what()).find(path_.string()), std::string::npos) << e.what();
  }
}

// flock locks belong to the open file description, so even a second open in this same process
// conflicts: the check works without forking.
TEST_F(JournalFile, SecondOpenIsRefusedWithTheHoldersPid) {
  std::optional<journal_file> first(open());
  try {
    open();
    FAIL() << "second open succeeded";
  } catch (const journal_error& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("is in use by another zefortd (pid " + std::to_string(::getpid()) + ")"),
              std::string::npos)
        << m;
    EXPECT_NE(m.find(path_.string()), std::string::npos) << m;
  }
  EXPECT_THROW(repair_journal(path_), journal_error);
  // Readers need no lock.
  EXPECT_NO_THROW(check_journal(path_));
  EXPECT_NO_THROW(read_journal_unlocked(path_));
  first.reset();
  EXPECT_NO_THROW(open());
}

// The lock is taken beside the real file: a link to the journal, or to its directory, must not
// give a second process a second lock on the same file.
TEST_F(JournalFile, OpensThroughALinkAndThroughTheRealPathShareOneLock) {
  const fs::path link = dir_ / "alias.journal";
  {
    journal_file real = open();
    fs::create_symlink(path_, link);
    EXPECT_THROW(journal_file::open({link}), journal_error);
  }
  journal_file through_link = journal_file::open({link});
  EXPECT_EQ(through_link.path(), fs::canonical(path_));
  EXPECT_THROW(open(), journal_error);
  EXPECT_THROW(repair_journal(path_), journal_error);
}

TEST_F(JournalFile, ALinkedDirectoryLocksTheRealFileBeforeTheJournalExists) {
  fs::create_directory(dir_ / "real");
  fs::create_directory_symlink(dir_ / "real", dir_ / "linked");
  journal_file through_link = journal_file::open({dir_ / "linked" / "zefortd.journal"});
  EXPECT_EQ(through_link.path(), fs::canonical(dir_ / "real") / "zefortd.journal");
  EXPECT_TRUE(fs::exists(dir_ / "real" / "zefortd.journal.lock"));
  EXPECT_THROW(journal_file::open({dir_ / "real" / "zefortd.journal"}), journal_error);
}

TEST_F(JournalFile, CompactionThroughALinkRewritesTheTargetAndKeepsTheLink) {
  const fs::path link = dir_ / "alias.journal";
  { open(); }
  fs::create_symlink(path_, link);
  {
    journal_file j = journal_file::open({link});
    j.append(record(1));
    j.append(record(2));
    j.sync();
    j.compact({record(2)});
  }
  EXPECT_TRUE(fs::is_symlink(link));
  EXPECT_EQ(fs::read_symlink(link), path_);
  EXPECT_TRUE(with_prefix(dir_, "alias.journal.").empty());  // no lock or tmp beside the link
  journal_file j = open();
  ASSERT_EQ(j.frames().size(), 1u);
  EXPECT_EQ(j.frames()[0].payload, record(2));
  EXPECT_EQ(j.frames()[0].seq, 3u);
}

// Each used to hang (a FIFO waits for a writer), end in bad_alloc (/dev/zero) or fail with a
// puzzling "File exists" (/dev/null reads as empty, then cannot be created).
TEST_F(JournalFile, WhatIsNotARegularFileIsRefusedAtOnce) {
  const fs::path fifo = dir_ / "fifo.journal";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  const fs::path dangling = dir_ / "dangling.journal";
  fs::create_symlink(dir_ / "absent.journal", dangling);
  const fs::path null_link = dir_ / "null.journal";
  fs::create_symlink("/dev/null", null_link);
  fs::create_directory(dir_ / "dir.journal");
  const std::pair<fs::path, std::string> cases[] = {
      {fifo, "is a FIFO (named pipe), not a regular file"},
      {"/dev/null", "is a character device, not a regular file"},
      {null_link, "(/dev/null) is a character device"},
      {dir_ / "dir.journal", "is a directory, not a regular file"},
      {dangling,
       "is a symbolic link to " + (dir_ / "absent.journal").string() + ", which does not exist"},
  };
  for (const auto& [path, expected] : cases) {
    auto message_of = [&](auto&& call) {
      try {
        call();
      } catch (const journal_io_error& e) {
        return std::string("journal_io_error: ") + e.what();
      } catch (const journal_error& e) {
        return std::string(e.what());
      }
      return std::string("no error");
    };
    for (const std::string& m :
         {message_of([&] { journal_file::open({path}); }), message_of([&] { check_journal(path); }),
          message_of([&] { repair_journal(path); }),
          message_of([&] { read_journal_unlocked(path); })}) {
      EXPECT_NE(m.find(expected), std::string::npos) << m;
      EXPECT_NE(m.find(path.string()), std::string::npos) << m;
    }
  }
  EXPECT_FALSE(fs::exists(dir_ / "absent.journal"));
  EXPECT_FALSE(fs::exists(dir_ / "fifo.journal.lock"));
}

TEST_F(JournalFile, MovingHandsOverTheFileAndTheLock) {
  std::optional<journal_file> a(open());
  a->append(record(1));
  journal_file b = std::move(*a);
  a.reset();  // the moved-from object closes nothing
  b.sync();
  EXPECT_THROW(open(), journal_error);  // b still holds the lock
  {
    spit(dir_ / "other", "");
    journal_file c = journal_file::open({dir_ / "other"});
    c = std::move(b);  // c's own file and lock are released, b's are taken over
    EXPECT_NO_THROW(journal_file::open({dir_ / "other"}));
    EXPECT_THROW(open(), journal_error);
    EXPECT_EQ(c.durable_seq(), 1u);
  }
  EXPECT_EQ(open().frames().size(), 1u);
}

TEST_F(JournalFile, CompactionKeepsSeqsIncreasingAndReplaysTheLiveRecords) {
  std::uint64_t big = 0;
  {
    journal_file j = open();
    for (int i = 1; i <= 10; ++i) j.append(record(i));
    j.sync();
    big = j.size_bytes();
    j.append(record(11));  // pending: compaction makes it durable first
    j.compact({"live-a", "live-b", "live-c"});
    EXPECT_EQ(j.last_seq(), 14u);
    EXPECT_EQ(j.durable_seq(), 14u);
    EXPECT_LT(j.size_bytes(), big);
    EXPECT_EQ(j.size_bytes(), slurp(path_).size());
    EXPECT_EQ(j.append("after"), 15u);
    j.sync();
  }
  EXPECT_FALSE(fs::exists(dir_ / "zefortd.journal.compact-tmp"));
  journal_file j = open();
  EXPECT_EQ(payloads_of(j.frames()),
            (std::vector<std::string>{"live-a", "live-b", "live-c", "after"}));
  EXPECT_EQ(j.frames().front().seq, 12u);
  EXPECT_EQ(j.frames().back().seq, 15u);
  EXPECT_EQ(j.last_seq(), 15u);
}

TEST_F(JournalFile, CompactionToNothingLeavesAnEmptyJournal) {
  {
    journal_file j = open();
    j.append(record(1));
    j.sync();
    j.compact({});
    EXPECT_EQ(slurp(path_), encode_header());
    EXPECT_EQ(j.append(record(2)), 2u);  // seqs never go backwards within a process
    j.sync();
  }
  journal_file j = open();
  ASSERT_EQ(j.frames().size(), 1u);
  EXPECT_EQ(j.frames()[0].seq, 2u);
}

TEST_F(JournalFile, LeftoverCompactTmpIsRemovedOnOpen) {
  spit(path_, image_of(2));
  spit(dir_ / "zefortd.journal.compact-tmp", image_of(1).substr(0, 20));
  journal_file j = open();
  EXPECT_FALSE(fs::exists(dir_ / "zefortd.journal.compact-tmp"));
  EXPECT_EQ(j.frames().size(), 2u);
}

TEST_F(JournalFile, FailedSyncIsFatalAndNeverRetried) {
  faulty_file_io io;
  journal_file j = open(&io);
  j.append(record(1));
  j.sync();
  io.inject({io.ops() + 2, EIO});  // the next fdatasync
  j.append(record(2));
  try {
    j.sync();
    FAIL();
  } catch (const journal_io_error& e) {
    EXPECT_EQ(e.code().value(), EIO);
    EXPECT_NE(std::string(e.what()).find("fdatasync"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(j.usable());
  EXPECT_EQ(j.durable_seq(), 1u);
  const std::uint64_t ops = io.ops();
  EXPECT_THROW(j.append(record(3)), journal_io_error);
  EXPECT_THROW(j.sync(), journal_io_error);
  EXPECT_THROW(j.compact({}), journal_io_error);
  EXPECT_EQ(io.ops(), ops);  // no second fdatasync, not even an attempt
}

TEST_F(JournalFile, CheckReportsWhatItFinds) {
  std::vector<std::uint64_t> starts;
  const std::string bytes = image_of(4, &starts);
  spit(path_, bytes);
  journal_check_report r = check_journal(path_);
  EXPECT_TRUE(r.sound);
  EXPECT_EQ(r.records, 4u);
  EXPECT_EQ(r.bytes, bytes.size());

  spit(path_, bytes + std::string("\x05\0\0", 3));
  r = check_journal(path_);
  EXPECT_FALSE(r.sound);
  EXPECT_EQ(r.end, scan_end::torn_tail);
  EXPECT_EQ(r.records, 4u);
  EXPECT_EQ(r.good_end, bytes.size());
  EXPECT_EQ(slurp(path_).size(), bytes.size() + 3);  // check never writes

  std::string bad = bytes;
  bad[starts[1] + 5] ^= 1;  // the seq of record 2
  spit(path_, bad);
  r = check_journal(path_);
  EXPECT_EQ(r.end, scan_end::corrupt);
  EXPECT_EQ(r.records, 1u);
  EXPECT_EQ(r.bad_offset, starts[1]);
  EXPECT_FALSE(r.repaired);

  EXPECT_THROW(check_journal(dir_ / "absent"), journal_io_error);
}

TEST_F(JournalFile, RepairKeepsRecordsBeforeAndAfterTheDamageAndTheFileAsFound) {
  std::vector<std::uint64_t> starts;
  std::string bytes = image_of(6, &starts);
  bytes[starts[3] + 1] ^= 0x40;  // the length of record 4
  spit(path_, bytes);

  const journal_check_report r = repair_journal(path_);
  EXPECT_TRUE(r.repaired);
  EXPECT_EQ(r.end, scan_end::corrupt);
  EXPECT_EQ(r.records, 5u);
  EXPECT_EQ(r.after_damage, 2u);
  EXPECT_EQ(r.good_end, starts[3]);
  ASSERT_EQ(r.lost.size(), 1u);
  EXPECT_EQ(r.lost[0].from_byte, starts[3]);
  EXPECT_EQ(r.lost[0].to_byte, starts[4]);
  EXPECT_EQ(r.lost[0].first_seq, 4u);
  EXPECT_EQ(r.lost[0].last_seq, 4u);
  EXPECT_EQ(slurp(r.copy), bytes);
  EXPECT_TRUE(check_journal(path_).sound);
  EXPECT_FALSE(fs::exists(dir_ / "zefortd.journal.compact-tmp"));

  journal_file j = open();
  EXPECT_EQ(payloads_of(j.frames()),
            (std::vector<std::string>{record(1), record(2), record(3), record(5), record(6)}));
  EXPECT_EQ(j.frames().back().seq, 5u);  // renumbered: the scan refuses a gap
  EXPECT_EQ(j.append(record(7)), 6u);
}

TEST_F(JournalFile, RepairWithNothingIntactAfterTheDamageTruncates) {
  std::vector<std::uint64_t> starts;
  std::string bytes = image_of(4, &starts);
  bytes += std::string(40, 'z');  // garbage after the last record: a torn tail
  spit(path_, bytes);
  const journal_check_report r = repair_journal(path_);
  EXPECT_TRUE(r.repaired);
  EXPECT_EQ(r.records, 4u);
  EXPECT_EQ(r.after_damage, 0u);
  ASSERT_EQ(r.lost.size(), 1u);
  EXPECT_EQ(r.lost[0].from_byte, bytes.size() - 40);
  EXPECT_EQ(r.lost[0].first_seq, 0u);  // no whole record known to be there
  EXPECT_EQ(slurp(path_), bytes.substr(0, bytes.size() - 40));
}

// One flipped byte kept 3 records of 26 and put the 22 good ones after it aside, so that the
// next run resubmitted every job.
TEST_F(JournalFile, RepairAfterOneFlippedByteInTheMiddleKeepsTwentyFiveOfTwentySix) {
  std::vector<std::uint64_t> starts;
  std::string bytes = image_of(26, &starts);
  bytes[starts[12] + journal_frame_header_size + 3] ^= 0x20;  // inside record 13's payload
  spit(path_, bytes);

  const journal_check_report check = check_journal(path_);
  EXPECT_EQ(check.end, scan_end::corrupt);
  EXPECT_EQ(check.records, 12u);
  EXPECT_EQ(check.after_damage, 13u);

  const journal_check_report r = repair_journal(path_);
  EXPECT_EQ(r.records, 25u);
  ASSERT_EQ(r.lost.size(), 1u);
  EXPECT_EQ(r.lost[0].first_seq, 13u);
  EXPECT_EQ(r.lost[0].last_seq, 13u);
  EXPECT_EQ(r.lost[0].from_byte, starts[12]);
  EXPECT_EQ(r.lost[0].to_byte, starts[13]);

  std::vector<std::string> expected;
  for (int i = 1; i <= 26; ++i)
    if (i != 13) expected.push_back(record(i));
  EXPECT_EQ(payloads_of(open().frames()), expected);
}

// The app passes replay_check: a salvaged record that would not replay is lost too, named.
TEST_F(JournalFile, RepairLeavesOutWhatTheFilterRefuses) {
  std::vector<std::uint64_t> starts;
  std::string bytes = image_of(8, &starts);
  bytes[starts[2] + journal_frame_header_size] ^= 1;  // record 3
  spit(path_, bytes);
  const journal_check_report r = repair_journal(path_, nullptr, [](std::string_view payload) {
    return payload == record(6) ? std::string("orphan") : std::string();
  });
  EXPECT_EQ(r.records, 6u);
  EXPECT_EQ(r.after_damage, 4u);
  ASSERT_EQ(r.lost.size(), 2u);
  EXPECT_EQ(r.lost[0].first_seq, 3u);
  EXPECT_TRUE(r.lost[0].reason.empty());
  EXPECT_EQ(r.lost[1].first_seq, 6u);
  EXPECT_EQ(r.lost[1].from_byte, starts[5]);
  EXPECT_EQ(r.lost[1].to_byte, starts[6]);
  EXPECT_EQ(r.lost[1].reason, "orphan");
  EXPECT_EQ(
      payloads_of(open().frames()),
      (std::vector<std::string>{record(1), record(2), record(4), record(5), record(7), record(8)}));
}

TEST_F(JournalFile, RepairOfASoundJournalChangesNothing) {
  spit(path_, image_of(2));
  const journal_check_report r = repair_journal(path_);
  EXPECT_TRUE(r.sound);
  EXPECT_FALSE(r.repaired);
  EXPECT_TRUE(r.copy.empty());
  EXPECT_TRUE(with_prefix(dir_, "zefortd.journal.broken-").empty());
}

TEST_F(JournalFile, RepairOfABadHeaderStartsAnEmptyJournal) {
  spit(path_, "definitely not a journal, but someone's data");
  const journal_check_report r = repair_journal(path_);
  EXPECT_TRUE(r.repaired);
  EXPECT_EQ(r.end, scan_end::bad_header);
  EXPECT_EQ(slurp(r.copy), "definitely not a journal, but someone's data");
  EXPECT_EQ(slurp(path_), encode_header());
  EXPECT_NO_THROW(open());
}

TEST_F(JournalFile, UnlockedReadToleratesATornTailAndRefusesCorruption) {
  std::vector<std::uint64_t> starts;
  const std::string bytes = image_of(3, &starts);
  spit(path_, bytes + encode_frame(4, record(4)).substr(0, 30));
  EXPECT_EQ(read_journal_unlocked(path_).frames.size(), 3u);
  EXPECT_EQ(slurp(path_).size(), bytes.size() + 30);  // a reader never cuts

  std::string bad = bytes;
  bad[starts[0] + 17] ^= 1;
  spit(path_, bad);
  EXPECT_THROW(read_journal_unlocked(path_), journal_error);

  try {
    read_journal_unlocked(dir_ / "absent");
    FAIL();
  } catch (const journal_io_error& e) {
    EXPECT_EQ(e.code(), std::errc::no_such_file_or_directory);
  }
}

// ---- A crash at every system call ------------------------------------------------------------

// The scenario: open, 5 records + sync, 3 records + sync, compact to three live records, 2
// records + sync. It records what the journal acknowledged, which is what must survive.
struct scenario_outcome {
  std::size_t durable_before = 0;  // records of the pre-compaction sequence acknowledged
  bool compacted = false;
  std::size_t durable_after = 0;  // records appended after compaction acknowledged
  bool threw = false;
};

struct scenario {
  std::vector<std::string> existing;  // records already in the journal before the run
  std::vector<std::string> first = {record(1), record(2), record(3), record(4), record(5)};
  std::vector<std::string> second = {record(6), record(7), record(8)};
  std::vector<std::string> live = {"live-a", "live-b", "live-c"};
  std::vector<std::string> last = {record(9), record(10)};

  std::vector<std::string> before() const {
    std::vector<std::string> v = existing;
    v.insert(v.end(), first.begin(), first.end());
    v.insert(v.end(), second.begin(), second.end());
    return v;
  }
  std::vector<std::string> after() const {
    std::vector<std::string> v = live;
    v.insert(v.end(), last.begin(), last.end());
    return v;
  }

  scenario_outcome run(const fs::path& path, file_io& io) const {
    scenario_outcome o;
    o.durable_before = existing.size();
    try {
      journal_file j = journal_file::open({path, &io});
      for (const auto& p : first) j.append(p);
      j.sync();
      o.durable_before += first.size();
      for (const auto& p : second) j.append(p);
      j.sync();
      o.durable_before += second.size();
      j.compact(live);
      o.compacted = true;
      for (const auto& p : last) j.append(p);
      j.sync();
      o.durable_after = last.size();
    } catch (const journal_error&) {
      o.threw = true;
    }
    return o;
  }
};

bool is_prefix(const std::vector<std::string>& got, const std::vector<std::string>& of,
               std::size_t at_least) {
  return got.size() >= at_least && got.size() <= of.size() &&
         std::equal(got.begin(), got.end(), of.begin());
}

std::string joined(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& p : v) s += p + " ";
  return s;
}

// After the failure, a restart with the real file system must open the journal and replay a
// prefix of what was meant, holding at least everything that was acknowledged.
void verify_restart(const fs::path& path, const scenario& sc, const scenario_outcome& o) {
  std::optional<journal_file> j;
  try {
    j.emplace(journal_file::open({path}));
  } catch (const std::exception& e) {
    FAIL() << "restart refused: " << e.what();
  }
  EXPECT_FALSE(fs::exists(path.string() + ".compact-tmp"));
  const std::vector<std::string> got = payloads_of(j->frames());
  const std::vector<std::string> before = sc.before();
  const std::vector<std::string> after = sc.after();
  const bool old_file =
      is_prefix(got, before, o.durable_before) && (got.empty() || j->frames().front().seq == 1);
  const bool new_file = is_prefix(got, after, sc.live.size() + o.durable_after) &&
                        j->frames().front().seq == before.size() + 1;
  if (o.compacted) {
    EXPECT_TRUE(new_file) << "replayed: " << joined(got);
  } else {
    // Compaction that failed after its rename has still replaced the journal, completely.
    EXPECT_TRUE(old_file || new_file) << "replayed: " << joined(got);
  }
  // The recovery itself left a sound journal behind.
  j.reset();
  EXPECT_TRUE(check_journal(path).sound);
}

class JournalCrash : public JournalFile {
 protected:
  void run_everywhere(const scenario& sc, const std::string& setup, faulty_file_io::fault fault) {
    faulty_file_io counter;
    const fs::path clean_dir = dir_ / "clean";
    fs::remove_all(clean_dir);
    fs::create_directory(clean_dir);
    if (!setup.empty()) spit(clean_dir / "j", setup);
    const scenario_outcome clean = sc.run(clean_dir / "j", counter);
    ASSERT_FALSE(clean.threw);
    verify_restart(clean_dir / "j", sc, clean);
    const std::uint64_t total = counter.ops();
    ASSERT_GT(total, 15u);

    for (std::uint64_t n = 1; n <= total; ++n) {
      SCOPED_TRACE("failing call " + std::to_string(n) + " of " + std::to_string(total) + " (" +
                   counter.trace()[n - 1] + ")");
      const fs::path run_dir = dir_ / ("run-" + std::to_string(n));
      fs::create_directory(run_dir);
      if (!setup.empty()) spit(run_dir / "j", setup);
      faulty_file_io io;
      fault.at = n;
      io.inject(fault);
      const scenario_outcome o = sc.run(run_dir / "j", io);
      EXPECT_TRUE(io.fired());
      verify_restart(run_dir / "j", sc, o);
      fs::remove_all(run_dir);
    }
  }
};

TEST_F(JournalCrash, FreshJournalNoSpace) {
  run_everywhere({}, "", {.error = ENOSPC});
}

TEST_F(JournalCrash, FreshJournalTornWrite) {
  run_everywhere({}, "", {.error = EIO, .partial_write = true});
}

TEST_F(JournalCrash, FreshJournalDeadDisk) {
  run_everywhere({}, "", {.error = EIO, .partial_write = true, .sticky = true});
}

// Starting from a journal with a torn tail puts the copy-aside and the cut under fire too.
TEST_F(JournalCrash, RecoveredJournalNoSpaceAndTornWrite) {
  scenario sc;
  sc.existing = {"old-1", "old-2"};
  std::string setup = encode_header();
  append_frame(setup, 1, "old-1");
  append_frame(setup, 2, "old-2");
  setup += encode_frame(3, "old-3 never finished").substr(0, 25);
  sc.first[0] = "fresh-3";  // seqs continue at 3 after the cut
  run_everywhere(sc, setup, {.error = ENOSPC});
  run_everywhere(sc, setup, {.error = EIO, .partial_write = true});
}

}  // namespace
}  // namespace zefortd
