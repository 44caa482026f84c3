// Renderers for `ckptguard diff`: the JSON contract, compiler-style text, and the migration code.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "diagnostics/diagnostic.h"

namespace ckg::report {

struct DiffReport {
  std::vector<diag::Diagnostic> findings;
  std::map<std::string, std::string> remap;  // old key -> new key
  std::vector<std::string> notes;            // models skipped, and why
};

// Ready-to-paste migration: a load_state_dict pre-hook and a one-off conversion script.
std::string migration_code(const std::map<std::string, std::string>& remap);

nlohmann::ordered_json diff_to_json(const DiffReport& report);
// `source_line(file, line)` returns the text of a line for the snippet (empty when unknown).
std::string render_diff_text(const DiffReport& report, const std::function<std::string(const std::string&, int)>& source_line);

}  // namespace ckg::report
