// From an unpickled torch.save object to the public description. Shared by the zip and the
// legacy format, which differ only in where storages' bytes live.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "checkpoint/checkpoint_info.h"
#include "checkpoint/detail/unpickler.h"
#include "checkpoint/read_error.h"

namespace ckg::checkpoint::detail {

// `data_offsets[i]` is where storage i of the arena starts in the file (unset: not locatable).
Result<CheckpointInfo> describe_pickled(
    const Unpickled& pickled, std::string format, std::string_view record,
    const std::vector<std::optional<std::uint64_t>>& data_offsets, const ReadLimits& limits);

}  // namespace ckg::checkpoint::detail
