// A checkpoint whose tensor bytes are memory-mapped: its tensors become at::Tensor views of the
// file, so reading values costs page faults rather than a deserializing copy.
#pragma once

#include <cstddef>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <ATen/core/Tensor.h>

#include "checkpoint/checkpoint_info.h"

namespace ckg::values {

using checkpoint::ReadError;
using checkpoint::Result;

class FileMapping;

// A state_dict key and the index of its tensor in CheckpointInfo::tensors.
using StateDictEntry = std::pair<std::string, std::size_t>;

// The torch dtype spelled as the reader spells it ("float32"); nullopt for dtypes the value
// checker does not materialize (quantized, complex32, float8, unsigned wider than a byte).
std::optional<at::ScalarType> scalar_type_of(const std::string& torch_dtype);
// The reverse, for messages: "float32"; c10's own name for anything outside the table.
std::string dtype_name(at::ScalarType type);

class MappedCheckpoint {
 public:
  // Reads the structure of `path` (never executing pickle code) and maps, read-only, every file
  // holding tensor bytes: the checkpoint itself, or each shard of a sharded checkpoint.
  static Result<MappedCheckpoint> open(const std::string& path);

  const std::string& path() const { return path_; }
  const checkpoint::CheckpointInfo& info() const { return info_; }

  // The tensors under state_dict_path, in file order, keyed by their path below it joined with
  // '.' as state_dict keys are. An error when the checkpoint has no recognizable state_dict.
  Result<std::vector<StateDictEntry>> state_dict() const;

  // The tensor called `name`: a state_dict key, else any tensor's key path joined with '/'
  // (as `ckptguard inspect` shows it: "optimizer/state/0/exp_avg").
  std::optional<std::size_t> find(const std::string& name) const;

  // Tensor `index` with the saved dtype, sizes, strides and storage offset. A zero-copy view of
  // the mapping (which the tensor keeps alive) when the storage is aligned for its dtype; a copy
  // of the storage otherwise (legacy files place storages at arbitrary offsets). Errors for
  // big-endian data, compressed records, meta tensors, unsupported dtypes, and any extent that
  // does not fit the mapped file.
  Result<at::Tensor> tensor(std::size_t index) const;

 private:
  MappedCheckpoint(std::string path, checkpoint::CheckpointInfo info)
      : path_(std::move(path)), info_(std::move(info)) {}

  std::string file_path(const std::string& shard) const;

  std::string path_;
  checkpoint::CheckpointInfo info_;
  std::map<std::string, std::shared_ptr<const FileMapping>> files_;  // by StorageInfo::file
};

}  // namespace ckg::values
