#include "checkpoint/detail/zip_records.h"

#include <memory>

#include <fmt/format.h>
#include <libdeflate.h>

#include "checkpoint/detail/text.h"

namespace ckg::checkpoint::detail {

namespace {

struct FreeDecompressor {
  void operator()(libdeflate_decompressor* d) const { libdeflate_free_decompressor(d); }
};

}  // namespace

Result<ZipRecords> ZipRecords::open(std::string_view file) { return ZipRecords(file); }

Result<std::string> ZipRecords::read(const ZipEntry& entry, std::uint64_t max_bytes) const {
  const std::string name = escape_for_display(entry.name, 200);
  const auto fail = [&](std::string reason) {
    return ReadError{{}, entry.header_offset, std::move(reason), {}};
  };
  if (entry.uncompressed_size > max_bytes) {
    return fail(fmt::format("record {} declares {} bytes, over the limit of {}", name,
                            entry.uncompressed_size, max_bytes));
  }
  if (entry.data_offset > file_.size() || entry.compressed_size > file_.size() - entry.data_offset) {
    return fail(fmt::format("record {} runs past the end of the archive", name));
  }
  const std::string_view data = file_.substr(entry.data_offset, entry.compressed_size);
  std::string bytes;
  if (entry.method == 0) {
    if (entry.compressed_size != entry.uncompressed_size) {
      return fail(fmt::format("record {} declares {} bytes but holds {}", name,
                              entry.uncompressed_size, entry.compressed_size));
    }
    bytes.assign(data);
  } else if (entry.method == 8) {
    // One spare byte shows a record that inflates past its declared size (a deflate bomb).
    bytes.assign(entry.uncompressed_size + 1, '\0');
    std::unique_ptr<libdeflate_decompressor, FreeDecompressor> inflater(libdeflate_alloc_decompressor());
    if (!inflater) return fail("out of memory for a deflate decompressor");
    std::size_t produced = 0;
    switch (libdeflate_deflate_decompress(inflater.get(), data.data(), data.size(), bytes.data(),
                                          bytes.size(), &produced)) {
      case LIBDEFLATE_SUCCESS:
        break;
      case LIBDEFLATE_INSUFFICIENT_SPACE:
        produced = bytes.size();
        break;
      default:
        return fail(fmt::format("zip: cannot read record {}: invalid or truncated deflate data", name));
    }
    if (produced > entry.uncompressed_size) {
      return fail(fmt::format("record {} inflates past the {} bytes it declares", name,
                              entry.uncompressed_size));
    }
    if (produced < entry.uncompressed_size) {
      return fail(fmt::format("record {} holds {} bytes, not the {} it declares", name, produced,
                              entry.uncompressed_size));
    }
    bytes.resize(produced);
  } else {
    return fail(fmt::format("unsupported zip feature: compression method {} in record {}", entry.method, name));
  }
  const std::uint32_t crc = libdeflate_crc32(0, bytes.data(), bytes.size());
  if (crc != entry.crc32) {
    return fail(fmt::format("record {} fails its CRC check (stored {:08x}, computed {:08x})", name,
                            entry.crc32, crc));
  }
  return bytes;
}

}  // namespace ckg::checkpoint::detail
