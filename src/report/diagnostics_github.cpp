// `github` diagnostics: GitHub Actions workflow commands, one annotation per finding.
#include <fmt/format.h>

#include "report/diagnostics_render.h"

namespace ckg::report {

std::string escape_github_data(std::string_view s) {
  std::string out;
  for (char c : escape_text(s, "\r\n")) {
    switch (c) {
      case '%': out += "%25"; break;
      case '\r': out += "%0D"; break;
      case '\n': out += "%0A"; break;
      default: out += c;
    }
  }
  return out;
}

std::string escape_github_property(std::string_view s) {
  std::string out;
  for (char c : escape_github_data(s)) {
    switch (c) {
      case ':': out += "%3A"; break;
      case ',': out += "%2C"; break;
      default: out += c;
    }
  }
  return out;
}

std::string render_diagnostics_github(const DiagnosticsReport& report) {
  std::string out;
  for (const auto& d : report.diagnostics) {
    const char* command = d.severity == diag::Severity::error ? "error"
                          : d.severity == diag::Severity::warning ? "warning" : "notice";
    std::string_view text = report.source ? report.source(d.span.file) : std::string_view{};
    std::string props = fmt::format("file={},line={}", escape_github_property(d.span.file), d.span.line);
    if (d.span.end_line > d.span.line) props += fmt::format(",endLine={}", d.span.end_line);
    // Columns only make sense on a single line.
    if (d.span.column > 0 && d.span.end_line == d.span.line) {
      std::string_view line = source_line(text, d.span.line);
      int col = text.empty() ? d.span.column : code_point_column(line, d.span.column);
      int end = text.empty() ? d.span.end_column : code_point_column(line, d.span.end_column);
      props += fmt::format(",col={}", col);
      if (end > col) props += fmt::format(",endColumn={}", end);
    }
    props += ",title=" + escape_github_property(fmt::format("ckptguard {} ({})", d.code, d.name));
    // Each part on one line: a newline inside a key must not look like the help line.
    std::string message = escape_text(d.message);
    if (!d.help.empty()) message += "\nhelp: " + escape_text(d.help);
    out += fmt::format("::{} {}::{}\n", command, props, escape_github_data(message));
  }
  return out;
}

}  // namespace ckg::report
