// Content ids of source files: git's blob ids (SHA-1 of "blob <size>\0<bytes>"), so that a file's
// id is the same whether git listed it or ckptguard read it.
#pragma once

#include <string>
#include <string_view>

namespace ckg::changes {

// 40 lower-case hex digits.
std::string blob_id(std::string_view bytes);

// SHA-1 of arbitrary bytes, hex: cache keys built from ids.
std::string sha1_hex(std::string_view bytes);

}  // namespace ckg::changes
