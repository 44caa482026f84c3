// CheckpointInfo -> KeyManifest.
#include "compare/checkpoint_manifest.h"

namespace ckg::compare {

manifest::KeyManifest manifest_from_checkpoint(const checkpoint::CheckpointInfo& info) {
  manifest::KeyManifest out;
  for (const auto& [key, index] : checkpoint::state_dict_entries(info)) {
    const auto& t = info.tensors[index];
    manifest::KeyEntry e;
    e.name = key;
    e.shape = t.shape;
    e.dtype = t.dtype;
    out.keys.push_back(std::move(e));
  }
  if (info.state_dict_metadata.is_object()) {
    for (const auto& [path, entry] : info.state_dict_metadata.items()) {
      int version = 1;
      if (entry.is_object() && entry.contains("version") && entry["version"].is_number_integer()) version = entry["version"].get<int>();
      out.modules.push_back({path, "", version, "", 0, 0, {}});
    }
  }
  return out;
}

}  // namespace ckg::compare
