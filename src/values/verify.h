// Bit-exact verification of a checkpoint's state_dict against live tensors or another
// checkpoint, with an xxh3-64 content digest of every tensor on either side.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <ATen/core/Tensor.h>

#include "values/mapped_checkpoint.h"

namespace ckg::values {

enum class KeyStatus {
  equal,
  dtype_differs,
  shape_differs,
  bytes_differ,
  missing,     // the model (or second checkpoint) has the key, the checkpoint does not
  unexpected,  // the checkpoint has the key, the model (or second checkpoint) does not
};

// "equal", "dtype_differs", "shape_differs", "bytes_differ", "missing", "unexpected"
std::string_view to_string(KeyStatus status);

struct KeyVerdict {
  std::string name;
  KeyStatus status = KeyStatus::equal;
  std::optional<std::string> checkpoint_digest;  // unset when the checkpoint lacks the key
  std::optional<std::string> model_digest;       // unset when the other side lacks it
  std::string detail;                            // one line for people; empty when equal
  // bytes_differ only: C-order index of the first differing element, and how many differ.
  std::vector<std::int64_t> first_difference;
  std::uint64_t differing_elements = 0;
};

struct VerifyReport {
  std::vector<KeyVerdict> keys;  // checkpoint order, then keys only the other side has
  std::vector<std::string> missing;
  std::vector<std::string> unexpected;

  bool equal() const;
};

using NamedTensors = std::vector<std::pair<std::string, at::Tensor>>;

// Compares the checkpoint's state_dict with `model` (typically module.state_dict(), any device
// or layout). Bit-exact: NaN payloads and the sign of zero count.
Result<VerifyReport> verify_state_dict(const MappedCheckpoint& checkpoint,
                                       const NamedTensors& model);

// The same with `other`'s state_dict in the model's role.
Result<VerifyReport> verify_checkpoints(const MappedCheckpoint& checkpoint,
                                        const MappedCheckpoint& other);

// tensor_digest of every state_dict tensor, in file order.
Result<std::vector<std::pair<std::string, std::string>>> state_dict_digests(
    const MappedCheckpoint& checkpoint);

}  // namespace ckg::values
