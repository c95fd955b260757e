// "Did you mean …?" for misspelt configuration keys and values: the closest candidate by edit
// distance, offered only when it is close enough to be a plausible typo.
#pragma once

#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace zefortd {

// Optimal string alignment distance: insertions, deletions, substitutions and transpositions of
// adjacent characters each cost 1 ("intial" -> "initial" is 1, "nmae" -> "name" is 1).
std::size_t edit_distance(std::string_view a, std::string_view b);

// The candidate closest to `word`, compared case-insensitively, if it is within a typo's reach:
// at most a third of the word's length (1 for short words, never more than 3). Ties go to the
// earlier candidate. Failing that, the first candidate that `word` (3 characters or more) is the
// beginning of: "give_up" suggests "give_up_after".
std::optional<std::string_view> closest_match(std::string_view word,
                                              std::span<const std::string_view> candidates);

// "; did you mean 'x'?" when there is a close match, else "". Meant to be appended to a message.
std::string did_you_mean(std::string_view word, std::span<const std::string_view> candidates);

}  // namespace zefortd
