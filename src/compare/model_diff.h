// Model-edit diff: how the state_dict of one model changed between two versions of its source,
// classified by rule (renamed, moved, reordered, removed, added, reshaped, retyped, made
// non-persistent) with the key remap that migrates old checkpoints where one exists.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "diagnostics/diagnostic.h"
#include "manifest/branch_set.h"
#include "manifest/key_manifest.h"

namespace ckg::compare {

struct ModelDiff {
  std::vector<diag::Diagnostic> findings;
  std::map<std::string, std::string> remap;  // old key -> new key
};

// The rules this diff reports (for `ckptguard rules`, SARIF and the README).
const std::vector<diag::RuleInfo>& diff_rules();

// Compares one configuration of a model in its old and new versions. `target` names the model
// (e.g. "models.py::Net" or "Net[use_bn=True]"); findings point at the new source where it can.
ModelDiff diff_manifests(const std::string& target, const manifest::KeyManifest& old_keys, const manifest::KeyManifest& new_keys);

// Compares every configuration branch: the default configuration key by key, default flips
// (a parameter's new default selects another branch), and branches that disappeared or appeared.
ModelDiff diff_branches(const std::string& target, const manifest::BranchSet& old_set, const manifest::BranchSet& new_set,
                        const std::string& new_file, int new_line);

}  // namespace ckg::compare
