// Renderers for `ckptguard branches`: the JSON contract and text tables with the cross-branch
// compatibility matrix.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "manifest/branch_set.h"

namespace ckg::report {

struct BranchesReport {
  std::string target;
  manifest::BranchSet set;
};

nlohmann::ordered_json branches_to_json(const BranchesReport& report);
std::string render_branches_text(const BranchesReport& report);

}  // namespace ckg::report
