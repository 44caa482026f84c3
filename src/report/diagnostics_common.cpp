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

std::string plural(std::size_t n, std::string_view singular, std::string_view plural_form) {
  return fmt::format("{} {}", n, n == 1 ? singular : plural_form);
}

}  // namespace ckg::report
