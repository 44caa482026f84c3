// Our own strict reading of a zip's structure (security-notes §3, items 1-10). ZipRecords reads
// record contents later; this pass decides whether the archive is sound and where each record's
// bytes are: torch.save stores tensor records uncompressed, so a record's (offset, length) in the
// file is exactly the tensor data.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "checkpoint/checkpoint_info.h"
#include "checkpoint/read_error.h"

namespace ckg::checkpoint::detail {

struct ZipEntry {
  std::string name;
  std::uint64_t index = 0;   // position in the central directory
  std::uint16_t method = 0;  // 0 stored, 8 deflated
  std::uint16_t flags = 0;   // general purpose bits of the central entry
  std::uint32_t crc32 = 0;
  std::uint64_t compressed_size = 0;
  std::uint64_t uncompressed_size = 0;
  std::uint64_t header_offset = 0;  // local file header
  std::uint64_t data_offset = 0;    // first byte of the (compressed) data
  std::uint64_t end_offset = 0;     // past the data and any data descriptor
};

struct ZipDirectory {
  std::vector<ZipEntry> entries;  // central directory order
  std::unordered_map<std::string, std::size_t> by_name;
  std::uint64_t archive_end = 0;      // past the end record and its comment
  std::vector<std::string> warnings;  // bytes no record accounts for

  const ZipEntry* find(const std::string& name) const {
    auto it = by_name.find(name);
    return it == by_name.end() ? nullptr : &entries[it->second];
  }
};

// Errors carry the file offset of the structure at fault; the caller fills in the path.
Result<ZipDirectory> read_zip_directory(std::string_view file, const ReadLimits& limits);

}  // namespace ckg::checkpoint::detail
