// The files beside a journal ("<journal>.lock", ".tmp", ".broken-<time>") and the directory
// whose fsync makes their names durable.
#pragma once

#include <filesystem>
#include <string_view>

namespace zefortd {

inline std::filesystem::path sibling(const std::filesystem::path& journal,
                                     std::string_view suffix) {
  std::filesystem::path p = journal;
  p += suffix;
  return p;
}

inline std::filesystem::path dir_of(const std::filesystem::path& journal) {
  std::filesystem::path dir = journal.parent_path();
  return dir.empty() ? std::filesystem::path(".") : dir;
}

}  // namespace zefortd
