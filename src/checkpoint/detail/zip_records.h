// Record contents through libzip, which inflates and verifies CRCs. Used only for the records we
// interpret (data.pkl, version, byteorder...), never for tensor data, and only after
// read_zip_directory has accepted the archive, so libzip sees sound structures only.
#pragma once

#include <cstdint>
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

 private:
  struct Discard {
    void operator()(struct zip* archive) const;
  };
  explicit ZipRecords(struct zip* archive) : archive_(archive) {}

  std::unique_ptr<struct zip, Discard> archive_;
};

}  // namespace ckg::checkpoint::detail
