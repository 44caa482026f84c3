// CKG401 torch-load-without-weights-only: `torch.load` that may unpickle arbitrary objects.
#include "diagnostics/codes.h"
#include "analyzers/rule.h"

namespace ckg::lint {
namespace {

using parse::Field;
using parse::field;

const diag::RuleInfo kInfo = diag::rule("CKG401", R"(## What it does
Flags calls to `torch.load` (however imported: `torch.load`, `import torch as t; t.load`,
`from torch import load`) that do not pass `weights_only=True`, including an explicit
`weights_only=False`.

## Why is this bad?
Without `weights_only=True`, `torch.load` runs Python's full unpickler: a checkpoint file can
construct arbitrary objects and call arbitrary functions while it loads. A checkpoint
downloaded from a hub, a shared drive or a pull request is code you execute. With
`weights_only=True` only tensors, lists, tuples, dicts and some primitives are rebuilt.
On torch 1.13, the torch ckptguard models, those primitives are ints, strings, bools and None:
**floats are refused**. A model `state_dict` loads; a training checkpoint with an optimizer's `lr`
or a saved loss does not, and applying this fix to the loader that resumes training breaks it.

## Example
```python
state = torch.load("model.pt", map_location="cpu")
model.load_state_dict(state)
```

## Use instead
```python
state = torch.load("model.pt", map_location="cpu", weights_only=True)
model.load_state_dict(state)
```
Checkpoints that pickle whole objects (see CKG402), or that hold floats on torch 1.13, will not
load this way: re-save the weights as a state-dict-only file or as safetensors, once, in a
trusted environment, and keep training state (optimizer, step, loss) in a separate file you
trust. `ckptguard inspect FILE` says whether a file loads with `weights_only=True` on torch 1.13,
without executing anything.)");

void check(const Context& ctx, std::vector<diag::Diagnostic>& out) {
  for (TSNode call : ctx.calls()) {
    std::string q = ctx.callee(call);
    if (q != "torch.load" && q != "torch.serialization.load") continue;
    TSNode weights_only = ctx.keyword(call, "weights_only");
    if (ts_node_is_null(weights_only)) {
      if (ctx.has_splat(call)) continue;  // **kwargs may carry weights_only
      auto d = ctx.make(kInfo, field(call, Field::function),
                        "`torch.load` without `weights_only=True` can run code stored in the checkpoint",
                        "pass `weights_only=True` where this loads weights only: on torch 1.13 it refuses floats, so a "
                        "training checkpoint (an optimizer's `lr`) no longer loads; keep such state in a separate file, "
                        "or save weights as safetensors (`ckptguard inspect FILE` says whether a file loads this way)");
      TSNode args = field(call, Field::arguments);
      const auto& named = parse::named_children(args);
      TSPoint at = named.empty() ? ts_node_start_point(args) : ts_node_end_point(named.back());
      if (named.empty()) at.column += 1;  // after "("
      diag::Span where{ctx.file().path(), static_cast<int>(at.row) + 1, static_cast<int>(at.column) + 1,
                       static_cast<int>(at.row) + 1, static_cast<int>(at.column) + 1};
      d.fix = diag::Fix{"pass `weights_only=True`", false,
                        {{where, named.empty() ? "weights_only=True" : ", weights_only=True"}}};
      out.push_back(std::move(d));
    } else if (is_false(weights_only)) {
      auto d = ctx.make(kInfo, ts_node_parent(weights_only),
                        "`torch.load` with `weights_only=False` can run code stored in the checkpoint",
                        "load with `weights_only=True`; re-save checkpoints that pickle whole objects as state_dicts");
      d.fix = diag::Fix{"pass `weights_only=True`", false, {{ctx.span(weights_only), "True"}}};
      out.push_back(std::move(d));
    }
  }
}

}  // namespace

const Rule& ckg401_torch_load_without_weights_only() {
  static const Rule rule{kInfo, check};
  return rule;
}

}  // namespace ckg::lint
