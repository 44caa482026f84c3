// Helpers shared by the diagnostics renderers: lines, code-point columns, counts.
#include <map>

#include <fmt/format.h>

#include "report/diagnostics_render.h"

namespace ckg::report {

int code_point_column(std::string_view line, int byte_column) {
  int column = 1;
  int limit = std::min<int>(byte_column - 1, static_cast<int>(line.size()));
  for (int i = 0; i < limit; ++i) {
    // Count lead bytes only; continuation bytes (10xxxxxx) belong to the previous code point.
    if ((static_cast<unsigned char>(line[i]) & 0xC0) != 0x80) ++column;
  }
  // Columns past the end of the line (an insertion after the last character) keep their offset.
  if (byte_column - 1 > static_cast<int>(line.size())) column += byte_column - 1 - static_cast<int>(line.size());
  return column;
}

std::string_view source_line(std::string_view text, int n) {
  if (n < 1) return {};
  std::size_t start = 0;
  for (int i = 1; i < n; ++i) {
    std::size_t nl = text.find('\n', start);
    if (nl == std::string_view::npos) return {};
    start = nl + 1;
  }
  std::size_t end = text.find('\n', start);
  std::string_view line = text.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  return line;
}

std::string escape_text(std::string_view s, std::string_view keep) {
  std::string out;
  out.reserve(s.size());
  const auto byte = [&](std::size_t i) { return i < s.size() ? static_cast<unsigned char>(s[i]) : 0; };
  for (std::size_t i = 0; i < s.size(); ++i) {
    const unsigned char c = byte(i);
    if ((c < 0x20 || c == 0x7F) && keep.find(static_cast<char>(c)) == std::string_view::npos) {
      out += fmt::format("\\x{:02x}", c);
      continue;
    }
    // C1 controls (U+0080-U+009F) are C2 80..C2 9F in UTF-8.
    if (c == 0xC2 && byte(i + 1) >= 0x80 && byte(i + 1) <= 0x9F) {
      out += fmt::format("\\u{{{:04x}}}", byte(i + 1));
      ++i;
      continue;
    }
    // U+200E/F, U+2028-202E, U+2066-2069 (E2 80 8E.., E2 81 A6..) and U+FEFF (EF BB BF).
    if (c == 0xE2 || c == 0xEF) {
      const unsigned b1 = byte(i + 1), b2 = byte(i + 2);
      const unsigned cp = ((c & 0x0F) << 12) | ((b1 & 0x3F) << 6) | (b2 & 0x3F);
      const bool bidi = (b1 & 0xC0) == 0x80 && (b2 & 0xC0) == 0x80 &&
                        (cp == 0x200E || cp == 0x200F || (cp >= 0x2028 && cp <= 0x202E) ||
                         (cp >= 0x2066 && cp <= 0x2069) || cp == 0xFEFF);
      if (bidi) {
        out += fmt::format("\\u{{{:04x}}}", cp);
        i += 2;
        continue;
      }
    }
    out += static_cast<char>(c);
  }
  return out;
}

std::string escape_markdown(std::string_view s) {
  std::string out;
  bool code = false;
  std::size_t start = 0;
  for (std::size_t i = 0; i <= s.size(); ++i) {
    if (i < s.size() && s[i] != '`') continue;
    const std::string piece = escape_text(s.substr(start, i - start));
    if (code) {
      // Inside a code span only the table's cell separator still means something.
      if (!piece.empty()) out += '`';
      for (char c : piece) out += c == '|' ? std::string("\\|") : std::string(1, c);
      if (!piece.empty()) out += '`';
    } else {
      for (char c : piece) {
        if (std::string_view("\\*_[]<>!|~&#").find(c) != std::string_view::npos) out += '\\';
        out += c;
      }
    }
    code = !code;
    start = i + 1;
  }
  return out;
}

std::string plural(std::size_t n, std::string_view singular, std::string_view plural_form) {
  return fmt::format("{} {}", n, n == 1 ? singular : plural_form);
}

}  // namespace ckg::report
