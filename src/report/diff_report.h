// Renderers for `ckptguard diff`: the JSON contract, compiler-style text, and the migration code.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "changes/change_analysis.h"

namespace ckg::report {

// Ready-to-paste migration: a load_state_dict pre-hook and a one-off conversion script.
std::string migration_code(const std::vector<compare::RemapRule>& rules);

nlohmann::ordered_json diff_to_json(const changes::ChangeReport& report);
// Compact remap rules as JSON: [{"kind": "prefix"|"key", "from": ..., "to": ...}] (diff and check).
nlohmann::ordered_json remap_rules_to_json(const std::vector<compare::RemapRule>& rules);
// `source_line(file, line)` returns the text of a line for the snippet (empty when unknown).
std::string render_diff_text(const changes::ChangeReport& report, const std::function<std::string(const std::string&, int)>& source_line);

}  // namespace ckg::report
