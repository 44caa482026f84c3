// What `model.load_state_dict(checkpoint, strict=True)` does, computed from key manifests:
// missing and unexpected keys, size and dtype mismatches, and torch's exact error text.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "manifest/key_manifest.h"

namespace ckg::compare {

struct ShapeMismatch {
  std::string name;
  std::vector<std::int64_t> checkpoint;
  std::vector<std::int64_t> model;
};

struct DtypeMismatch {
  std::string name;
  std::string checkpoint;
  std::string model;
};

struct LoadReport {
  std::vector<std::string> missing;     // in torch's order
  std::vector<std::string> unexpected;  // in torch's order
  std::vector<ShapeMismatch> shape_mismatch;
  std::vector<DtypeMismatch> dtype_mismatch;  // torch casts silently; reported, not an error
  std::optional<std::string> pytorch_error;   // str() of the RuntimeError torch 1.13 raises

  bool compatible() const { return !pytorch_error.has_value(); }
};

// Simulates torch 1.13's Module.load_state_dict(strict=True) of `checkpoint` into `model`:
// the module traversal, _NormBase's num_batches_tracked upgrade for checkpoints without (or
// with older) metadata, the 0-d/1-d shape allowance, and the message order.
LoadReport simulate_load(const manifest::KeyManifest& checkpoint, const manifest::KeyManifest& model);

// The same report for a load the interpreter ran with the model's own load hooks (their lists
// and messages as torch fills them); dtypes are compared from the manifests.
LoadReport interpreted_load(std::vector<std::string> missing, std::vector<std::string> unexpected,
                            const std::vector<std::string>& messages, std::optional<std::string> pytorch_error,
                            const manifest::KeyManifest& checkpoint, const manifest::KeyManifest& model);

}  // namespace ckg::compare
