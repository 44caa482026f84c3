#include "checkpoint/detail/sharded.h"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <unordered_map>

#include "checkpoint/detail/json_text.h"
#include "checkpoint/detail/text.h"

namespace ckg::checkpoint::detail {

namespace {

// Shard names come from the index: plain relative paths below the index's directory only.
std::optional<std::string> bad_shard_name(const std::string& name, const ReadLimits& limits) {
  if (name.empty()) return "empty shard path";
  if (name.size() > limits.max_zip_name_bytes) {
    return fmt::format("shard path longer than {} bytes (limit max_zip_name_bytes)",
                       limits.max_zip_name_bytes);
  }
  for (char c : name) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7F || c == '\\')
      return "shard path contains control characters or backslashes";
  }
  if (name.front() == '/') return "shard path escapes directory";
  for (const auto& part : std::filesystem::path(name)) {
    if (part == "..") return "shard path escapes directory";
  }
  return std::nullopt;
}

bool is_torch_format(const std::string& format) {
  return format == "torch-zip" || format == "torch-legacy";
}

}  // namespace

bool looks_like_json(std::string_view file) {
  const auto first = file.find_first_not_of(" \t\r\n");
  return first != std::string_view::npos && file[first] == '{';
}

Result<CheckpointInfo> read_sharded(const std::string& index_path, std::string_view index,
                                    const ReadLimits& limits, const ShardReader& read_shard) {
  if (index.size() > limits.max_record_bytes) {
    return error_at(std::nullopt, fmt::format("index of {} bytes exceeds {} (limit max_record_bytes)",
                                              index.size(), limits.max_record_bytes));
  }
  auto json = parse_untrusted_json(index, 0, limits);
  if (!json) return std::move(json).error();
  const auto weight_map = json->find("weight_map");
  if (!json->is_object() || weight_map == json->end() || !weight_map->is_object()) {
    return error_at(std::nullopt, "index has no weight_map object");
  }

  // Shards in order of first mention; each tensor's expected shard.
  std::vector<std::string> shards;
  std::unordered_map<std::string, std::string> expected;
  for (const auto& [tensor, shard] : weight_map->items()) {
    if (!shard.is_string()) {
      return error_at(std::nullopt, fmt::format("weight_map entry {} is not a file name",
                                                escape_for_display(tensor, 200)));
    }
    const std::string name = shard.get<std::string>();
    if (auto problem = bad_shard_name(name, limits)) {
      return error_at(std::nullopt, fmt::format("{}: {}", *problem, escape_for_display(name, 200)));
    }
    if (std::find(shards.begin(), shards.end(), name) == shards.end()) {
      if (shards.size() >= limits.max_shards)
        return error_at(std::nullopt,
                        fmt::format("more than {} shards (limit max_shards)", limits.max_shards));
      shards.push_back(name);
    }
    expected.emplace(tensor, name);
  }

  CheckpointInfo info;
  info.state_dict_path = KeyPath{};
  const auto metadata = json->find("metadata");
  if (metadata != json->end() && metadata->is_object()) info.metadata = *metadata;
  info.details["shards"] = nlohmann::json::array();
  const std::filesystem::path directory = std::filesystem::path(index_path).parent_path();
  std::size_t found = 0;
  for (const std::string& name : shards) {
    const std::string shown = escape_for_display(name, 200);
    auto shard = read_shard((directory / name).string());
    if (!shard) return std::move(shard).error();
    const bool torch = is_torch_format(shard->format);
    if (!torch && shard->format != "safetensors") {
      return error_at(std::nullopt, fmt::format("shard {} is a {} file", shown, shard->format));
    }
    const std::string format = torch ? "sharded-torch" : "sharded-safetensors";
    if (!info.format.empty() && info.format != format)
      return error_at(std::nullopt, "shards mix safetensors and torch files");
    info.format = format;
    if (shard->state_dict_path != KeyPath{}) {
      return error_at(std::nullopt,
                      fmt::format("shard {} does not hold a plain state_dict", shown));
    }

    const std::size_t storage_base = info.storages.size();
    const std::size_t tensor_base = info.tensors.size();
    for (StorageInfo& storage : shard->storages) {
      storage.file = name;
      for (std::size_t& tensor : storage.tensors) tensor += tensor_base;
      info.storages.push_back(std::move(storage));
    }
    for (TensorInfo& tensor : shard->tensors) {
      const std::string& key = tensor.path.front();
      auto it = expected.find(key);
      if (it == expected.end()) {
        info.warnings.push_back(fmt::format("tensor {} in shard {} is not in the index",
                                            escape_for_display(key, 200), shown));
      } else if (it->second != name) {
        return error_at(
            std::nullopt,
            fmt::format("tensor {} is in shard {} but the index maps it to {}",
                        escape_for_display(key, 200), shown, escape_for_display(it->second, 200)));
      } else {
        ++found;
      }
      if (tensor.storage) *tensor.storage += storage_base;
      info.tensors.push_back(std::move(tensor));
    }
    for (const std::string& warning : shard->warnings) {
      info.warnings.push_back(fmt::format("shard {}: {}", shown, warning));
    }
    nlohmann::json summary{
        {"file", name}, {"format", shard->format}, {"tensors", shard->tensors.size()}};
    if (!shard->metadata.empty()) summary["metadata"] = shard->metadata;
    info.details["shards"].push_back(std::move(summary));
  }
  if (found != expected.size()) {
    // Name the first index entry no shard provided.
    std::unordered_map<std::string, bool> present;
    for (const TensorInfo& tensor : info.tensors) present[tensor.path.front()] = true;
    for (const auto& [tensor, shard] : weight_map->items()) {
      if (!present.count(tensor)) {
        return error_at(std::nullopt,
                        fmt::format("tensor {} listed in the index is missing from shard {}",
                                    escape_for_display(tensor, 200),
                                    escape_for_display(shard.get<std::string>(), 200)));
      }
    }
  }
  if (info.format.empty()) info.format = "sharded-safetensors";  // an index without entries
  return info;
}

}  // namespace ckg::checkpoint::detail
