// Every code ckptguard reports, in one table (as ruff's codes.rs): family, kebab-case name,
// default severity and one-line summary. Rule selection, SARIF tags and `ckptguard rules` derive
// from it; each rule's documentation lives with the rule (lint rules, the model-edit diff, the
// checker) and is built from this table with rule(), so a mistyped code fails at start-up tests,
// never silently as another rule.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "diagnostics/diagnostic.h"

namespace ckg::diag {

// Families share a code prefix and never reuse a code.
enum class Family {
  input,              // CKG0xx: the input itself (a file that does not compile or cannot be read)
  state_dict_keys,    // CKG1xx: model edits that rename, move, add or remove keys
  shapes_and_dtypes,  // CKG2xx: model edits that change a tensor's shape or dtype
  load_semantics,     // CKG3xx: code that saves or loads state_dicts in a fragile way
  checkpoint_safety,  // CKG4xx: code that loads checkpoints unsafely
  checkpoint_check,   // CKG5xx: a checkpoint that does not fit a model
};

struct CodeInfo {
  std::string_view code;
  std::string_view name;
  Severity severity;
  Family family;
  std::string_view summary;
};

// Every code, in code order.
const std::vector<CodeInfo>& codes();
// The code with that code or kebab-case name; null when there is none.
const CodeInfo* find_code(std::string_view code_or_name);
// "unknown code 'CKG1O1' (did you mean CKG101?)" for a code that is not in the table.
std::optional<std::string> unknown_code(std::string_view code);
// The family's code prefix ("CKG1") and its tag in SARIF's rule properties ("state-dict-keys").
std::string_view family_prefix(Family f);
std::string_view family_tag(Family f);

// A rule's documentation record from the table: the code must be in it (a programming error
// otherwise, caught by the registry's tests).
RuleInfo rule(std::string_view code, std::string doc);
// The record of `code` in a stage's rules; a code the stage does not document is a programming
// error (thrown), never another rule.
const RuleInfo& rule_in(const std::vector<RuleInfo>& rules, std::string_view code);

}  // namespace ckg::diag
