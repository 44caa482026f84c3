// Does a checkpoint's optimizer state fit a model and an optimizer type? Param groups against the
// model's parameters (count and order), state keys against the optimizer family, state tensor
// shapes against the parameters they belong to.
#pragma once

#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "checkpoint/checkpoint_info.h"
#include "manifest/key_manifest.h"

namespace ckg::compare {

struct OptimizerReport {
  std::vector<std::string> path;      // where the optimizer state sits in the checkpoint
  std::string family;                 // inferred from state keys and group options, e.g. "Adam/AdamW"
  std::optional<std::string> given;   // the torch.optim class the user will load it into (see optimizer_class)
  std::vector<int> group_sizes;       // parameters per param group
  int model_parameters = 0;           // model.parameters() count (tied tensors once)
  std::vector<std::string> problems;  // plain words, one per mismatch

  bool compatible() const { return problems.empty(); }
};

// The torch.optim class `given` names, spelt as the user likes ("torch.optim.AdamW", "adamw",
// "optim.SGD"), or an error naming the classes there are ("did you mean" included).
std::variant<std::string, std::string> optimizer_class(const std::string& given);

// One report per optimizer state found in `info` (Lightning keeps a list).
std::vector<OptimizerReport> check_optimizers(const checkpoint::CheckpointInfo& info, const manifest::KeyManifest& model,
                                              const std::optional<std::string>& given);

}  // namespace ckg::compare
