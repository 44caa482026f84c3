// Would torch.load(weights_only=True) of Debian's torch 1.13 accept this pickle? Its loader
// (torch/_weights_only_unpickler.py) is far narrower than ours: no BINFLOAT (so no optimizer
// state with floats), no protocol-4 opcodes, no bytes, no bfloat16/bool/uint8 dtype objects. Files
// we read may fail there, which decides how users can load them.
#pragma once

#include <optional>
#include <string>

#include "checkpoint/detail/unpickler.h"

namespace ckg::checkpoint::detail {

// The first thing torch 1.13's weights_only loader would refuse, or nullopt if it would load.
std::optional<std::string> weights_only_1_13_refusal(const Unpickled& pickled);

}  // namespace ckg::checkpoint::detail
