#include "checkpoint/detail/zip_records.h"

#include <fmt/format.h>
#include <libdeflate.h>

#include <algorithm>
#include <memory>

#include "checkpoint/detail/bytes.h"
#include "checkpoint/detail/text.h"

namespace ckg::checkpoint::detail {

namespace {

// Deflate expands at most 1032:1 (a 258-byte match per 2 bits); a little slack covers headers.
constexpr std::uint64_t kMaxDeflateRatio = 1032;
constexpr std::uint64_t kDeflateSlack = 1024;
constexpr std::size_t kChunkBytes = 64 * 1024;

struct FreeDecompressor {
  void operator()(libdeflate_decompressor* d) const { libdeflate_free_decompressor(d); }
};

}  // namespace

Result<ZipRecords> ZipRecords::open(std::string_view file) { return ZipRecords(file); }

Status ZipRecords::stream(const ZipEntry& entry, const std::function<void(std::string_view)>& sink) const {
  const std::string name = escape_for_display(entry.name, 200);
  const auto fail = [&](std::string reason) {
    return ReadError{{}, entry.header_offset, std::move(reason), {}};
  };
  if (entry.data_offset > file_.size() || entry.compressed_size > file_.size() - entry.data_offset) {
    return fail(fmt::format("record {} runs past the end of the archive", name));
  }
  const std::string_view data = file_.substr(entry.data_offset, entry.compressed_size);
  std::string inflated;
  std::string_view bytes;
  if (entry.method == 0) {
    if (entry.compressed_size != entry.uncompressed_size) {
      return fail(fmt::format("record {} declares {} bytes but holds {}", name, entry.uncompressed_size,
                              entry.compressed_size));
    }
    bytes = data;
  } else if (entry.method == 8) {
    // The declared size sizes the buffer, so it is believed only up to what the compressed bytes
    // can inflate to: a few hundred bytes never allocate megabytes.
    const auto reachable =
        checked_add(checked_mul(entry.compressed_size, kMaxDeflateRatio).value_or(UINT64_MAX), kDeflateSlack);
    if (entry.uncompressed_size > reachable.value_or(UINT64_MAX)) {
      return fail(fmt::format("record {} declares {} bytes, more than its {} compressed bytes can inflate to", name,
                              entry.uncompressed_size, entry.compressed_size));
    }
    // One spare byte shows a record that inflates past its declared size (a deflate bomb).
    inflated.assign(entry.uncompressed_size + 1, '\0');
    std::unique_ptr<libdeflate_decompressor, FreeDecompressor> inflater(libdeflate_alloc_decompressor());
    if (!inflater) return fail("out of memory for a deflate decompressor");
    std::size_t produced = 0;
    switch (libdeflate_deflate_decompress(inflater.get(), data.data(), data.size(), inflated.data(), inflated.size(),
                                          &produced)) {
      case LIBDEFLATE_SUCCESS:
        break;
      case LIBDEFLATE_INSUFFICIENT_SPACE:
        produced = inflated.size();
        break;
      default:
        return fail(fmt::format("zip: cannot read record {}: invalid or truncated deflate data", name));
    }
    if (produced > entry.uncompressed_size) {
      return fail(fmt::format("record {} inflates past the {} bytes it declares", name, entry.uncompressed_size));
    }
    if (produced < entry.uncompressed_size) {
      return fail(fmt::format("record {} holds {} bytes, not the {} it declares", name, produced,
                              entry.uncompressed_size));
    }
    bytes = std::string_view(inflated.data(), produced);
  } else {
    return fail(fmt::format("unsupported zip feature: compression method {} in record {}", entry.method, name));
  }
  std::uint32_t crc = 0;
  for (std::size_t at = 0; at < bytes.size(); at += kChunkBytes) {
    const std::string_view chunk = bytes.substr(at, kChunkBytes);
    crc = libdeflate_crc32(crc, chunk.data(), chunk.size());
    sink(chunk);
  }
  if (crc != entry.crc32) {
    return fail(fmt::format("record {} fails its CRC check (stored {:08x}, computed {:08x})", name, entry.crc32, crc));
  }
  return Ok{};
}

Result<std::string> ZipRecords::read(const ZipEntry& entry, std::uint64_t max_bytes) const {
  if (entry.uncompressed_size > max_bytes) {
    return ReadError{{},
                     entry.header_offset,
                     fmt::format("record {} declares {} bytes, over the limit of {}", escape_for_display(entry.name, 200),
                                 entry.uncompressed_size, max_bytes),
                     {}};
  }
  std::string bytes;
  auto status = stream(entry, [&](std::string_view chunk) { bytes.append(chunk); });
  if (!status) return std::move(status).error();
  return bytes;
}

Status ZipRecords::check(const ZipEntry& entry) const {
  return stream(entry, [](std::string_view) {});
}

}  // namespace ckg::checkpoint::detail
