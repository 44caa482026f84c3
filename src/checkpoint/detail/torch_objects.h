// What the allow-listed globals mean (security-notes §4): each one maps to a builder that checks
// its arguments and produces plain data in the arena. Refused globals never become values.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "checkpoint/checkpoint_info.h"
#include "checkpoint/detail/pickle_value.h"
#include "checkpoint/detail/unpickler.h"
#include "checkpoint/read_error.h"

namespace ckg::checkpoint::detail {

// The qualified name of an allow-listed global, for messages and metadata.
std::string_view global_name(GlobalId id);

// Errors returned here carry only a reason; the unpickler adds the record and opcode offset.
class TorchObjects {
 public:
  TorchObjects(Arena& arena, const ReadLimits& limits, PersistentIds persistent_ids,
               bool torchscript)
      : arena_(arena),
        limits_(limits),
        persistent_ids_(persistent_ids),
        torchscript_(torchscript) {}

  // GLOBAL / STACK_GLOBAL: a token for an allow-listed name, or "refusing global X".
  Result<ValueId> global(std::string_view module, std::string_view name, std::uint32_t offset);
  // REDUCE and NEWOBJ (Python calls cls.__new__(cls, *args); for the allow-list they coincide).
  Result<ValueId> call(ValueId callable, ValueId args, std::uint32_t offset);
  // BUILD: only OrderedDict-like dicts and opaque objects take state.
  Status build(ValueId target, ValueId state);
  // BINPERSID: a storage reference, checked and registered by key.
  Result<ValueId> persistent_load(ValueId pid, std::uint32_t offset);

  std::vector<std::string> take_warnings() { return std::move(warnings_); }

 private:
  Result<ValueId> rebuild_tensor(GlobalId id, const std::vector<ValueId>& args,
                                 std::uint32_t offset);
  Result<ValueId> rebuild_parameter(const std::vector<ValueId>& args, std::size_t min_args,
                                    std::size_t max_args, std::uint32_t offset);
  // Checks shape, strides and bounds against the storage (none for meta tensors).
  Result<ValueId> make_view(std::string_view who, std::optional<StorageRef> ref, const Dtype* dtype,
                            std::int64_t base, ValueId size, ValueId stride, bool requires_grad,
                            std::uint32_t offset);
  Result<ValueId> call_opaque(GlobalId id, ValueId args, std::uint32_t offset);
  void warn_once(std::string message);

  Arena& arena_;
  const ReadLimits& limits_;
  PersistentIds persistent_ids_;
  bool torchscript_;  // __torch__.* classes and torch.jit._pickle helpers are expected
  std::unordered_map<KeyId, std::uint32_t> storage_by_key_;  // index into arena_.storages()
  std::set<std::string> warned_;
  std::vector<std::string> warnings_;
};

}  // namespace ckg::checkpoint::detail
