// Untrusted JSON (safetensors headers, sharded-checkpoint indexes) through nlohmann::json, with
// the checks the parser does not make: valid UTF-8, a nesting cap checked before parsing, and
// duplicate keys refused (readers disagree on which copy wins). Linear in the text, and it never
// throws: every parse error (a number like 1e400 too) is a ReadError.
#pragma once

#include <nlohmann/json.hpp>
#include <string_view>

#include "checkpoint/checkpoint_info.h"
#include "checkpoint/read_error.h"

namespace ckg::checkpoint::detail {

// Objects keep their key order. Errors carry `offset` (where the JSON starts in the file) plus
// the parser's position.
Result<nlohmann::ordered_json> parse_untrusted_json(std::string_view text, std::uint64_t offset,
                                                    const ReadLimits& limits);

}  // namespace ckg::checkpoint::detail
