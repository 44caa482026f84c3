#include "checkpoint/detail/zip_records.h"

#include <fmt/format.h>
#include <zip.h>

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

Result<std::string> ZipRecords::read(const ZipEntry& entry, std::uint64_t max_bytes) const {
  const std::string name = escape_for_display(entry.name, 200);
  const auto fail = [&](std::string reason) {
    return ReadError{{}, entry.header_offset, std::move(reason), {}};
  };
  if (entry.uncompressed_size > max_bytes) {
    return fail(fmt::format("record {} declares {} bytes, over the limit of {}", name,
                            entry.uncompressed_size, max_bytes));
  }
  const char* libzip_name = zip_get_name(archive_.get(), entry.index, ZIP_FL_ENC_RAW);
  if (libzip_name == nullptr || entry.name != libzip_name) {
    return fail(fmt::format("zip: libzip disagrees about record {}", name));
  }
  zip_file_t* handle = zip_fopen_index(archive_.get(), entry.index, 0);
  if (handle == nullptr) {
    return fail(fmt::format("zip: cannot open record {}: {}", name, zip_strerror(archive_.get())));
  }
  // One spare byte shows a record that inflates past its declared size (a deflate bomb).
  std::string bytes(entry.uncompressed_size + 1, '\0');
  std::uint64_t filled = 0;
  while (filled < bytes.size()) {
    const zip_int64_t got = zip_fread(handle, bytes.data() + filled, bytes.size() - filled);
    if (got < 0) {
      std::string reason = fmt::format("zip: cannot read record {}: {}", name,
                                       zip_error_strerror(zip_file_get_error(handle)));
      zip_fclose(handle);
      return fail(std::move(reason));
    }
    if (got == 0) break;
    filled += static_cast<std::uint64_t>(got);
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
  bytes.resize(filled);
  return bytes;
}

}  // namespace ckg::checkpoint::detail
