// `html` diagnostics: one self-contained page (inline CSS, no scripts, nothing fetched).
#include <map>
#include <set>

#include <fmt/format.h>

#include "report/diagnostics_render.h"

namespace ckg::report {

std::string html_escape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : escape_text(s, "\n\t")) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

namespace {

// `code` spans in messages become <code>; everything else is escaped, newlines included (a
// message is one line; a newline in it came from a key).
std::string inline_code(std::string_view s) {
  std::string out;
  bool open = false;
  std::size_t start = 0;
  for (std::size_t i = 0; i <= s.size(); ++i) {
    if (i == s.size() || s[i] == '`') {
      out += html_escape(escape_text(s.substr(start, i - start)));
      if (i < s.size()) out += open ? "</code>" : "<code>";
      open = !open;
      start = i + 1;
    }
  }
  if (!open) out += "</code>";  // unbalanced backtick: close what was opened
  return out;
}

}  // namespace

std::string html_page(std::string_view title, std::string_view body_html) {
  return fmt::format(R"(<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{0}</title>
<style>
body {{ font: 15px/1.5 system-ui, sans-serif; margin: 2rem auto; max-width: 70rem; padding: 0 1rem; color: #1f2328; }}
h1 {{ font-size: 1.5rem; }} h2 {{ font-size: 1.2rem; margin-top: 2rem; }}
table {{ border-collapse: collapse; margin: 1rem 0; }}
th, td {{ border: 1px solid #d0d7de; padding: .3rem .6rem; text-align: left; vertical-align: top; }}
th {{ background: #f6f8fa; }}
code, pre {{ font: 13px/1.4 ui-monospace, monospace; }}
h2 code {{ font-size: 1rem; }}
pre {{ background: #f6f8fa; padding: .5rem; overflow-x: auto; margin: .3rem 0; }}
.finding {{ border-left: 4px solid #d0d7de; padding: .2rem .8rem; margin: 1rem 0; }}
.error {{ border-color: #cf222e; }} .warning {{ border-color: #bf8700; }} .note {{ border-color: #0969da; }}
.sev {{ font-weight: 600; text-transform: uppercase; font-size: .8rem; }}
.error .sev {{ color: #cf222e; }} .warning .sev {{ color: #9a6700; }} .note .sev {{ color: #0969da; }}
.caret {{ color: #cf222e; }} .help {{ color: #57606a; }}
td.ok {{ background: #dafbe1; color: #116329; }} td.fail {{ background: #ffebe9; color: #82071e; font-weight: 600; }}
td.self, td.absent {{ color: #8c959f; text-align: center; }}
tr.renamed td {{ background: #fff8c5; }} tr.removed td {{ background: #ffebe9; }}
section.model {{ border-top: 1px solid #d0d7de; margin-top: 2rem; }}
</style>
</head>
<body>
<h1>{0}</h1>
{1}
</body>
</html>
)",
                     html_escape(title), body_html);
}

std::string html_findings_section(const DiagnosticsReport& report) {
  std::string out;
  std::size_t n = report.diagnostics.size();
  std::map<std::string, std::size_t> by_code;
  std::map<diag::Severity, std::size_t> by_severity;
  std::set<std::string> files;
  for (const auto& d : report.diagnostics) {
    ++by_code[d.code];
    ++by_severity[d.severity];
    files.insert(d.span.file);
  }
  out += "<section class=\"findings\">\n";
  out += fmt::format("<p><strong>{}</strong> ({}, {}, {}) in {} of {} checked.</p>\n", plural(n, "finding", "findings"),
                     plural(by_severity[diag::Severity::error], "error", "errors"),
                     plural(by_severity[diag::Severity::warning], "warning", "warnings"),
                     plural(by_severity[diag::Severity::note], "note", "notes"), files.size(),
                     plural(report.files_checked, "file", "files"));
  if (n == 0) return out + "</section>\n";
  out += "<table>\n<tr><th>Rule</th><th>Name</th><th>Findings</th></tr>\n";
  for (const auto& [code, count] : by_code) {
    std::string name;
    for (const auto& r : report.rules) {
      if (r.code == code) name = r.name;
    }
    out += fmt::format("<tr><td><a href=\"#rule-{0}\"><code>{0}</code></a></td><td>{1}</td><td>{2}</td></tr>\n",
                       html_escape(code), html_escape(name), count);
  }
  out += "</table>\n";
  std::string current_file;
  for (const auto& d : report.diagnostics) {
    if (d.span.file != current_file) {
      current_file = d.span.file;
      out += fmt::format("<h2><code>{}</code></h2>\n", html_escape(current_file));
    }
    std::string_view text = report.source ? report.source(d.span.file) : std::string_view{};
    std::string_view line = source_line(text, d.span.line);
    int col = text.empty() ? d.span.column : code_point_column(line, d.span.column);
    const char* sev = diag::to_string(d.severity);
    out += fmt::format("<div class=\"finding {}\">\n<p><span class=\"sev\">{}</span> <code>{}</code> "
                       "<code>{}:{}:{}</code><br>{}</p>\n",
                       sev, sev, html_escape(d.code), html_escape(d.span.file), d.span.line, col, inline_code(d.message));
    if (!line.empty()) {
      int end = d.span.end_line == d.span.line ? code_point_column(line, d.span.end_column)
                                               : code_point_column(line, static_cast<int>(line.size()) + 1);
      std::string shown;
      for (char c : line) shown += c == '\t' ? std::string("    ") : std::string(1, c);
      int start_display = 0;
      for (int i = 0, cp = 1; i < static_cast<int>(line.size()) && cp < col; ++i) {
        unsigned char c = static_cast<unsigned char>(line[i]);
        if ((c & 0xC0) == 0x80) continue;
        start_display += c == '\t' ? 4 : 1;
        ++cp;
      }
      out += fmt::format("<pre>{:>5} | {}\n      | <span class=\"caret\">{}{}</span></pre>\n", d.span.line,
                         html_escape(shown), std::string(start_display, ' '), std::string(std::max(1, end - col), '^'));
    }
    if (!d.help.empty()) out += fmt::format("<p class=\"help\">help: {}</p>\n", inline_code(d.help));
    if (d.fix) {
      out += fmt::format("<p class=\"help\">{}: {}</p>\n", d.fix->safe ? "fix" : "fix (unsafe)", inline_code(d.fix->title));
    }
    out += "</div>\n";
  }
  out += "<h2>Rules</h2>\n";
  for (const auto& r : report.rules) {
    if (!by_code.count(r.code)) continue;
    out += fmt::format("<details id=\"rule-{0}\"><summary><code>{0}</code> {1}: {2}</summary>\n<pre>{3}</pre>\n</details>\n",
                       html_escape(r.code), html_escape(r.name), inline_code(r.summary), html_escape(r.doc));
  }
  out += "</section>\n";
  return out;
}

std::string render_diagnostics_html(const DiagnosticsReport& report) {
  return html_page(report.title, html_findings_section(report));
}

}  // namespace ckg::report
