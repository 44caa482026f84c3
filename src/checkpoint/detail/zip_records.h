// Record contents: stored bytes as they are, deflated ones inflated by libdeflate, every record's
// CRC-32 checked. Listing reads only the records we interpret (data.pkl, version, byteorder...),
// never tensor data; verify_records reads them all. Only after read_zip_directory has accepted the
// archive and located each record's bytes.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "checkpoint/detail/zip_directory.h"
#include "checkpoint/read_error.h"

namespace ckg::checkpoint::detail {

class ZipRecords {
 public:
  // `file` must outlive the reader: records are read from it in place.
  static Result<ZipRecords> open(std::string_view file);

  // The uncompressed bytes of `entry`, refused before allocation when it declares more than
  // `max_bytes`, and refused when it inflates past what it declares or fails its CRC.
  Result<std::string> read(const ZipEntry& entry, std::uint64_t max_bytes) const;
  // Reads `entry` through without keeping it: the same checks as read(). Stored records (all of a
  // torch.save's tensor data) take constant memory; a deflated one at most what its compressed
  // bytes can inflate to.
  Status check(const ZipEntry& entry) const;

 private:
  // The uncompressed bytes of `entry`, chunk by chunk, then its CRC verdict.
  Status stream(const ZipEntry& entry, const std::function<void(std::string_view)>& sink) const;

  explicit ZipRecords(std::string_view file) : file_(file) {}

  std::string_view file_;
};

}  // namespace ckg::checkpoint::detail
