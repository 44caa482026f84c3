#include "checkpoint/detail/zip_records.h"

#include <fmt/format.h>
#include <zip.h>

#include <algorithm>
#include <vector>

#include "checkpoint/detail/bytes.h"
#include "checkpoint/detail/text.h"

namespace ckg::checkpoint::detail {

void ZipRecords::Discard::operator()(zip_t* archive) const {
  zip_discard(archive);
}

Result<ZipRecords> ZipRecords::open(std::string_view file) {
  zip_error_t error;
  zip_error_init(&error);
  zip_source_t* source = zip_source_buffer_create(file.data(), file.size(), 0, &error);
  if (source == nullptr) {
    std::string reason = fmt::format("zip: {}", zip_error_strerror(&error));
    zip_error_fini(&error);
    return ReadError{{}, std::nullopt, std::move(reason), {}};
  }
  // ZIP_CHECKCONS: libzip's own local/central consistency checks, a second opinion on ours.
  zip_t* archive = zip_open_from_source(source, ZIP_RDONLY | ZIP_CHECKCONS, &error);
  if (archive == nullptr) {
    zip_source_free(source);
    std::string reason = fmt::format("zip: {}", zip_error_strerror(&error));
    zip_error_fini(&error);
    return ReadError{{}, std::nullopt, std::move(reason), {}};
  }
  zip_error_fini(&error);
  return ZipRecords(archive);
}

namespace {

// Deflate expands at most 1032:1 (a 258-byte match per 2 bits); a little slack covers headers.
constexpr std::uint64_t kMaxDeflateRatio = 1032;
constexpr std::uint64_t kDeflateSlack = 1024;
constexpr std::size_t kChunkBytes = 64 * 1024;

}  // namespace

Status ZipRecords::stream(const ZipEntry& entry,
                          const std::function<void(std::string_view)>& sink) const {
  const std::string name = escape_for_display(entry.name, 200);
  const auto fail = [&](std::string reason) {
    return ReadError{{}, entry.header_offset, std::move(reason), {}};
  };
  const auto reachable = checked_add(
      checked_mul(entry.compressed_size, kMaxDeflateRatio).value_or(UINT64_MAX), kDeflateSlack);
  if (entry.method == 8 && entry.uncompressed_size > reachable.value_or(UINT64_MAX)) {
    return fail(fmt::format("record {} declares {} bytes, more than its {} compressed bytes can "
                            "inflate to",
                            name, entry.uncompressed_size, entry.compressed_size));
  }
  const char* libzip_name = zip_get_name(archive_.get(), entry.index, ZIP_FL_ENC_RAW);
  if (libzip_name == nullptr || entry.name != libzip_name) {
    return fail(fmt::format("zip: libzip disagrees about record {}", name));
  }
  zip_file_t* handle = zip_fopen_index(archive_.get(), entry.index, 0);
  if (handle == nullptr) {
    return fail(fmt::format("zip: cannot open record {}: {}", name, zip_strerror(archive_.get())));
  }
  // One byte past the declared size shows a record that inflates further (a deflate bomb).
  const std::uint64_t wanted = entry.uncompressed_size + 1;
  std::vector<char> chunk(kChunkBytes);
  std::uint64_t filled = 0;
  while (filled < wanted) {
    const std::uint64_t ask = std::min<std::uint64_t>(chunk.size(), wanted - filled);
    const zip_int64_t got = zip_fread(handle, chunk.data(), ask);
    if (got < 0) {
      // libzip checks the CRC-32 when the record's last byte has been read.
      std::string reason = fmt::format("zip: cannot read record {}: {}", name,
                                       zip_error_strerror(zip_file_get_error(handle)));
      zip_fclose(handle);
      return fail(std::move(reason));
    }
    if (got == 0) break;
    filled += static_cast<std::uint64_t>(got);
    if (filled <= entry.uncompressed_size) sink(std::string_view(chunk.data(), got));
  }
  zip_fclose(handle);
  if (filled > entry.uncompressed_size) {
    return fail(fmt::format("record {} inflates past the {} bytes it declares", name,
                            entry.uncompressed_size));
  }
  if (filled < entry.uncompressed_size) {
    return fail(fmt::format("record {} holds {} bytes, not the {} it declares", name, filled,
                            entry.uncompressed_size));
  }
  return Ok{};
}

Result<std::string> ZipRecords::read(const ZipEntry& entry, std::uint64_t max_bytes) const {
  if (entry.uncompressed_size > max_bytes) {
    return ReadError{{},
                     entry.header_offset,
                     fmt::format("record {} declares {} bytes, over the limit of {}",
                                 escape_for_display(entry.name, 200), entry.uncompressed_size,
                                 max_bytes),
                     {}};
  }
  // The buffer grows with what arrives: a declared size alone allocates nothing.
  std::string bytes;
  auto status = stream(entry, [&](std::string_view chunk) { bytes.append(chunk); });
  if (!status) return std::move(status).error();
  return bytes;
}

Status ZipRecords::check(const ZipEntry& entry) const {
  return stream(entry, [](std::string_view) {});
}

}  // namespace ckg::checkpoint::detail
