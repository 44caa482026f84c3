// torch.save's zip format (default since torch 1.6): <root>/data.pkl, <root>/data/<key> records,
// <root>/version, and in newer writers byteorder, .format_version, .data/serialization_id.
#pragma once

#include <string_view>

#include "checkpoint/checkpoint_info.h"
#include "checkpoint/read_error.h"

namespace ckg::checkpoint::detail {

Result<CheckpointInfo> read_torch_zip(std::string_view file, const ReadLimits& limits);

// Reads every record through (tensor data included) and checks its CRC-32 and declared size.
Status verify_torch_zip(std::string_view file, const ReadLimits& limits);

}  // namespace ckg::checkpoint::detail
