// `markdown` diagnostics: a pull-request comment with summary counts and a table of findings.
#include <map>
#include <set>

#include <fmt/format.h>

#include "report/diagnostics_render.h"

namespace ckg::report {
namespace {

constexpr std::size_t kMaxRows = 200;  // PR comments are limited to 65536 characters

const char* badge(diag::Severity s) {
  switch (s) {
    case diag::Severity::error: return "error";
    case diag::Severity::warning: return "warning";
    case diag::Severity::note: return "note";
  }
  return "";
}

}  // namespace

std::string markdown_findings_section(const DiagnosticsReport& report) {
  std::string out;
  std::size_t n = report.diagnostics.size();
  if (n == 0) {
    return fmt::format("**No findings** in {} checked.\n", plural(report.files_checked, "file", "files"));
  }
  std::map<std::string, std::size_t> by_code;
  std::map<diag::Severity, std::size_t> by_severity;
  std::set<std::string> files;
  for (const auto& d : report.diagnostics) {
    ++by_code[d.code];
    ++by_severity[d.severity];
    files.insert(d.span.file);
  }
  std::vector<std::string> parts;
  if (by_severity[diag::Severity::error]) parts.push_back(plural(by_severity[diag::Severity::error], "error", "errors"));
  if (by_severity[diag::Severity::warning]) parts.push_back(plural(by_severity[diag::Severity::warning], "warning", "warnings"));
  if (by_severity[diag::Severity::note]) parts.push_back(plural(by_severity[diag::Severity::note], "note", "notes"));
  out += fmt::format("**{}** ({}) in {} of {} checked.\n\n", plural(n, "finding", "findings"), fmt::join(parts, ", "),
                     files.size(), plural(report.files_checked, "file", "files"));

  out += "| Rule | Name | Findings |\n|---|---|---:|\n";
  for (const auto& [code, count] : by_code) {
    std::string name;
    for (const auto& r : report.rules) {
      if (r.code == code) name = r.name;
    }
    out += fmt::format("| `{}` | {} | {} |\n", code, escape_markdown(name), count);
  }
  out += "\n| Severity | Location | Rule | Finding |\n|---|---|---|---|\n";
  std::size_t shown = 0;
  for (const auto& d : report.diagnostics) {
    if (shown++ == kMaxRows) break;
    std::string_view text = report.source ? report.source(d.span.file) : std::string_view{};
    int col = text.empty() ? d.span.column : code_point_column(source_line(text, d.span.line), d.span.column);
    std::string finding = escape_markdown(d.message);
    if (d.data.contains("breaks")) finding += "<br>" + escape_markdown("breaks: " + d.data["breaks"].get<std::string>());
    if (!d.help.empty()) finding += "<br>" + escape_markdown("help: " + d.help);
    out += fmt::format("| {} | {} | `{}` | {} |\n", badge(d.severity),
                       escape_markdown(fmt::format("`{}:{}:{}`", d.span.file, d.span.line, col)), d.code, finding);
  }
  if (n > kMaxRows) out += fmt::format("\n…and {} more; run `ckptguard lint` locally for the full list.\n", n - kMaxRows);
  return out;
}

std::string render_diagnostics_markdown(const DiagnosticsReport& report) {
  return "## " + report.title + "\n\n" + markdown_findings_section(report);
}

}  // namespace ckg::report
