// Copies of a damaged journal: made durable before anything is cut, and no more than a few.
#include "storage/broken_copies.hpp"

#include <algorithm>
#include <charconv>
#include <ctime>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "storage/journal_file.hpp"
#include "storage/journal_paths.hpp"

namespace zefortd {
namespace {

std::string utc_stamp() {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  ::gmtime_r(&now, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y%m%dT%H%M%SZ", &tm);
  return buf;
}

// A journal that keeps tearing (a disk going bad, a crash loop) would otherwise fill the state
// directory with copies: the newest few are what anyone investigating needs. Best effort: a
// copy that cannot be removed is left, and nothing fails for it.
void prune_broken_copies(const std::filesystem::path& journal) {
  namespace fs = std::filesystem;
  const std::string prefix = journal.filename().string() + ".broken-";
  // Ordered by time stamp, then by the "-N" of copies made within the same second.
  std::vector<std::pair<std::pair<std::string, unsigned long>, fs::path>> copies;
  std::error_code ec;
  for (fs::directory_iterator it(dir_of(journal), ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name.rfind(prefix, 0) != 0) continue;
    const std::string rest = name.substr(prefix.size());
    const std::string stamp = rest.substr(0, rest.find('-'));
    unsigned long n = 1;
    if (stamp.size() < rest.size())
      std::from_chars(rest.data() + stamp.size() + 1, rest.data() + rest.size(), n);
    copies.push_back({{stamp, n}, it->path()});
  }
  if (copies.size() <= broken_copies_kept) return;
  std::sort(copies.begin(), copies.end());
  for (std::size_t i = 0; i + broken_copies_kept < copies.size(); ++i)
    fs::remove(copies[i].second, ec);
}

}  // namespace

// Keeps the file as found beside it before anything is cut, durably: the copy and its
// directory entry reach the disk before the truncation that makes it the only copy.
std::filesystem::path keep_broken_copy(file_io& io, const std::filesystem::path& journal) {
  const std::string base = sibling(journal, ".broken-" + utc_stamp()).string();
  for (int i = 1;; ++i) {
    const std::filesystem::path to = i == 1 ? base : base + "-" + std::to_string(i);
    const std::error_code ec = io.copy_file(journal, to);
    if (ec == std::errc::file_exists && i < 100) continue;
    if (ec) {
      throw_journal_io(journal, "keeping a copy at " + to.string(), ec,
                       "nothing was cut; free some space and start again");
    }
    if (auto dec = io.fsync_dir(dir_of(journal))) {
      throw_journal_io(journal, "fsync of the directory after keeping a copy", dec,
                       "nothing was cut; start again");
    }
    prune_broken_copies(journal);
    return to;
  }
}

}  // namespace zefortd
