// Format sniffing and the public entry point. Sniffing follows torch where torch decides (a zip
// is a zip only if it starts with a local header, like torch.serialization._is_zipfile).
#include <fmt/format.h>

#include <filesystem>

#include "checkpoint/checkpoint_info.h"
#include "checkpoint/detail/mapped_file.h"
#include "checkpoint/detail/read_bytes.h"
#include "checkpoint/detail/safetensors.h"
#include "checkpoint/detail/sharded.h"
#include "checkpoint/detail/text.h"
#include "checkpoint/detail/torch_legacy.h"
#include "checkpoint/detail/torch_zip.h"

namespace ckg::checkpoint {

std::string describe(const ReadError& error) {
  std::string out = detail::escape_for_display(error.path, 1024) + ": " +
                    detail::escape_for_display(error.reason, 2048);
  if (error.offset) {
    out += error.record.empty()
               ? fmt::format(" at offset {}", *error.offset)
               : fmt::format(" at {} offset {}", detail::escape_for_display(error.record, 200),
                             *error.offset);
  } else if (!error.record.empty()) {
    out += " in " + detail::escape_for_display(error.record, 200);
  }
  return out;
}

namespace detail {

Result<CheckpointInfo> read_checkpoint_bytes(std::string_view bytes, const ReadLimits& limits) {
  const auto starts_with = [&](std::string_view prefix) {
    return bytes.substr(0, prefix.size()) == prefix;
  };
  if (bytes.empty()) return error_at(std::nullopt, "empty file");
  if (starts_with("PK\x03\x04")) return read_torch_zip(bytes, limits);
  if (starts_with("PYTORCH1")) {
    return error_at(0, "unsupported archive format from the PyTorch preview release (PYTORCH1)");
  }
  // Legacy streams start with a pickled magic number (PROTO 2, then a LONG1).
  if (starts_with("\x80") && bytes.size() > 1 && static_cast<unsigned char>(bytes[1]) <= 5) {
    return read_torch_legacy(bytes, limits);
  }
  if (bytes.size() >= 262 && bytes.substr(257, 5) == "ustar") {
    return error_at(257,
                    "legacy .tar checkpoints are not supported (torch >= 2.6 refuses them too)");
  }
  if (looks_like_safetensors(bytes)) return read_safetensors(bytes, limits);
  return error_at(0, "not a checkpoint: unrecognized format");
}

}  // namespace detail

namespace {

ReadError located(ReadError error, const std::string& path) {
  if (error.path.empty()) error.path = path;
  return error;
}

// One file of any single-file format; errors name `path`.
Result<CheckpointInfo> read_single_file(const std::string& path, const ReadLimits& limits) {
  auto file = detail::MappedFile::open(path);
  if (!file) return std::move(file).error();
  auto info = detail::read_checkpoint_bytes(file->bytes(), limits);
  if (!info) return located(std::move(info).error(), path);
  return info;
}

}  // namespace

Status verify_records(const std::string& path, const CheckpointInfo& info,
                      const ReadLimits& limits) {
  const auto verify_file = [&](const std::string& file_path) -> Status {
    auto file = detail::MappedFile::open(file_path);
    if (!file) return std::move(file).error();
    if (file->bytes().substr(0, 4) != "PK\x03\x04") return Ok{};
    auto verified = detail::verify_torch_zip(file->bytes(), limits);
    if (!verified) return located(std::move(verified).error(), file_path);
    return Ok{};
  };
  const auto shards = info.details.find("shards");
  if (shards == info.details.end()) return verify_file(path);
  const std::filesystem::path directory = std::filesystem::path(path).parent_path();
  for (const auto& shard : *shards) {
    auto verified = verify_file((directory / shard["file"].get<std::string>()).string());
    if (!verified) return verified;
  }
  return Ok{};
}

Result<CheckpointInfo> read_checkpoint(const std::string& path, const ReadLimits& limits) {
  auto file = detail::MappedFile::open(path);
  if (!file) return std::move(file).error();
  if (!detail::looks_like_json(file->bytes()) || detail::has_safetensors_header(file->bytes())) {
    auto info = detail::read_checkpoint_bytes(file->bytes(), limits);
    if (!info) return located(std::move(info).error(), path);
    return info;
  }
  // An index: its shards are single files (an index naming another index is refused by format).
  auto info = detail::read_sharded(path, file->bytes(), limits, [&](const std::string& shard) {
    return read_single_file(shard, limits);
  });
  if (!info) return located(std::move(info).error(), path);
  return info;
}

}  // namespace ckg::checkpoint
