// Diagnostics helpers.
#include "diagnostics/diagnostic.h"

namespace ckg::diag {

const char* to_string(Severity s) {
  switch (s) {
    case Severity::error: return "error";
    case Severity::warning: return "warning";
    case Severity::note: return "note";
  }
  return "error";
}

Diagnostic make_diagnostic(const RuleInfo& rule, std::string message, Span span, std::string help) {
  Diagnostic d;
  d.code = rule.code;
  d.name = rule.name;
  d.severity = rule.severity;
  d.message = std::move(message);
  d.span = std::move(span);
  d.help = std::move(help);
  return d;
}

}  // namespace ckg::diag
