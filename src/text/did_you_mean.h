// "Did you mean ...?": the candidate closest to a misspelt name, for every usage error that
// names something unknown (a --config key, a class, a rule code, an optimizer).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ckg::text {

// Edit distance: insertions, deletions, substitutions and swaps of neighbours, one each.
std::size_t edit_distance(std::string_view a, std::string_view b);

// The candidate within a third of `word`'s length (at least 1, at most 3 edits) of it, ignoring
// case, the closest first in `candidates` order; nullopt when none is that close.
std::optional<std::string> closest(std::string_view word, const std::vector<std::string>& candidates);

// " (did you mean 'x'?)", or "" when nothing is close.
std::string did_you_mean_suffix(std::string_view word, const std::vector<std::string>& candidates);

}  // namespace ckg::text
