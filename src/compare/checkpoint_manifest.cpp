// CheckpointInfo -> KeyManifest.
#include "compare/checkpoint_manifest.h"

namespace ckg::compare {

manifest::KeyManifest manifest_from_checkpoint(const checkpoint::CheckpointInfo& info) {
  manifest::KeyManifest out;
  if (!info.state_dict_path) return out;
  const auto& root = *info.state_dict_path;
  for (const auto& t : info.tensors) {
    if (t.path.size() != root.size() + 1 || !std::equal(root.begin(), root.end(), t.path.begin())) continue;
    manifest::KeyEntry e;
    e.name = t.path.back();
    e.shape = t.shape;
    e.dtype = t.dtype;
    out.keys.push_back(std::move(e));
  }
  if (info.state_dict_metadata.is_object()) {
    for (const auto& [path, entry] : info.state_dict_metadata.items()) {
      int version = 1;
      if (entry.is_object() && entry.contains("version") && entry["version"].is_number_integer()) version = entry["version"].get<int>();
      out.modules.push_back({path, "", version, "", 0});
    }
  }
  return out;
}

}  // namespace ckg::compare
