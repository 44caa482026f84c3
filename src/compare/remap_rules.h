// A key remap written compactly: renames shared by every key of a layer or subtree become one
// prefix rule (`features.1.` -> `features.2.`, `module.` -> ``); the rest stay key by key. Used by
// `diff` (the emitted migration) and `check` (the suggested fix).
#pragma once

#include <map>
#include <string>
#include <vector>

namespace ckg::compare {

// Every key starting with `from` is renamed to start with `to` (a whole layer or subtree, or a
// wrapper prefix), or one key is renamed.
struct RemapRule {
  enum class Kind { prefix, key } kind = Kind::prefix;
  std::string from, to;
};

std::vector<RemapRule> compact_rules(const std::map<std::string, std::string>& remap);

// `key` renamed by the first rule that matches it (unchanged when none does).
std::string apply_rules(const std::vector<RemapRule>& rules, const std::string& key);

// Python that applies the rules to a `state_dict` in place of it: one line for one prefix rule
// (a wrapper's `module.`), a small rename table otherwise.
std::string python_fix(const std::vector<RemapRule>& rules);

// A Python string literal for arbitrary text (keys come from untrusted checkpoints).
std::string python_string(const std::string& s);

}  // namespace ckg::compare
