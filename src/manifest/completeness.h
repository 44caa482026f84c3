// Whether a prediction can be trusted: `complete` is a promise that every construct that could
// change a key name, the key order, a kind, a shape or a dtype was followed.
#pragma once

#include <vector>

#include "manifest/branch_set.h"
#include "manifest/key_manifest.h"

namespace ckg::manifest {

// Why a prediction may differ from the real state_dict: each unresolved construct (the
// interpreter records only those that decided control flow, a registration, a name or a value
// kept on a module) and each key whose shape or dtype is unknown. Empty: complete.
std::vector<Unresolved> incompleteness(const KeyManifest& keys, const std::vector<Unresolved>& unresolved);

// The same for a branch set: every branch's reasons, and exploration that stopped at a limit.
std::vector<Unresolved> incompleteness(const BranchSet& set);

}  // namespace ckg::manifest
