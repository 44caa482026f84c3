// torch.save's legacy stream (_use_new_zipfile_serialization=False): five pickles back to back
// (magic number, protocol version, sys_info, the object, the storage key list), then each
// storage's bytes as an int64 element count followed by the data.
#pragma once

#include <string_view>

#include "checkpoint/checkpoint_info.h"
#include "checkpoint/read_error.h"

namespace ckg::checkpoint::detail {

Result<CheckpointInfo> read_torch_legacy(std::string_view file, const ReadLimits& limits);

}  // namespace ckg::checkpoint::detail
