// libFuzzer: a safetensors file, or (when the input is JSON rather than a safetensors header) a
// sharded checkpoint's index, whose shards are all one fixed valid safetensors file holding the
// tensors "w" and "b".
#include <string>

#include "checkpoint/detail/safetensors.h"
#include "checkpoint/detail/sharded.h"
#include "fuzz_limits.h"

namespace {

std::string shard_file() {
  const std::string header =
      R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"I64","shape":[],"data_offsets":[8,16]}})";
  std::string out;
  for (int i = 0; i < 8; ++i) out += static_cast<char>((header.size() >> (8 * i)) & 0xFF);
  return out + header + std::string(16, '\x01');
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace ckg::checkpoint::detail;
  const std::string_view file = ckg::fuzz::bytes_of(data, size);
  const auto limits = ckg::fuzz::limits();
  if (looks_like_json(file) && !has_safetensors_header(file)) {
    static const std::string shard = shard_file();
    (void)read_sharded("/fuzz/model.safetensors.index.json", file, limits,
                       [&](const std::string&) { return read_safetensors(shard, limits); });
  } else {
    (void)read_safetensors(file, limits);
  }
  return 0;
}
