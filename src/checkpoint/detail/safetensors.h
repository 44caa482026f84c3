// safetensors (README "Format"): u64 little-endian header length, a JSON header of
// {name: {dtype, shape, data_offsets}} plus optional "__metadata__" (str -> str), then the data.
// Checked as the reference implementation does: offsets sorted, contiguous from 0, no holes,
// ending exactly at the end of the file, and each tensor's span equal to shape x dtype size.
#pragma once

#include <string_view>

#include "checkpoint/checkpoint_info.h"
#include "checkpoint/read_error.h"

namespace ckg::checkpoint::detail {

// Does the file look like safetensors (a length, then '{')? Validation is read_safetensors' job.
bool looks_like_safetensors(std::string_view file);
// Stricter: also the length fits the file. A header length whose low byte is 0x7B starts the file
// with '{' like JSON; a JSON index never carries a length of itself in its first 8 bytes.
bool has_safetensors_header(std::string_view file);

Result<CheckpointInfo> read_safetensors(std::string_view file, const ReadLimits& limits);

}  // namespace ckg::checkpoint::detail
