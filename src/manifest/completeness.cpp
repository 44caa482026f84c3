#include "manifest/completeness.h"

#include <algorithm>

namespace ckg::manifest {

std::vector<Unresolved> incompleteness(const KeyManifest& keys, const std::vector<Unresolved>& unresolved) {
  std::vector<Unresolved> out = unresolved;
  for (const auto& k : keys.keys) {
    const char* what = !k.shape && !k.dtype ? "shape and dtype" : !k.shape ? "shape" : !k.dtype ? "dtype" : nullptr;
    if (!what) continue;
    out.push_back({k.origin_file, k.origin_line, std::string("the ") + what + " of `" + k.name + "` is unknown"});
  }
  return out;
}

std::vector<Unresolved> incompleteness(const BranchSet& set) {
  std::vector<Unresolved> out;
  for (const auto& b : set.branches) {
    for (auto& u : incompleteness(b.manifest, b.unresolved)) {
      if (std::find(out.begin(), out.end(), u) == out.end()) out.push_back(std::move(u));
    }
  }
  if (set.truncated) out.push_back({"", 0, "branch exploration stopped at a limit: more configurations may exist"});
  return out;
}

}  // namespace ckg::manifest
