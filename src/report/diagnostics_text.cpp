// `text` diagnostics: compiler-style, like rustc and ruff, with optional ANSI colour.
#include <map>
#include <set>

#include <fmt/format.h>

#include "report/diagnostics_render.h"

namespace ckg::report {
namespace {

struct Palette {
  bool on;
  std::string paint(std::string_view s, const char* code) const {
    return on ? fmt::format("\x1b[{}m{}\x1b[0m", code, s) : std::string(s);
  }
};

const char* severity_colour(diag::Severity s) {
  switch (s) {
    case diag::Severity::error: return "1;31";
    case diag::Severity::warning: return "1;33";
    case diag::Severity::note: return "1;36";
  }
  return "1";
}

// Expands tabs to 4 columns; returns the display text and the display width of each code point
// boundary so carets line up.
std::string expand_tabs(std::string_view line) {
  std::string out;
  for (char c : line) {
    if (c == '\t') out += "    ";
    else out += c;
  }
  return out;
}

int display_column(std::string_view line, int byte_column) {
  int col = 0;
  int limit = std::min<int>(byte_column - 1, static_cast<int>(line.size()));
  for (int i = 0; i < limit; ++i) {
    unsigned char c = static_cast<unsigned char>(line[i]);
    if (c == '\t') col += 4;
    else if ((c & 0xC0) != 0x80) col += 1;
  }
  return col;
}

}  // namespace

std::string render_diagnostics_text(const DiagnosticsReport& report, const TextOptions& options) {
  Palette p{options.color};
  std::string out;
  for (const auto& d : report.diagnostics) {
    const char* colour = severity_colour(d.severity);
    out += p.paint(fmt::format("{}[{}]", diag::to_string(d.severity), d.code), colour);
    out += p.paint(fmt::format(": {}", escape_text(d.message)), "1");
    out += "\n";
    std::string_view text = report.source ? report.source(d.span.file) : std::string_view{};
    std::string_view line = source_line(text, d.span.line);
    int column = code_point_column(line, d.span.column);
    std::string number = std::to_string(d.span.line);
    std::string pad(number.size(), ' ');
    out += fmt::format("{}{} {}:{}:{}\n", pad, p.paint("-->", "1;34"), escape_text(d.span.file), d.span.line, column);
    if (!line.empty()) {
      int start = display_column(line, d.span.column);
      int end = d.span.end_line == d.span.line ? display_column(line, d.span.end_column)
                                               : display_column(line, static_cast<int>(line.size()) + 1);
      std::string shown = expand_tabs(line);
      // A span that runs past the line (multi-line) ends at the last non-blank character.
      while (end > start && end <= static_cast<int>(shown.size()) && shown[end - 1] == ' ') --end;
      int width = std::max(1, end - start);
      out += fmt::format("{} {}\n", pad, p.paint("|", "1;34"));
      out += fmt::format("{} {} {}\n", p.paint(number, "1;34"), p.paint("|", "1;34"), escape_text(shown));
      out += fmt::format("{} {} {}{}\n", pad, p.paint("|", "1;34"), std::string(start, ' '),
                         p.paint(std::string(width, '^'), colour));
    }
    if (!d.help.empty()) out += fmt::format("{} {} {}\n", pad, p.paint("=", "1;34"), p.paint("help", "1") + ": " + escape_text(d.help));
    if (d.fix) {
      out += fmt::format("{} {} {}\n", pad, p.paint("=", "1;34"),
                         p.paint(d.fix->safe ? "fix" : "fix (unsafe)", "1") + ": " + escape_text(d.fix->title));
    }
    out += "\n";
  }
  std::size_t n = report.diagnostics.size();
  if (n == 0) {
    out += fmt::format("Found 0 findings ({} checked).\n", plural(report.files_checked, "file", "files"));
    return out;
  }
  std::map<diag::Severity, std::size_t> by_severity;
  std::set<std::string> files;
  for (const auto& d : report.diagnostics) {
    ++by_severity[d.severity];
    files.insert(d.span.file);
  }
  std::vector<std::string> parts;
  if (by_severity[diag::Severity::error]) parts.push_back(plural(by_severity[diag::Severity::error], "error", "errors"));
  if (by_severity[diag::Severity::warning]) parts.push_back(plural(by_severity[diag::Severity::warning], "warning", "warnings"));
  if (by_severity[diag::Severity::note]) parts.push_back(plural(by_severity[diag::Severity::note], "note", "notes"));
  out += p.paint(fmt::format("Found {}.", plural(n, "finding", "findings")), "1");
  out += fmt::format(" ({} in {} of {} checked)\n", fmt::join(parts, ", "), files.size(),
                     plural(report.files_checked, "file", "files"));
  return out;
}

}  // namespace ckg::report
