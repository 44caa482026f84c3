// KeyManifest helpers.
#include "manifest/key_manifest.h"

namespace ckg::manifest {

const char* to_string(TensorKind kind) { return kind == TensorKind::parameter ? "parameter" : "buffer"; }

const KeyEntry* KeyManifest::find(const std::string& name) const {
  for (const auto& k : keys) {
    if (k.name == name) return &k;
  }
  return nullptr;
}

const ModuleEntry* KeyManifest::find_module(const std::string& path) const {
  for (const auto& m : modules) {
    if (m.path == path) return &m;
  }
  return nullptr;
}

}  // namespace ckg::manifest
