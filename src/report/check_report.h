// Renderers for `ckptguard check`: will this checkpoint load into that model, and if not, why and
// how to fix it.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "compare/load_check.h"
#include "compare/optimizer_check.h"
#include "compare/suggest.h"

namespace ckg::report {

struct CheckReport {
  std::string checkpoint;  // path as given
  std::string model;       // FILE::NAME or the other checkpoint's path
  std::optional<std::vector<std::string>> state_dict_path;
  compare::LoadReport load;
  compare::Suggestions suggestions;
  std::vector<std::string> notes;  // e.g. unresolved constructs in the prediction
  std::vector<std::string> matching_configs;  // model configurations the checkpoint loads into
  std::vector<compare::OptimizerReport> optimizers;
};

nlohmann::ordered_json check_to_json(const CheckReport& report);
std::string render_check_text(const CheckReport& report);

}  // namespace ckg::report
