#include "checkpoint/inspect_render.h"

#include <fmt/format.h>

#include <algorithm>
#include <optional>

#include "checkpoint/detail/text.h"

namespace ckg::checkpoint {

namespace {

nlohmann::ordered_json path_json(const KeyPath& path) {
  return nlohmann::ordered_json(path);
}

std::string shown_path(const KeyPath& path, std::size_t from = 0) {
  std::string out;
  for (std::size_t i = from; i < path.size(); ++i) {
    if (i > from) out += "/";
    out += detail::escape_for_display(path[i], 200);
  }
  return out.empty() ? "(root)" : out;
}

std::string human_bytes(std::uint64_t bytes) {
  static constexpr const char* kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double value = static_cast<double>(bytes);
  std::size_t unit = 0;
  while (value >= 1024 && unit + 1 < std::size(kUnits)) value /= 1024, ++unit;
  return unit == 0 ? fmt::format("{} B", bytes) : fmt::format("{:.1f} {}", value, kUnits[unit]);
}

std::string count(std::size_t n, std::string_view noun) {
  return fmt::format("{} {}{}", n, noun, n == 1 ? "" : "s");
}

// Each tensor's key in the model state_dict, where it has one.
std::vector<std::optional<std::string>> state_dict_keys(const CheckpointInfo& info) {
  std::vector<std::optional<std::string>> keys(info.tensors.size());
  for (auto& [key, index] : state_dict_entries(info)) keys[index] = std::move(key);
  return keys;
}

struct Row {
  std::string name, dtype, shape, nbytes;
};

void render_rows(std::string& out, const std::vector<Row>& rows) {
  std::size_t name_width = 4, dtype_width = 5, shape_width = 5;
  for (const Row& row : rows) {
    name_width = std::max(name_width, row.name.size());
    dtype_width = std::max(dtype_width, row.dtype.size());
    shape_width = std::max(shape_width, row.shape.size());
  }
  name_width = std::min<std::size_t>(name_width, 80);
  out += fmt::format("  {:<{}}  {:<{}}  {:<{}}  {:>10}\n", "name", name_width, "dtype", dtype_width,
                     "shape", shape_width, "bytes");
  for (const Row& row : rows) {
    out += fmt::format("  {:<{}}  {:<{}}  {:<{}}  {:>10}\n", row.name, name_width, row.dtype,
                       dtype_width, row.shape, shape_width, row.nbytes);
  }
}

}  // namespace

nlohmann::ordered_json inspect_to_json(const CheckpointInfo& info, const std::string& file) {
  nlohmann::ordered_json out;
  out["file"] = file;
  out["format"] = info.format;
  auto& tensors = out["tensors"] = nlohmann::ordered_json::array();
  const auto keys = state_dict_keys(info);
  for (std::size_t i = 0; i < info.tensors.size(); ++i) {
    const TensorInfo& tensor = info.tensors[i];
    nlohmann::ordered_json entry;
    entry["path"] = path_json(tensor.path);
    entry["state_dict_key"] = keys[i] ? nlohmann::ordered_json(*keys[i]) : nullptr;
    entry["shape"] = tensor.shape;
    entry["dtype"] = tensor.dtype;
    entry["nbytes"] = tensor.nbytes;
    entry["strides"] = tensor.strides;
    entry["storage_offset"] = tensor.storage_offset;
    entry["storage"] = tensor.storage ? nlohmann::ordered_json(*tensor.storage) : nullptr;
    entry["is_parameter"] = tensor.is_parameter;
    entry["requires_grad"] = tensor.requires_grad;
    tensors.push_back(std::move(entry));
  }
  auto& storages = out["storages"] = nlohmann::ordered_json::array();
  for (const StorageInfo& storage : info.storages) {
    nlohmann::ordered_json entry;
    entry["key"] = storage.key;
    entry["dtype"] = storage.dtype;
    entry["numel"] = storage.numel;
    entry["nbytes"] = storage.nbytes;
    entry["device"] = storage.device;
    entry["file"] = storage.file.empty() ? nullptr : nlohmann::ordered_json(storage.file);
    entry["data_offset"] =
        storage.data_offset ? nlohmann::ordered_json(*storage.data_offset) : nullptr;
    entry["tensors"] = storage.tensors;
    storages.push_back(std::move(entry));
  }
  out["state_dict_path"] = info.state_dict_path ? path_json(*info.state_dict_path) : nullptr;
  auto& optimizers = out["optimizer_paths"] = nlohmann::ordered_json::array();
  for (const KeyPath& path : info.optimizer_paths) optimizers.push_back(path_json(path));
  out["metadata"] = info.metadata;
  out["state_dict_metadata"] = info.state_dict_metadata;
  out["details"] = info.details;
  out["byteorder"] = info.byteorder;
  out["warnings"] = info.warnings;
  return out;
}

std::string render_inspect_text(const CheckpointInfo& info, const std::string& file) {
  std::uint64_t data_bytes = 0;
  for (const StorageInfo& storage : info.storages) data_bytes += storage.nbytes;
  std::string out =
      fmt::format("{}: {}, {} in {}, {} of tensor data\n", detail::escape_for_display(file),
                  info.format, count(info.tensors.size(), "tensor"),
                  count(info.storages.size(), "storage"), human_bytes(data_bytes));
  if (!info.module_state_dict.empty()) {
    out += fmt::format("state_dict: what module.state_dict() would give for the pickled module at {}\n",
                       shown_path(*info.state_dict_path));
  } else {
    out += info.state_dict_path ? fmt::format("state_dict: {}\n", shown_path(*info.state_dict_path))
                                : std::string("state_dict: not found\n");
  }
  for (const KeyPath& path : info.optimizer_paths) {
    out += fmt::format("optimizer state: {}\n", shown_path(path));
  }

  if (auto verdict = info.details.find("weights_only_torch_1_13"); verdict != info.details.end()) {
    out += (*verdict)["loads"].get<bool>()
               ? std::string("torch 1.13 torch.load(weights_only=True): loads\n")
               : fmt::format("torch 1.13 torch.load(weights_only=True): refuses, {}\n",
                             detail::escape_for_display((*verdict)["reason"].get<std::string>()));
  }

  std::vector<Row> model_rows, other_rows;
  const auto row = [&](std::string name, const TensorInfo& tensor) {
    return Row{std::move(name), tensor.dtype, fmt::format("[{}]", fmt::join(tensor.shape, ", ")), std::to_string(tensor.nbytes)};
  };
  std::vector<bool> in_model(info.tensors.size(), false);
  for (const auto& [key, index] : state_dict_entries(info)) {
    in_model[index] = true;
    model_rows.push_back(row(detail::escape_for_display(key, 200), info.tensors[index]));
  }
  for (std::size_t i = 0; i < info.tensors.size(); ++i) {
    if (!in_model[i]) other_rows.push_back(row(shown_path(info.tensors[i].path), info.tensors[i]));
  }
  if (!model_rows.empty()) {
    out += fmt::format("\nstate_dict ({}):\n", count(model_rows.size(), "tensor"));
    render_rows(out, model_rows);
  }
  if (!other_rows.empty()) {
    out += fmt::format("\n{} ({}):\n", model_rows.empty() ? "tensors" : "other tensors",
                       count(other_rows.size(), "tensor"));
    render_rows(out, other_rows);
  }

  bool shared_header = false;
  for (const StorageInfo& storage : info.storages) {
    if (storage.tensors.size() < 2) continue;
    if (!shared_header) out += "\nshared storages (tensors viewing the same bytes):\n";
    shared_header = true;
    std::vector<std::string> names;
    for (std::size_t index : storage.tensors) names.push_back(shown_path(info.tensors[index].path));
    out += fmt::format("  storage {} ({} x{}): {}\n", detail::escape_for_display(storage.key, 100),
                       storage.dtype, storage.numel, fmt::join(names, ", "));
  }
  if (!info.metadata.empty()) {
    out += "\nmetadata:\n";
    for (const auto& [key, value] : info.metadata.items()) {
      out += fmt::format("  {}: {}\n", detail::escape_for_display(key, 200),
                         detail::escape_for_display(value.dump(), 300));
    }
  }
  if (!info.warnings.empty()) {
    out += "\nwarnings:\n";
    for (const std::string& warning : info.warnings) {
      out += fmt::format("  - {}\n", detail::escape_for_display(warning, 1024));
    }
  }
  return out;
}

}  // namespace ckg::checkpoint
