// The dtypes the reader knows, under every spelling the formats use for them.
#pragma once

#include <cstdint>
#include <string_view>

namespace ckg::checkpoint::detail {

struct Dtype {
  std::string_view name;           // torch spelling: "float32"
  std::uint32_t itemsize;          // bytes per element as stored
  std::string_view storage_class;  // legacy typed storage: "FloatStorage"; empty if none
  std::string_view safetensors;    // safetensors code: "F32"; empty if none
};

// nullptr when unknown.
const Dtype* dtype_by_name(std::string_view torch_name);  // also aliases: "float", "half", "long"
const Dtype* dtype_by_storage_class(std::string_view storage_class);
const Dtype* dtype_by_safetensors(std::string_view code);

}  // namespace ckg::checkpoint::detail
