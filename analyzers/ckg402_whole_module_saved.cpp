// CKG402 whole-module-saved: `torch.save(model, ...)` pickles the module object itself.
#include <fmt/format.h>

#include "diagnostics/codes.h"
#include "analyzers/rule.h"
#include "analyzers/torch_patterns.h"

namespace ckg::lint {
namespace {

using parse::Kind;

const diag::RuleInfo kInfo = diag::rule("CKG402", R"(## What it does
Flags `torch.save(obj, f)` where `obj` — or a value in the checkpoint dict — is an `nn.Module`
rather than its `state_dict()`: a torch.nn layer or a class of this file deriving from
`nn.Module`, a wrapper, `self` inside a module's method, or a variable or parameter named
`model`, `net`, `network`, `module` (or ending in `_model`, `_net`, `_module`) that the
function does not bind to anything else.
Saves through a helper of the same file that passes its parameter to `torch.save`
(`save_checkpoint(state, path)`) count; saves into an in-memory `io.BytesIO` do not.

## Why is this bad?
Pickling a module stores a reference to its class by import path (`mypkg.models.Net`) plus its
`__dict__`. Loading it later requires that exact module path and a compatible class
definition: renaming a file, moving a class or changing `__init__` breaks every old
checkpoint, often with an `AttributeError` far from the cause. It also forces
`weights_only=False` on load (see CKG401), so the checkpoint can run code.

## Example
```python
torch.save(model, "model.pt")
torch.save({"model": model, "epoch": epoch}, "ckpt.pt")
```

## Use instead
```python
torch.save(model.state_dict(), "model.pt")
torch.save({"model": model.state_dict(), "epoch": epoch}, "ckpt.pt")
```
and rebuild the model from code and configuration before `load_state_dict`.)");

void check(const Context& ctx, std::vector<diag::Diagnostic>& out) {
  for (TSNode call : ctx.calls()) {
    TSNode payload = saved_payload(ctx, call);
    if (ts_node_is_null(payload) || ctx.callee(call).rfind("safetensors.", 0) == 0) continue;
    uint32_t at = ts_node_start_byte(call);
    for (TSNode v : payload_parts(ctx, payload, at).values) {
      v = unparenthesize(v);
      if (!is_module_value(ctx, v, at)) continue;
      std::string_view name = ctx.text(v);
      bool simple = is_kind(v, Kind::k_identifier) || is_kind(v, Kind::k_attribute);
      auto d = ctx.make(kInfo, v,
                        simple ? fmt::format("`torch.save` pickles the whole module `{}`; loading it needs its exact class and import path", name)
                               : std::string("`torch.save` pickles a whole module; loading it needs its exact class and import path"),
                        simple ? fmt::format("save `{}.state_dict()` and rebuild the model from code before loading", name)
                               : std::string("save the module's `state_dict()` and rebuild the model from code before loading"));
      if (simple) {
        d.fix = diag::Fix{fmt::format("save `{}.state_dict()`", name), false,
                          {{ctx.span(v), fmt::format("{}.state_dict()", name)}}};
      }
      out.push_back(std::move(d));
    }
  }
}

}  // namespace

const Rule& ckg402_whole_module_saved() {
  static const Rule rule{kInfo, check};
  return rule;
}

}  // namespace ckg::lint
