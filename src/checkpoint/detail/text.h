// Text checks shared by every format: strings from files must be valid UTF-8 before they reach
// JSON, and anything shown on a terminal is escaped so a key cannot carry escape sequences.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace ckg::checkpoint::detail {

// Strict UTF-8: no overlong forms, no surrogates (lone or paired), nothing above U+10FFFF.
bool valid_utf8(std::string_view text);

// Control characters, DEL, C1 controls and bidi overrides become \xNN or \u{NNNN}; invalid UTF-8
// bytes become \xNN. Output longer than `max_bytes` is cut at a character boundary with an
// ellipsis and the original length.
std::string escape_for_display(std::string_view text, std::size_t max_bytes = 1024);

}  // namespace ckg::checkpoint::detail
