#include "checkpoint/detail/zip_directory.h"

#include <fmt/format.h>

#include <algorithm>
#include <optional>

#include "checkpoint/detail/bytes.h"
#include "checkpoint/detail/text.h"

namespace ckg::checkpoint::detail {

namespace {

constexpr std::string_view kLocalSig = "PK\x03\x04";
constexpr std::string_view kCentralSig = "PK\x01\x02";
constexpr std::string_view kEndSig = "PK\x05\x06";
constexpr std::string_view kEnd64Sig = "PK\x06\x06";
constexpr std::string_view kLocator64Sig = "PK\x06\x07";
constexpr std::string_view kDescriptorSig = "PK\x07\x08";
constexpr std::uint64_t kEndSize = 22;
constexpr std::uint64_t kLocator64Size = 20;
constexpr std::uint64_t kEnd64Size = 56;
constexpr std::uint64_t kCentralSize = 46;
constexpr std::uint64_t kLocalSize = 30;
constexpr std::uint16_t kZip64ExtraId = 0x0001;
constexpr std::uint32_t kSaturated32 = 0xFFFFFFFF;
constexpr std::uint16_t kSaturated16 = 0xFFFF;
constexpr std::uint16_t kFlagEncrypted = 0x0001;
constexpr std::uint16_t kFlagDescriptor = 0x0008;
constexpr std::uint16_t kFlagStrongEncryption = 0x0040;
constexpr std::uint16_t kFlagMaskedDirectory = 0x2000;

std::string shown(const std::string& name) {
  return escape_for_display(name, 200);
}

// Names are labels, never paths, but a name that would escape a directory or hide in odd bytes is
// how archive confusion starts, so such names are refused outright.
std::optional<std::string> bad_name(std::string_view name, std::uint32_t max_bytes) {
  if (name.empty()) return "empty record name";
  if (name.size() > max_bytes) {
    return fmt::format("record name longer than {} bytes (limit max_zip_name_bytes)", max_bytes);
  }
  if (!valid_utf8(name)) return "record name is not valid UTF-8";
  for (char c : name) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7F) return "record name contains control characters";
    if (c == '\\') return "record name contains a backslash";
  }
  if (name.front() == '/') return "absolute record name";
  std::size_t start = 0;
  while (start <= name.size()) {
    std::size_t end = name.find('/', start);
    if (end == std::string_view::npos) end = name.size();
    std::string_view part = name.substr(start, end - start);
    if (part == "..") return "record name contains '..'";
    if (part.empty() && end != name.size()) return "record name contains an empty component";
    start = end + 1;
  }
  return std::nullopt;
}

// Values a zip64 extra field overrides, in the order the spec lists them.
struct Zip64Fields {
  std::uint64_t uncompressed;
  std::uint64_t compressed;
  std::uint64_t offset;
};

// Fills the saturated fields of `fields` from a zip64 extra block; false if the block is short.
// `has_zip64` tells whether a zip64 block was present at all.
bool apply_zip64(std::string_view extra, Zip64Fields& fields, bool want_offset, bool& has_zip64) {
  ByteCursor cursor(extra);
  has_zip64 = false;
  while (cursor.remaining() >= 4) {
    const auto id = *cursor.u16();
    const auto size = *cursor.u16();
    auto block = cursor.take(size);
    if (!block) return false;
    if (id != kZip64ExtraId) continue;
    has_zip64 = true;
    ByteCursor values(*block);
    for (auto* field : {&fields.uncompressed, &fields.compressed, &fields.offset}) {
      if (field == &fields.offset && !want_offset) break;
      if (*field != kSaturated32) continue;
      auto value = values.u64();
      if (!value) return false;
      *field = *value;
    }
  }
  return true;
}

struct EndRecord {
  std::uint64_t archive_end;
  std::uint64_t entries;
  std::uint64_t directory_size;
  std::uint64_t directory_offset;
  std::uint64_t directory_limit;  // where the central directory must end
};

Result<EndRecord> read_end(std::string_view file, const ReadLimits& limits,
                           std::vector<std::string>& warnings) {
  if (file.size() < kEndSize)
    return error_at(0, "end of central directory not found (file too short)");
  // The record sits in the last 22 + 65535 (comment) bytes; the last signature wins, as in miniz.
  const std::uint64_t lowest =
      file.size() > kEndSize + 0xFFFF ? file.size() - kEndSize - 0xFFFF : 0;
  std::optional<std::uint64_t> found;
  for (std::uint64_t pos = file.size() - kEndSize + 1; pos-- > lowest;) {
    if (file.compare(pos, 4, kEndSig) == 0) {
      found = pos;
      break;
    }
  }
  if (!found) return error_at(file.size(), "end of central directory not found");
  const std::uint64_t end = *found;
  ByteCursor c(file, end + 4);
  const auto disk = *c.u16(), directory_disk = *c.u16(), disk_entries = *c.u16(),
             entries16 = *c.u16();
  const auto size32 = *c.u32(), offset32 = *c.u32();
  const auto comment = *c.u16();
  if (!range_fits(end + kEndSize, comment, file.size())) {
    return error_at(end, "end of central directory comment runs past the end of the file");
  }
  const std::uint64_t after = end + kEndSize + comment;
  if (after < file.size()) {
    warnings.push_back(fmt::format("{} bytes of hidden data after the end of the zip at offset {}",
                                   file.size() - after, after));
  }
  EndRecord record{after, entries16, size32, offset32, end};
  const bool has_locator =
      end >= kLocator64Size && file.compare(end - kLocator64Size, 4, kLocator64Sig) == 0;
  if (!has_locator) {
    if (disk != 0 || directory_disk != 0 || disk_entries != entries16) {
      return error_at(end, "unsupported zip feature: multi-disk archive");
    }
  } else {
    ByteCursor locator(file, end - kLocator64Size + 4);
    const auto locator_disk = *locator.u32();
    const auto end64 = *locator.u64();
    const auto disks = *locator.u32();
    if (locator_disk != 0 || disks > 1)
      return error_at(end - kLocator64Size, "unsupported zip feature: multi-disk archive");
    if (!range_fits(end64, kEnd64Size, end - kLocator64Size)) {
      return error_at(end - kLocator64Size,
                      fmt::format("zip64 end record offset {} is outside the file", end64));
    }
    if (file.compare(end64, 4, kEnd64Sig) != 0)
      return error_at(end64, "zip64 end record signature not found");
    ByteCursor c64(file, end64 + 4);
    const auto record_size = *c64.u64();
    c64.skip(4);  // versions
    const auto disk64 = *c64.u32(), directory_disk64 = *c64.u32();
    const auto disk_entries64 = *c64.u64(), entries64 = *c64.u64();
    const auto size64 = *c64.u64(), offset64 = *c64.u64();
    if (record_size < kEnd64Size - 12 ||
        !range_fits(end64 + 12, record_size, end - kLocator64Size)) {
      return error_at(end64, "zip64 end record size is out of range");
    }
    if (disk64 != 0 || directory_disk64 != 0 || disk_entries64 != entries64) {
      return error_at(end64, "unsupported zip feature: multi-disk archive");
    }
    // A 32-bit field is either saturated (the zip64 value applies) or equal to the zip64 value.
    if (entries16 != kSaturated16 && entries16 != entries64) {
      return error_at(end, "end records disagree on the entry count");
    }
    if (size32 != kSaturated32 && size32 != size64) {
      return error_at(end, "end records disagree on the central directory size");
    }
    if (offset32 != kSaturated32 && offset32 != offset64) {
      return error_at(end, "end records disagree on the central directory offset");
    }
    record = EndRecord{after, entries64, size64, offset64, end64};
  }
  if (record.entries > limits.max_zip_entries) {
    return error_at(end, fmt::format("entry count {} exceeds {} (limit max_zip_entries)", record.entries,
                                     limits.max_zip_entries));
  }
  if (!range_fits(record.directory_offset, record.directory_size, record.directory_limit)) {
    return error_at(
        end, fmt::format("central directory offset {} and size {} run past the end records "
                         "at {}",
                         record.directory_offset, record.directory_size, record.directory_limit));
  }
  // Checked before anything is allocated per entry: each needs at least 46 bytes.
  if (record.entries > record.directory_size / kCentralSize) {
    return error_at(end, fmt::format("entry count {} exceeds directory size ({} bytes)",
                                     record.entries, record.directory_size));
  }
  const std::uint64_t directory_end = record.directory_offset + record.directory_size;
  if (directory_end < record.directory_limit) {
    warnings.push_back(
        fmt::format("{} bytes of hidden data between the central directory and the "
                    "end record at offset {}",
                    record.directory_limit - directory_end, directory_end));
  }
  return record;
}

Status read_central(std::string_view file, const EndRecord& end, const ReadLimits& limits,
                    ZipDirectory& out) {
  const std::string_view directory = file.substr(end.directory_offset, end.directory_size);
  ByteCursor c(directory);
  out.entries.reserve(end.entries);
  for (std::uint64_t i = 0; i < end.entries; ++i) {
    const std::uint64_t at = end.directory_offset + c.pos();
    auto fixed = c.take(kCentralSize);
    if (!fixed || fixed->substr(0, 4) != kCentralSig) {
      return error_at(at, fmt::format("central directory entry {} is missing or corrupt", i));
    }
    ByteCursor f(*fixed, 8);
    const auto flags = *f.u16(), method = *f.u16();
    f.skip(4);  // time, date
    ZipEntry entry;
    entry.index = i;
    entry.crc32 = *f.u32();
    Zip64Fields sizes{0, 0, 0};
    sizes.compressed = *f.u32();
    sizes.uncompressed = *f.u32();
    const auto name_length = *f.u16(), extra_length = *f.u16(), comment_length = *f.u16();
    const auto start_disk = *f.u16();
    f.skip(6);  // attributes
    sizes.offset = *f.u32();
    auto name = c.take(name_length);
    auto extra = c.take(extra_length);
    if (!name || !extra || !c.skip(comment_length)) {
      return error_at(at, fmt::format("central directory entry {} runs past the directory", i));
    }
    entry.name = std::string(*name);
    if (auto problem = bad_name(entry.name, limits.max_zip_name_bytes)) {
      return error_at(at, fmt::format("{}: {}", *problem, shown(entry.name)));
    }
    if (flags & (kFlagEncrypted | kFlagStrongEncryption | kFlagMaskedDirectory)) {
      return error_at(
          at, fmt::format("unsupported zip feature: encryption in record {}", shown(entry.name)));
    }
    if (method != 0 && method != 8) {
      return error_at(at, fmt::format("unsupported zip feature: compression method {} in record {}",
                                      method, shown(entry.name)));
    }
    bool has_zip64 = false;
    if (!apply_zip64(*extra, sizes, true, has_zip64)) {
      return error_at(at,
                      fmt::format("malformed zip64 extra field in record {}", shown(entry.name)));
    }
    if (start_disk != 0 && !(start_disk == kSaturated16 && has_zip64)) {
      return error_at(at, "unsupported zip feature: multi-disk archive");
    }
    entry.method = method;
    entry.compressed_size = sizes.compressed;
    entry.uncompressed_size = sizes.uncompressed;
    entry.header_offset = sizes.offset;
    if (!out.by_name.emplace(entry.name, out.entries.size()).second) {
      return error_at(at, fmt::format("duplicate record {}", shown(entry.name)));
    }
    entry.flags = flags;
    out.entries.push_back(std::move(entry));
  }
  if (!c.at_end()) {
    out.warnings.push_back(fmt::format("{} unused bytes in the central directory", c.remaining()));
  }
  return Ok{};
}

// Compares the local header (and data descriptor) with the central entry and locates the data.
Status read_local(std::string_view file, std::uint64_t directory_offset, ZipEntry& entry) {
  const std::string name = shown(entry.name);
  if (!range_fits(entry.header_offset, kLocalSize, directory_offset)) {
    return error_at(entry.header_offset,
                    fmt::format("local header of record {} is outside the archive data", name));
  }
  ByteCursor c(file, entry.header_offset);
  if (*c.take(4) != kLocalSig) {
    return error_at(entry.header_offset, fmt::format("local header of record {} not found", name));
  }
  c.skip(2);  // version
  const auto flags = *c.u16(), method = *c.u16();
  c.skip(4);  // time, date
  const auto crc = *c.u32();
  Zip64Fields sizes{0, 0, 0};
  sizes.compressed = *c.u32();
  sizes.uncompressed = *c.u32();
  const auto name_length = *c.u16(), extra_length = *c.u16();
  const std::uint64_t names_at = entry.header_offset + kLocalSize;
  if (!range_fits(names_at, std::uint64_t{name_length} + extra_length, directory_offset)) {
    return error_at(entry.header_offset,
                    fmt::format("local header of record {} runs into the central directory", name));
  }
  const auto mismatch = [&](std::string_view what) {
    return error_at(entry.header_offset,
                    fmt::format("header mismatch in record {}: {}", name, what));
  };
  if (file.substr(names_at, name_length) != entry.name) return mismatch("name");
  if (method != entry.method) return mismatch("compression method");
  if ((flags & (kFlagEncrypted | kFlagDescriptor)) !=
      (entry.flags & (kFlagEncrypted | kFlagDescriptor))) {
    return mismatch("flags");
  }
  bool has_zip64 = false;
  if (!apply_zip64(file.substr(names_at + name_length, extra_length), sizes, false, has_zip64)) {
    return error_at(entry.header_offset,
                    fmt::format("malformed zip64 extra field in record {}", name));
  }
  // With a data descriptor the local header may leave CRC and sizes zero.
  const bool deferred =
      (flags & kFlagDescriptor) && crc == 0 && sizes.compressed == 0 && sizes.uncompressed == 0;
  if (!deferred && (crc != entry.crc32 || sizes.compressed != entry.compressed_size ||
                    sizes.uncompressed != entry.uncompressed_size)) {
    return mismatch("CRC or sizes");
  }
  entry.data_offset = names_at + name_length + extra_length;
  if (!range_fits(entry.data_offset, entry.compressed_size, directory_offset)) {
    return error_at(entry.header_offset,
                    fmt::format("record {} declares {} bytes, past the end of the archive data",
                                name, entry.compressed_size));
  }
  if (entry.method == 0 && entry.compressed_size != entry.uncompressed_size) {
    return error_at(entry.header_offset,
                    fmt::format("stored record {} declares {} bytes but holds {}", name,
                                entry.uncompressed_size, entry.compressed_size));
  }
  entry.end_offset = entry.data_offset + entry.compressed_size;
  if (flags & kFlagDescriptor) {
    ByteCursor d(file.substr(0, directory_offset), entry.end_offset);
    if (d.rest().substr(0, 4) == kDescriptorSig) d.skip(4);
    const auto descriptor_crc = d.u32();
    std::optional<std::uint64_t> compressed, uncompressed;
    if (has_zip64) {
      compressed = d.u64(), uncompressed = d.u64();
    } else {
      compressed = d.u32(), uncompressed = d.u32();
    }
    if (!descriptor_crc || !compressed || !uncompressed) {
      return error_at(entry.end_offset,
                      fmt::format("data descriptor of record {} is truncated", name));
    }
    if (*descriptor_crc != entry.crc32 || *compressed != entry.compressed_size ||
        *uncompressed != entry.uncompressed_size) {
      return mismatch("data descriptor");
    }
    entry.end_offset = d.pos();
  }
  return Ok{};
}

}  // namespace

Result<ZipDirectory> read_zip_directory(std::string_view file, const ReadLimits& limits) {
  ZipDirectory out;
  auto end = read_end(file, limits, out.warnings);
  if (!end) return std::move(end).error();
  out.archive_end = end->archive_end;
  auto central = read_central(file, *end, limits, out);
  if (!central) return std::move(central).error();
  for (ZipEntry& entry : out.entries) {
    auto local = read_local(file, end->directory_offset, entry);
    if (!local) return std::move(local).error();
  }

  // Records must tile the data area: overlaps are zip bombs or confusion, gaps hide data.
  std::vector<const ZipEntry*> order;
  order.reserve(out.entries.size());
  for (const ZipEntry& entry : out.entries) order.push_back(&entry);
  std::sort(order.begin(), order.end(), [](const ZipEntry* a, const ZipEntry* b) {
    return a->header_offset < b->header_offset;
  });
  std::uint64_t covered = 0;
  const ZipEntry* previous = nullptr;
  for (const ZipEntry* entry : order) {
    if (previous && entry->header_offset < previous->end_offset) {
      return error_at(entry->header_offset, fmt::format("records {} and {} overlap",
                                                        shown(previous->name), shown(entry->name)));
    }
    if (entry->header_offset > covered) {
      out.warnings.push_back(fmt::format("{} bytes of hidden data at offset {}, outside any record",
                                         entry->header_offset - covered, covered));
    }
    covered = entry->end_offset;
    previous = entry;
  }
  if (end->directory_offset > covered) {
    out.warnings.push_back(fmt::format("{} bytes of hidden data at offset {}, outside any record",
                                       end->directory_offset - covered, covered));
  }
  return out;
}

}  // namespace ckg::checkpoint::detail
