// Reading a CheckpointInfo: where the model state_dict's tensors are.
#include "checkpoint/checkpoint_info.h"

#include <algorithm>

namespace ckg::checkpoint {

std::vector<std::pair<std::string, std::size_t>> state_dict_entries(const CheckpointInfo& info) {
  if (!info.module_state_dict.empty() || !info.state_dict_path) return info.module_state_dict;
  const KeyPath& root = *info.state_dict_path;
  std::vector<std::pair<std::string, std::size_t>> out;
  for (std::size_t i = 0; i < info.tensors.size(); ++i) {
    const KeyPath& path = info.tensors[i].path;
    if (path.size() == root.size() + 1 && std::equal(root.begin(), root.end(), path.begin())) out.emplace_back(path.back(), i);
  }
  return out;
}

}  // namespace ckg::checkpoint
