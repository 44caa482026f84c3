// Record contents through libzip, which inflates and verifies CRCs. Listing reads only the records
// we interpret (data.pkl, version, byteorder...), never tensor data; verify_records reads them
// all. Only after read_zip_directory has accepted the archive, so libzip sees sound structures.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "checkpoint/detail/zip_directory.h"
#include "checkpoint/read_error.h"

struct zip;

namespace ckg::checkpoint::detail {

class ZipRecords {
 public:
  // `file` must outlive the reader: libzip reads the mapping in place.
  static Result<ZipRecords> open(std::string_view file);

  // The uncompressed bytes of `entry`, refused before allocation when it declares more than
  // `max_bytes`, and refused when it inflates past what it declares or fails its CRC.
  Result<std::string> read(const ZipEntry& entry, std::uint64_t max_bytes) const;
  // Reads `entry` through without keeping it: the same checks as read(), in constant memory.
  Status check(const ZipEntry& entry) const;

 private:
  // The uncompressed bytes of `entry`, chunk by chunk, up to the size it declares.
  Status stream(const ZipEntry& entry, const std::function<void(std::string_view)>& sink) const;

  struct Discard {
    void operator()(struct zip* archive) const;
  };
  explicit ZipRecords(struct zip* archive) : archive_(archive) {}

  std::unique_ptr<struct zip, Discard> archive_;
};

}  // namespace ckg::checkpoint::detail
