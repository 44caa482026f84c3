// Model descriptions as cache entries: branch sets (keys with their origins and creation chains,
// the statements each branch ran) and the models a file defines, to and from JSON.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "interp/predict.h"
#include "manifest/branch_set.h"

namespace ckg::changes {

std::string branch_set_to_json(const manifest::BranchSet& set);
std::optional<manifest::BranchSet> branch_set_from_json(std::string_view text);

std::string models_to_json(const std::vector<interp::ModelTarget>& models, const std::string& error);
std::optional<std::pair<std::vector<interp::ModelTarget>, std::string>> models_from_json(std::string_view text);

}  // namespace ckg::changes
