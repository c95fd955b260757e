// The copies of a damaged journal kept beside it ("<journal>.broken-<UTC time>[-N]") before
// recovery or repair cuts anything, and the bound on how many stay.
#pragma once

#include <cstddef>
#include <filesystem>

#include "storage/file_io.hpp"

namespace zefortd {

// Copies kept beside a journal at most: making a new one removes the oldest beyond this many.
inline constexpr std::size_t broken_copies_kept = 5;

// Copies the journal as found to a new "<journal>.broken-<UTC time>[-N]" and fsyncs the
// directory, so that the copy is durable before the caller cuts the original; then removes the
// oldest copies beyond broken_copies_kept. Returns the copy's path; throws journal_io_error
// (nothing cut) when the copy cannot be made durable.
std::filesystem::path keep_broken_copy(file_io& io, const std::filesystem::path& journal);

}  // namespace zefortd
