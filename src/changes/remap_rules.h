// A key remap written compactly: renames shared by every key of a layer or subtree become one
// prefix rule (`features.1.` -> `features.2.`, `module.` -> ``); the rest stay key by key.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "changes/change_analysis.h"

namespace ckg::changes {

std::vector<RemapRule> compact_rules(const std::map<std::string, std::string>& remap);

// `key` renamed by the first rule that matches it (unchanged when none does).
std::string apply_rules(const std::vector<RemapRule>& rules, const std::string& key);

}  // namespace ckg::changes
