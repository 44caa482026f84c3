// Renderers for diagnostics: one function per output format. They print what analyzers found and
// decide nothing; they know diagnostics, rule docs and source text, never syntax trees.
//
// Columns in diagnostics count bytes; every renderer here reports Unicode code points (1-based,
// end exclusive), as SARIF's `unicodeCodePoints` column kind and editors expect.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "diagnostics/diagnostic.h"

namespace ckg::report {

// The text of a source file by the path its diagnostics name; empty when unknown.
using SourceText = std::function<std::string_view(const std::string& path)>;

struct DiagnosticsReport {
  std::vector<diag::Diagnostic> diagnostics;  // sorted by file, then position
  std::vector<diag::RuleInfo> rules;          // documentation of every code that may appear
  SourceText source;                          // may be empty: snippets and fingerprints are then omitted
  int files_checked = 0;
  std::string tool_version = "0.1.0";
  std::string title = "ckptguard lint";  // heading of the markdown and HTML renderings
};

// `text`: compiler-style, like rustc and ruff: `error[CKG301]: message`, ` --> file:line:col`,
// the source line with `^^^` under the span, `= help: ...`, then `Found N findings.`
struct TextOptions {
  bool color = false;  // ANSI colours (the caller decides: TTY, NO_COLOR, FORCE_COLOR)
};
std::string render_diagnostics_text(const DiagnosticsReport& report, const TextOptions& options);

// `json`: {"version": 1, "tool": ..., "summary": ..., "diagnostics": [...]} (schema in README).
nlohmann::ordered_json diagnostics_to_json(const DiagnosticsReport& report);

// `sarif`: SARIF 2.1.0 for GitHub code scanning. Relative paths become URIs relative to
// `%SRCROOT%` (= `source_root`, an absolute directory); absolute paths become file:// URIs.
struct SarifOptions {
  std::string source_root;  // absolute directory the relative paths are relative to
};
nlohmann::ordered_json diagnostics_to_sarif(const DiagnosticsReport& report, const SarifOptions& options);

// `github`: one workflow command per diagnostic (`::error file=...,line=...::message`).
std::string render_diagnostics_github(const DiagnosticsReport& report);

// `markdown`: a PR comment: summary counts, counts per rule, and a table of findings. The
// findings section is usable on its own inside a larger report.
std::string markdown_findings_section(const DiagnosticsReport& report);
std::string render_diagnostics_markdown(const DiagnosticsReport& report);

// `html`: a self-contained page (inline CSS, no scripts, no network). `html_findings_section`
// is the body part, for pages that add sections of their own around it.
std::string html_findings_section(const DiagnosticsReport& report);
std::string html_page(std::string_view title, std::string_view body_html);
std::string render_diagnostics_html(const DiagnosticsReport& report);

// --- building blocks, exposed for tests and other reports ---

// 1-based code-point column of 1-based byte column `byte_column` in `line`.
int code_point_column(std::string_view line, int byte_column);
// Line `n` (1-based) of `text`, without its line break; empty past the end.
std::string_view source_line(std::string_view text, int n);
// GitHub's primaryLocationLineHash for every line of `text` (index 0 = line 1), computed as
// github/codeql-action's fingerprints.ts does: a rolling hash over the next 100 non-space,
// non-tab characters from the line start, with `:N` counting repeats of the same hash.
std::vector<std::string> line_hashes(std::string_view text);

// --- escaping of untrusted text, one helper per output format ---
// Checkpoint keys, file names and source text reach every format. A key may hold ESC sequences
// (terminal colours, OSC 8 links), a newline that forges a report line, bidi overrides, markdown
// or HTML. JSON needs nothing beyond its own string escaping.
//
// text and SARIF message text: C0 controls, DEL, C1 controls, line/paragraph separators and bidi
// controls become visible `\xNN` / `\u{NNNN}` text; the characters in `keep` (say "\n") pass.
std::string escape_text(std::string_view s, std::string_view keep = {});
// github: workflow-command data, after escape_text (`%`, CR, LF), and property values (also `:`
// and `,`). Neither can end a command or start another.
std::string escape_github_data(std::string_view s);
std::string escape_github_property(std::string_view s);
// markdown (a table cell or a paragraph): `code` spans of the message stay code spans, with their
// content literal; everything else has markdown's punctuation backslash-escaped, so nothing in
// the text can become a link, an image, emphasis, raw HTML or a new table cell or line.
std::string escape_markdown(std::string_view s);
// html: entities for & < > " ', and escape_text for controls (newlines and tabs pass, for <pre>).
std::string html_escape(std::string_view s);
// Count words: "1 finding", "3 findings".
std::string plural(std::size_t n, std::string_view singular, std::string_view plural_form);

}  // namespace ckg::report
