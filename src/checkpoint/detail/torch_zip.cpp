#include "checkpoint/detail/torch_zip.h"

#include <fmt/format.h>

#include <algorithm>

#include "checkpoint/detail/text.h"
#include "checkpoint/detail/torch_pickle.h"
#include "checkpoint/detail/unpickler.h"
#include "checkpoint/detail/zip_directory.h"
#include "checkpoint/detail/zip_records.h"

namespace ckg::checkpoint::detail {

namespace {

constexpr std::uint64_t kSmallRecordBytes = 4096;  // version, byteorder, ids: a few bytes each

std::string trim_newline(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  return text;
}

// The archive's root directory, as torch's reader derives it: the first record's first component.
Result<std::string> archive_root(const ZipDirectory& directory) {
  if (directory.entries.empty()) return error_at(std::nullopt, "zip archive has no records");
  const ZipEntry& first = directory.entries.front();
  const auto slash = first.name.find('/');
  if (slash == std::string::npos || slash == 0) {
    return error_at(first.header_offset, fmt::format("record {} is not inside an archive directory",
                                                     escape_for_display(first.name, 200)));
  }
  std::string root = first.name.substr(0, slash + 1);
  for (const ZipEntry& entry : directory.entries) {
    if (entry.name.compare(0, root.size(), root) != 0) {
      return error_at(entry.header_offset, fmt::format("record {} is outside the archive root {}",
                                                       escape_for_display(entry.name, 200), root));
    }
  }
  return root;
}

}  // namespace

Result<CheckpointInfo> read_torch_zip(std::string_view file, const ReadLimits& limits) {
  auto directory = read_zip_directory(file, limits);
  if (!directory) return std::move(directory).error();
  auto root = archive_root(*directory);
  if (!root) return std::move(root).error();
  const auto record = [&](const std::string& name) { return directory->find(*root + name); };

  // TorchScript archives (torch.jit.save) carry code/ and constants.pkl, and their data.pkl names
  // __torch__ classes. Code is never read; the module tree is listed by attribute path.
  const bool torchscript =
      std::any_of(directory->entries.begin(), directory->entries.end(), [&](const ZipEntry& entry) {
        const std::string name = entry.name.substr(root->size());
        return name.rfind("code/", 0) == 0 || name == "constants.pkl";
      });

  // Records are read from the archive only: trailing bytes were reported.
  auto records = ZipRecords::open(file.substr(0, directory->archive_end));
  if (!records) return std::move(records).error();
  nlohmann::json details = nlohmann::json::object();
  details["archive_root"] = root->substr(0, root->size() - 1);

  const ZipEntry* version = record("version");
  if (!version) version = record(".data/version");
  if (!version) return error_at(std::nullopt, "no version record in the archive");
  auto version_text = records->read(*version, kSmallRecordBytes);
  if (!version_text) return std::move(version_text).error();
  const std::string version_value = trim_newline(*version_text);
  if (version_value.empty() || version_value.size() > 6 ||
      !std::all_of(version_value.begin(), version_value.end(),
                   [](char c) { return c >= '0' && c <= '9'; })) {
    return error_at(version->header_offset,
                    fmt::format("version record is not a small decimal number: '{}'",
                                escape_for_display(version_value, 40)));
  }
  details["version"] = std::stoi(version_value);

  std::string byteorder = "little";  // writers before byteorder existed were little-endian only
  if (const ZipEntry* entry = record("byteorder")) {
    auto text = records->read(*entry, kSmallRecordBytes);
    if (!text) return std::move(text).error();
    byteorder = trim_newline(*text);
    if (byteorder != "little" && byteorder != "big") {
      return error_at(entry->header_offset,
                      fmt::format("byteorder record is '{}', expected little or big",
                                  escape_for_display(byteorder, 40)));
    }
  }
  const std::pair<const char*, const char*> optional_records[] = {
      {".format_version", "format_version"}, {".data/serialization_id", "serialization_id"}};
  for (const auto& [name, key] : optional_records) {
    if (const ZipEntry* entry = record(name)) {
      auto text = records->read(*entry, kSmallRecordBytes);
      if (!text) return std::move(text).error();
      details[key] = escape_for_display(trim_newline(*text), 100);
    }
  }

  const ZipEntry* pickle_entry = record("data.pkl");
  if (!pickle_entry) return error_at(std::nullopt, "no data.pkl record in the archive");
  auto pickle_bytes = records->read(*pickle_entry, limits.max_record_bytes);
  if (!pickle_bytes) return std::move(pickle_bytes).error();
  auto pickled = unpickle(
      *pickle_bytes, UnpickleOptions{"data.pkl", PersistentIds::TorchZip, 0, torchscript}, limits);
  if (!pickled) return std::move(pickled).error();

  // Every storage the pickle names must be a record of exactly its declared size.
  std::vector<std::optional<std::uint64_t>> data_offsets;
  std::vector<std::string> warnings;
  std::vector<bool> used(directory->entries.size(), false);
  for (const PickledStorage& storage : pickled->arena.storages()) {
    const std::string name = "data/" + storage.key;
    const ZipEntry* entry = record(name);
    if (!entry) {
      return ReadError{{},
                       storage.offset,
                       fmt::format("record {} missing", escape_for_display(name, 200)),
                       "data.pkl"};
    }
    used[entry->index] = true;
    const std::uint64_t declared = storage.numel * storage.dtype->itemsize;
    if (entry->uncompressed_size != declared) {
      return error_at(entry->header_offset,
                      fmt::format("record {} holds {} bytes but its storage declares {} ({} x {})",
                                  escape_for_display(name, 200), entry->uncompressed_size, declared,
                                  storage.numel, storage.dtype->name));
    }
    if (entry->method == 0) {
      data_offsets.push_back(entry->data_offset);
    } else {
      data_offsets.push_back(std::nullopt);
      warnings.push_back(fmt::format("record {} is compressed; its data cannot be mapped directly",
                                     escape_for_display(name, 200)));
    }
  }
  for (const ZipEntry& entry : directory->entries) {
    if (!used[entry.index] && entry.name.compare(root->size(), 5, "data/") == 0) {
      warnings.push_back(fmt::format("record {} is not referenced by data.pkl",
                                     escape_for_display(entry.name.substr(root->size()), 200)));
    }
  }
  if (pickled->end < pickle_bytes->size()) {
    warnings.push_back(fmt::format("hidden data after STOP in data.pkl ({} bytes at offset {})",
                                   pickle_bytes->size() - pickled->end, pickled->end));
  }

  if (torchscript) {
    warnings.push_back(
        "TorchScript archive: TorchScript is code; code/ was not read, tensors are "
        "listed by module attribute path");
  }
  auto info = describe_pickled(*pickled, torchscript ? "torchscript" : "torch-zip", "data.pkl",
                               data_offsets, limits);
  if (!info) return info;
  info->byteorder = byteorder;
  for (auto& [key, value] : details.items()) info->details[key] = value;
  std::vector<std::string> all = std::move(directory->warnings);
  all.insert(all.end(), warnings.begin(), warnings.end());
  all.insert(all.end(), info->warnings.begin(), info->warnings.end());
  info->warnings = std::move(all);
  return info;
}

Status verify_torch_zip(std::string_view file, const ReadLimits& limits) {
  auto directory = read_zip_directory(file, limits);
  if (!directory) return std::move(directory).error();
  auto records = ZipRecords::open(file.substr(0, directory->archive_end));
  if (!records) return std::move(records).error();
  for (const ZipEntry& entry : directory->entries) {
    auto checked = records->check(entry);
    if (!checked) return checked;
  }
  return Ok{};
}

}  // namespace ckg::checkpoint::detail
