// Reading an unpickled object graph the way a user of torch.load would see it: which tensors sit
// at which key paths, where the model state_dict and the optimizer state are, and what plain
// values remain (epoch, step, config). Every walk is iterative, depth-limited and budgeted (nodes
// visited, bytes of key paths and metadata handed out), and spells a key path only for what it
// hands out, so deep nesting, cycles and exponentially shared graphs end in an error or a warning.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "checkpoint/checkpoint_info.h"
#include "checkpoint/detail/pickle_value.h"
#include "checkpoint/read_error.h"

namespace ckg::checkpoint::detail {

struct Structure {
  std::vector<std::pair<KeyPath, ValueId>> tensors;  // in torch.load's iteration order
  std::optional<KeyPath> state_dict_path;
  // A pickled module's state_dict (CheckpointInfo::module_state_dict): key, index into tensors.
  std::vector<std::pair<std::string, std::size_t>> module_state_dict;
  std::vector<KeyPath> optimizer_paths;
  nlohmann::json metadata = nlohmann::json::object();
  nlohmann::json state_dict_metadata;
  std::vector<std::string> warnings;
};

// Errors name `record` and the offset of the value that broke a limit.
Result<Structure> walk_object(const Arena& arena, ValueId root, std::string_view record,
                              const ReadLimits& limits);

}  // namespace ckg::checkpoint::detail
