// Which lines of a file an edit touched: a line diff (Myers) of two versions, as hunks.
#pragma once

#include <string_view>
#include <vector>

namespace ckg::changes {

// One run of changed lines. Lines are 1-based; a count of 0 is a pure insertion or deletion,
// placed before line `start` of that side.
struct Hunk {
  int old_start = 0, old_count = 0;
  int new_start = 0, new_count = 0;
};

std::vector<Hunk> diff_lines(std::string_view old_text, std::string_view new_text);

}  // namespace ckg::changes
