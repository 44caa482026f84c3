// Configuration branches: every key set a model can produce, each with a witness configuration
// that produces it and the condition that selects it.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "interp/predict.h"
#include "manifest/branch_set.h"

namespace ckg::interp {

using manifest::Branch;
using manifest::BranchSet;
using manifest::ConstructorParameter;

struct BranchLimits {
  int max_runs = 1024;   // constructor runs
  int max_branches = 256;  // distinct paths through the constructor
};

struct BranchResult {
  std::optional<BranchSet> set;
  std::optional<PredictionError> error;
};

// Explores the constructor of `target` by re-running it with witness arguments chosen from the
// values its conditions compare parameters against; runs that raise are dead paths; runs that
// give the same key manifest are one branch.
BranchResult enumerate_branches(const Target& target, const std::vector<ConfigItem>& config, BranchLimits limits = {});

// Many targets at once; targets in the same project share one interpreter (modules load once).
std::vector<BranchResult> enumerate_branches_batch(const std::vector<PredictionRequest>& requests, BranchLimits limits = {});

}  // namespace ckg::interp
