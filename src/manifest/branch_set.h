// The key manifests of every configuration branch of one model, with witnesses.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "manifest/key_manifest.h"

namespace ckg::manifest {

struct ConstructorParameter {
  std::string name;                     // "use_bn", or "config.tie_embeddings" for a config field
  std::optional<std::string> default_;  // Python literal; nullopt when there is none
  bool explored = false;                // varied by the enumeration (scalar defaults, not --config)
  // Set for a size parameter: an integer whose values change only shapes and how many numbered
  // children there are, never other key names ("count of mask.conv.*"). Its values are not
  // branches.
  std::string size_effect;
};

struct Branch {
  std::string id;         // "default", or the witness values that differ from the defaults
  std::string condition;  // over the decisions that select this branch, e.g. "use_bn and not tie"
  std::vector<std::pair<std::string, std::string>> witness;  // parameter -> Python literal
  KeyManifest manifest;
  std::vector<Unresolved> unresolved;
  std::vector<SourceRange> executed;  // statements of watched files its witness's run executed
  std::vector<SourceRange> load_customizations;  // see interp::Prediction
};

struct BranchSet {
  std::vector<ConstructorParameter> parameters;
  std::vector<Branch> branches;  // the default configuration's branch first
  bool truncated = false;        // exploration stopped at a limit; more branches may exist
  int runs = 0;                  // constructor runs made
};

}  // namespace ckg::manifest
