// Single-file checkpoints read from memory: what read_checkpoint does after mapping the file.
// Also the entry point for fuzz targets and in-memory tests. Errors carry no path.
#pragma once

#include <string_view>

#include "checkpoint/checkpoint_info.h"
#include "checkpoint/read_error.h"

namespace ckg::checkpoint::detail {

Result<CheckpointInfo> read_checkpoint_bytes(std::string_view bytes, const ReadLimits& limits);

}  // namespace ckg::checkpoint::detail
