// One diagnostics model for every finding ckptguard reports (lint rules, model-edit diffs,
// checkpoint checks). Analyzers produce these values; renderers (one per output format) print
// them; neither knows about the other.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace ckg::diag {

enum class Severity { error, warning, note };

const char* to_string(Severity s);

// A source range: 1-based lines, 1-based columns counted in bytes (renderers convert as their
// format requires), end exclusive.
struct Span {
  std::string file;
  int line = 0;
  int column = 0;
  int end_line = 0;
  int end_column = 0;
};

struct Edit {
  Span span;
  std::string replacement;
};

struct Fix {
  std::string title;  // "strip the 'module.' prefix when loading"
  bool safe = false;  // safe fixes may be applied without review
  std::vector<Edit> edits;
};

struct Diagnostic {
  std::string code;  // stable, never reused: "CKG101"
  std::string name;  // kebab-case name of the rule: "key-renamed"
  Severity severity = Severity::error;
  std::string message;  // one line, lower-case start, no final period
  Span span;
  std::string help;  // the cure, one line
  std::optional<Fix> fix;
  nlohmann::ordered_json data = nlohmann::ordered_json::object();  // rule-specific facts (old/new keys, remap, ...)
};

// What every rule declares once, for `ckptguard rules`, SARIF's tool.driver.rules and the README.
struct RuleInfo {
  std::string code;
  std::string name;
  Severity severity = Severity::error;
  std::string summary;  // one line
  std::string doc;      // what it does / why it matters / example / use instead (Markdown)
};

// A finding of `rule` at `span`: code, name and severity come from the rule.
Diagnostic make_diagnostic(const RuleInfo& rule, std::string message, Span span, std::string help);

}  // namespace ckg::diag
