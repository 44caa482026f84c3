// The limits every harness reads with: the defaults scaled down, so that an input taking seconds
// is one the reader should have refused, and so that no legitimate allocation trips libFuzzer's
// -malloc_limit_mb=256 (a graph of up to max_object_bytes may double a vector once more).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "checkpoint/checkpoint_info.h"

namespace ckg::fuzz {

inline checkpoint::ReadLimits limits() {
  checkpoint::ReadLimits limits;
  limits.max_pickle_ops = 1'000'000;
  limits.max_memo_entries = 100'000;
  limits.max_record_bytes = 16ull << 20;
  limits.max_json_header_bytes = 16ull << 20;
  limits.max_visited_nodes = 200'000;
  limits.max_object_bytes = 64ull << 20;
  limits.max_output_bytes = 16ull << 20;
  return limits;
}

inline std::string_view bytes_of(const std::uint8_t* data, std::size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

}  // namespace ckg::fuzz
