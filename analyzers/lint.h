// The lint stage: run the registered rules over parsed Python files and apply inline
// suppressions (`# ckptguard: ignore[CKG301]`). Rule selection by configuration is the caller's.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "analyzers/rule.h"
#include "diagnostics/diagnostic.h"
#include "parse/source_file.h"

namespace ckg::lint {

// Every rule, in code order (the registry).
const std::vector<Rule>& rules();
// The rule with that code, or nullptr.
const Rule* find_rule(std::string_view code);
// Documentation of every code ckptguard lint can report, rules and file-level problems alike.
std::vector<diag::RuleInfo> rule_infos();

// Codes for problems with the input itself rather than with its content.
extern const diag::RuleInfo kSyntaxError;    // CKG001: the file does not compile
extern const diag::RuleInfo kUnreadableFile;  // CKG002: not readable, not text, or too large

// Whether a code is enabled for the file being linted.
using CodeFilter = std::function<bool(std::string_view code)>;

// Runs every enabled rule over `file`. Findings suppressed by a comment on their line, or on the
// first line of the statement that contains them, are dropped. Sorted by position, then code.
std::vector<diag::Diagnostic> lint_file(const parse::SourceFile& file, const CodeFilter& enabled);

// Diagnostic for a file that could not be loaded at all (`path: reason`).
diag::Diagnostic unreadable_file(const std::string& path, const std::string& reason);

}  // namespace ckg::lint
