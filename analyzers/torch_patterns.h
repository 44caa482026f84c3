// Recognisers for the torch idioms several rules share: checkpoint saves and their payloads,
// model wrappers (DataParallel, DistributedDataParallel, torch.compile), optimizers, and values
// that are whole nn.Modules. Each follows values through the enclosing function's assignments.
#pragma once

#include <string>
#include <vector>

#include "analyzers/context.h"

namespace ckg::lint {

// `torch.save(obj, f)` (or safetensors' `save_file(tensors, f)`), also through a helper function
// of this file that saves one of its parameters (`save_checkpoint(state, path)`): the payload
// expression, or a null node when `call` is not a checkpoint save. Saves into an in-memory
// `io.BytesIO` are serialisation, not checkpoints.
TSNode saved_payload(const Context& ctx, TSNode call);

// What a checkpoint payload is made of.
struct Payload {
  std::vector<TSNode> state_dicts;  // `x.state_dict()` calls found in it
  std::vector<std::string> keys;    // string keys of the dicts it is built from
  std::vector<TSNode> values;       // every leaf value (dict values, or the payload itself)
};
// Follows names to the dict literals / `dict(...)` calls / subscript stores that build a payload.
Payload payload_parts(const Context& ctx, TSNode payload, uint32_t at);

struct Wrapper {
  std::string kind;    // "DataParallel", "DistributedDataParallel", "torch.compile"
  std::string prefix;  // "module." or "_orig_mod."
  std::string inner;   // attribute reaching the wrapped model: "module" or "_orig_mod"
};
// Whether `expr` (evaluated at byte `at`) is a wrapper around a model.
std::optional<Wrapper> wrapper_of(const Context& ctx, TSNode expr, uint32_t at);

enum class StateOwner { model, optimizer, other };
// Whose state `x.state_dict()` is: an optimizer (bound to torch.optim.*, or named like one), a
// scheduler/scaler/sampler/data loader (other), else a model.
StateOwner state_owner(const Context& ctx, TSNode state_dict_call);

// Whether `expr` evaluated at byte `at` is a whole nn.Module (not its state_dict): a torch.nn
// layer or local nn.Module subclass construction, `self` inside an nn.Module, a wrapper, or a
// name like `model`/`net` with no other binding in sight.
bool is_module_value(const Context& ctx, TSNode expr, uint32_t at, int depth = 0);

// The last identifier of a dotted expression: "model" for `self.model`, "opt" for `opt`.
std::string last_name(const Context& ctx, TSNode expr);

}  // namespace ckg::lint
