// `json` diagnostics: a stable, documented document (see README, "Lint rules").
#include <map>

#include "report/diagnostics_render.h"

namespace ckg::report {
namespace {

struct Columns {
  int column, end_column;
};

Columns columns(const DiagnosticsReport& report, const diag::Span& s) {
  std::string_view text = report.source ? report.source(s.file) : std::string_view{};
  if (text.empty()) return {s.column, s.end_column};
  return {code_point_column(source_line(text, s.line), s.column),
          code_point_column(source_line(text, s.end_line), s.end_column)};
}

void put_span(nlohmann::ordered_json& j, const DiagnosticsReport& report, const diag::Span& s) {
  Columns c = columns(report, s);
  j["file"] = s.file;
  j["line"] = s.line;
  j["column"] = c.column;
  j["end_line"] = s.end_line;
  j["end_column"] = c.end_column;
}

}  // namespace

nlohmann::ordered_json diagnostics_to_json(const DiagnosticsReport& report) {
  nlohmann::ordered_json doc;
  doc["version"] = 1;
  doc["tool"] = {{"name", "ckptguard"}, {"version", report.tool_version}};
  doc["files_checked"] = report.files_checked;
  std::map<std::string, int> by_code;
  int errors = 0, warnings = 0, notes = 0;
  for (const auto& d : report.diagnostics) {
    ++by_code[d.code];
    (d.severity == diag::Severity::error ? errors : d.severity == diag::Severity::warning ? warnings : notes)++;
  }
  doc["summary"] = {{"findings", report.diagnostics.size()}, {"errors", errors}, {"warnings", warnings},
                    {"notes", notes}, {"by_code", by_code}};
  auto& list = doc["diagnostics"] = nlohmann::ordered_json::array();
  for (const auto& d : report.diagnostics) {
    nlohmann::ordered_json j;
    j["code"] = d.code;
    j["name"] = d.name;
    j["severity"] = diag::to_string(d.severity);
    j["message"] = d.message;
    put_span(j, report, d.span);
    j["help"] = d.help;
    if (d.fix) {
      nlohmann::ordered_json fix;
      fix["title"] = d.fix->title;
      fix["safe"] = d.fix->safe;
      fix["edits"] = nlohmann::ordered_json::array();
      for (const auto& e : d.fix->edits) {
        nlohmann::ordered_json edit;
        put_span(edit, report, e.span);
        edit["replacement"] = e.replacement;
        fix["edits"].push_back(std::move(edit));
      }
      j["fix"] = std::move(fix);
    } else {
      j["fix"] = nullptr;
    }
    j["data"] = d.data;
    list.push_back(std::move(j));
  }
  return doc;
}

}  // namespace ckg::report
