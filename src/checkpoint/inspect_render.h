// `ckptguard inspect` output: the JSON document and the human-readable table.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "checkpoint/checkpoint_info.h"

namespace ckg::checkpoint {

// {"file", "format", "tensors": [{"path", "shape", "dtype", "nbytes", ...}], "storages",
//  "state_dict_path", "optimizer_paths", "metadata", "state_dict_metadata", "details", "warnings"}
nlohmann::ordered_json inspect_to_json(const CheckpointInfo& info, const std::string& file);

// A tensor table per section (state_dict first, then everything else) and a structure summary.
std::string render_inspect_text(const CheckpointInfo& info, const std::string& file);

}  // namespace ckg::checkpoint
