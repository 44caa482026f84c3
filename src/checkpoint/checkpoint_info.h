// What a checkpoint holds, read without executing anything and without touching tensor bytes:
// the tensor table (paths, shapes, dtypes, where each tensor's data lives in the file), where the
// model state_dict and optimizer state sit, and the remaining plain values as metadata.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "checkpoint/read_error.h"

namespace ckg::checkpoint {

// Key path inside the loaded object: dict keys, list/tuple indices (as decimal strings),
// attribute names of opaque objects. ["state_dict", "layer1.0.conv1.weight"]
using KeyPath = std::vector<std::string>;

// One storage (torch) or one data range (safetensors): the bytes tensors are views of.
struct StorageInfo {
  std::string key;          // zip: record data/<key>; legacy: pickled key; safetensors: tensor name
  std::string dtype;        // torch spelling: "float32", "bfloat16", "uint8" (untyped storages)...
  std::uint64_t numel = 0;  // elements of `dtype`
  std::uint64_t nbytes = 0;
  std::string device;  // location tag as saved ("cpu", "cuda:0"); a label only, never used
  // Absolute offset of the first byte in `file`; unset when the bytes cannot be located directly
  // (a compressed zip record). Length is `nbytes`.
  std::optional<std::uint64_t> data_offset;
  std::string file;  // shard path relative to the index file; empty = the checkpoint
  std::vector<std::size_t> tensors;  // indices into CheckpointInfo::tensors viewing this storage
};

struct TensorInfo {
  KeyPath path;
  std::vector<std::int64_t> shape;
  std::vector<std::int64_t> strides;  // in elements
  std::int64_t storage_offset = 0;    // in elements
  std::string dtype;
  std::uint64_t nbytes = 0;  // of the view: numel * itemsize
  std::optional<std::size_t>
      storage;  // index into CheckpointInfo::storages; unset for meta tensors
  bool is_parameter = false;
  bool requires_grad = false;
};

struct CheckpointInfo {
  // "torch-zip", "torch-legacy", "safetensors", "sharded-safetensors", "sharded-torch",
  // "torchscript" (a torch.jit.save archive: tensors only, its code is never read)
  std::string format;
  std::vector<TensorInfo> tensors;  // in the order torch.load would iterate them
  std::vector<StorageInfo> storages;
  std::optional<KeyPath> state_dict_path;  // the model state_dict; [] when the root is one
  // When state_dict_path is a pickled nn.Module (`torch.save(model)`, read with inert_classes)
  // rather than a state_dict: what module.state_dict() would return, as (key, index into
  // tensors), in torch's order. Empty otherwise.
  std::vector<std::pair<std::string, std::size_t>> module_state_dict;
  std::vector<KeyPath> optimizer_paths;    // dicts with "state" and "param_groups"
  nlohmann::json metadata = nlohmann::json::object();  // non-tensor values outside the state_dict
  nlohmann::json state_dict_metadata;  // the state_dict's `_metadata` (module versions), or null
  nlohmann::json details = nlohmann::json::object();  // format facts: archive name, version...
  std::string byteorder = "little";   // of tensor data, for whoever reads values later
  std::vector<std::string> warnings;  // findings: the file loads, but something is off
};

// The model state_dict's tensors as (key, index into tensors), in order: the tensors of the
// state_dict dict under its keys, or a pickled module's `module_state_dict`. Empty without either.
std::vector<std::pair<std::string, std::size_t>> state_dict_entries(const CheckpointInfo& info);

// Hard limits (docs: security-notes §2, README "Limits"). A breach is a ReadError naming the file,
// the offset and the limit, never an allocation: sizes are checked before anything is allocated,
// and what a small file can make the reader do (copies through the memo, paths of deep tensors)
// is counted as it happens. Every limit bounds work or memory, so reading ends within seconds.
struct ReadLimits {
  // Opcodes plus every element copied or hashed on their behalf (BUILD copying a dict...).
  std::uint64_t max_pickle_ops = 10'000'000;
  std::uint64_t max_memo_entries = 1'000'000;
  std::uint32_t max_depth = 10'000;  // MARK nesting and object nesting
  std::uint32_t max_int_bytes = 16;  // LONG1/LONG4 payloads
  std::uint32_t max_rank = 64;
  std::uint64_t max_line_bytes = 1024;           // GLOBAL module/name lines
  std::uint64_t max_record_bytes = 64ull << 20;  // pickles and other records we read or inflate
  std::uint64_t max_zip_entries = 1'000'000;
  std::uint32_t max_zip_name_bytes = 4096;
  std::uint64_t max_json_header_bytes = 100'000'000;  // safetensors spec limit
  std::uint32_t max_json_depth = 64;
  std::uint64_t max_visited_nodes = 2'000'000;  // walking shared object graphs (billion laughs)
  std::uint32_t max_metadata_string_bytes = 4096;
  std::uint32_t max_shards = 10'000;
  std::uint64_t max_object_bytes = 512ull << 20;  // memory the unpickled object graph may take
  std::uint64_t max_output_bytes = 256ull << 20;  // key paths and metadata handed out
  // Listing mode (`inspect --objects`), for whole-module pickles (`torch.save(model)`): a global
  // off the allow-list that does not run code is a class name, and calling it makes an opaque
  // object holding its arguments and state. Nothing is imported, built or called either way.
  bool inert_classes = false;
};

// Sets one limit from "name=value" (the README names every limit). The error says why not.
std::optional<std::string> set_limit(ReadLimits& limits, std::string_view assignment);

// Reads the checkpoint at `path` (any supported format, sniffed from content and name).
Result<CheckpointInfo> read_checkpoint(const std::string& path, const ReadLimits& limits = {});

// Reads every byte of every record of the checkpoint `info` describes (each shard of a sharded
// one) and checks what the format can check: the CRC-32 and size of every zip record, tensor data
// included. Listing never reads tensor data; this does. safetensors and the legacy format carry no
// checksums: their structure was checked by read_checkpoint, and nothing more can be.
Status verify_records(const std::string& path, const CheckpointInfo& info,
                      const ReadLimits& limits = {});

}  // namespace ckg::checkpoint
