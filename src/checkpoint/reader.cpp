// Format sniffing and the public entry point. Sniffing follows torch where torch decides (a zip
// is a zip only if it starts with a local header, like torch.serialization._is_zipfile).
#include <fmt/format.h>

#include <array>
#include <charconv>
#include <filesystem>
#include <variant>

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

namespace {

// Every ReadLimits field by the name the README and `--limit NAME=VALUE` use.
using LimitField = std::variant<std::uint64_t ReadLimits::*, std::uint32_t ReadLimits::*>;
constexpr std::array<std::pair<std::string_view, LimitField>, 16> kLimitFields{{
    {"max_pickle_ops", &ReadLimits::max_pickle_ops},
    {"max_memo_entries", &ReadLimits::max_memo_entries},
    {"max_depth", &ReadLimits::max_depth},
    {"max_int_bytes", &ReadLimits::max_int_bytes},
    {"max_rank", &ReadLimits::max_rank},
    {"max_line_bytes", &ReadLimits::max_line_bytes},
    {"max_record_bytes", &ReadLimits::max_record_bytes},
    {"max_zip_entries", &ReadLimits::max_zip_entries},
    {"max_zip_name_bytes", &ReadLimits::max_zip_name_bytes},
    {"max_json_header_bytes", &ReadLimits::max_json_header_bytes},
    {"max_json_depth", &ReadLimits::max_json_depth},
    {"max_visited_nodes", &ReadLimits::max_visited_nodes},
    {"max_metadata_string_bytes", &ReadLimits::max_metadata_string_bytes},
    {"max_shards", &ReadLimits::max_shards},
    {"max_object_bytes", &ReadLimits::max_object_bytes},
    {"max_output_bytes", &ReadLimits::max_output_bytes},
}};

}  // namespace

std::optional<std::string> set_limit(ReadLimits& limits, std::string_view assignment) {
  const auto equals = assignment.find('=');
  if (equals == std::string_view::npos) return "expected NAME=VALUE";
  const std::string_view name = assignment.substr(0, equals);
  const std::string_view text = assignment.substr(equals + 1);
  std::uint64_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || error != std::errc() || end != text.data() + text.size()) {
    return fmt::format("limit {} needs a non-negative integer, got '{}'",
                       detail::escape_for_display(name, 100), detail::escape_for_display(text, 100));
  }
  for (const auto& [known, field] : kLimitFields) {
    if (known != name) continue;
    if (auto* wide = std::get_if<std::uint64_t ReadLimits::*>(&field)) {
      limits.*(*wide) = value;
    } else if (value > UINT32_MAX) {
      return fmt::format("limit {} is at most {}", known, UINT32_MAX);
    } else {
      limits.*std::get<std::uint32_t ReadLimits::*>(field) = static_cast<std::uint32_t>(value);
    }
    return std::nullopt;
  }
  return fmt::format("unknown limit '{}'", detail::escape_for_display(name, 100));
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
