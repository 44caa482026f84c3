// Sharded checkpoints through their index JSON (model.safetensors.index.json,
// pytorch_model.bin.index.json): {"metadata": {...}, "weight_map": {tensor: shard file}}.
// Every shard is read on its own; the index and the shards must agree tensor by tensor.
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "checkpoint/checkpoint_info.h"
#include "checkpoint/read_error.h"

namespace ckg::checkpoint::detail {

bool looks_like_json(std::string_view file);

// Reads one shard file (a single-file checkpoint of any format); errors carry its path.
using ShardReader = std::function<Result<CheckpointInfo>(const std::string& path)>;

Result<CheckpointInfo> read_sharded(const std::string& index_path, std::string_view index,
                                    const ReadLimits& limits, const ShardReader& read_shard);

}  // namespace ckg::checkpoint::detail
