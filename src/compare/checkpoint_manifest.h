// The key manifest a checkpoint carries: its state_dict tensors and `_metadata` module versions.
#pragma once

#include <string>

#include "checkpoint/checkpoint_info.h"
#include "manifest/key_manifest.h"

namespace ckg::compare {

// Keys of the state_dict found in `info` (shapes and dtypes as stored; kinds are not recorded in
// a state_dict, so every entry is a parameter until matched with a model). Modules come from the
// state_dict's `_metadata` when present (their versions drive torch's load-time upgrades).
manifest::KeyManifest manifest_from_checkpoint(const checkpoint::CheckpointInfo& info);

}  // namespace ckg::compare
