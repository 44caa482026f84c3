#include "checkpoint/detail/torch_pickle.h"

#include "checkpoint/detail/object_walk.h"
#include "checkpoint/detail/weights_only.h"

namespace ckg::checkpoint::detail {

Result<CheckpointInfo> describe_pickled(
    const Unpickled& pickled, std::string format, std::string_view record,
    const std::vector<std::optional<std::uint64_t>>& data_offsets, const ReadLimits& limits) {
  const Arena& arena = pickled.arena;
  auto structure = walk_object(arena, pickled.root, record, limits);
  if (!structure) return std::move(structure).error();

  CheckpointInfo info;
  info.format = std::move(format);
  for (std::size_t i = 0; i < arena.storages().size(); ++i) {
    const PickledStorage& storage = arena.storages()[i];
    StorageInfo out;
    out.key = storage.key;
    out.dtype = std::string(storage.dtype->name);
    out.numel = storage.numel;
    out.nbytes = storage.numel * storage.dtype->itemsize;  // checked when the id was loaded
    out.device = storage.location;
    out.data_offset = data_offsets[i];
    info.storages.push_back(std::move(out));
  }
  for (auto& [path, id] : structure->tensors) {
    const TensorData& tensor = arena.tensor_of(id);
    TensorInfo out;
    out.path = std::move(path);
    out.shape = tensor.shape;
    out.strides = tensor.strides;
    out.storage_offset = tensor.storage_offset;
    out.dtype = std::string(tensor.dtype->name);
    out.nbytes = tensor.nbytes;
    out.is_parameter = tensor.is_parameter;
    out.requires_grad = tensor.requires_grad;
    if (tensor.storage) {
      out.storage = *tensor.storage;
      info.storages[*tensor.storage].tensors.push_back(info.tensors.size());
    }
    info.tensors.push_back(std::move(out));
  }
  info.state_dict_path = std::move(structure->state_dict_path);
  info.module_state_dict = std::move(structure->module_state_dict);
  info.optimizer_paths = std::move(structure->optimizer_paths);
  info.metadata = std::move(structure->metadata);
  info.state_dict_metadata = std::move(structure->state_dict_metadata);
  info.details["pickle_protocol"] = pickled.protocol;
  if (info.format != "torchscript") {  // torch.load does not read TorchScript at all
    const auto refusal = weights_only_1_13_refusal(pickled);
    info.details["weights_only_torch_1_13"] = {
        {"loads", !refusal}, {"reason", refusal ? nlohmann::json(*refusal) : nlohmann::json()}};
  }
  info.warnings = pickled.warnings;
  for (auto& warning : structure->warnings) info.warnings.push_back(std::move(warning));
  return info;
}

}  // namespace ckg::checkpoint::detail
