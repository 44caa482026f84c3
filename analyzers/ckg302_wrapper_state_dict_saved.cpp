// CKG302 wrapper-state-dict-saved: saving the state_dict of DataParallel / DDP / torch.compile.
#include <fmt/format.h>

#include "diagnostics/codes.h"
#include "analyzers/rule.h"
#include "analyzers/torch_patterns.h"

namespace ckg::lint {
namespace {

const diag::RuleInfo kInfo = diag::rule("CKG302", R"(## What it does
Flags `torch.save` (and safetensors' `save_file`) of `m.state_dict()` — directly or inside a
checkpoint dict — where `m` is a `nn.DataParallel`, `nn.parallel.DistributedDataParallel` or
`torch.compile` wrapper in the same function (or the same class, for `self.m`).
Saves through a helper of the same file that passes its parameter to `torch.save`
(`save_checkpoint(state, path)`) count; saves into an in-memory `io.BytesIO` do not.

## Why is this bad?
A wrapper registers the real model as a child, so every key of its state_dict carries the
wrapper's prefix: `module.conv1.weight` for (Distributed)DataParallel, `_orig_mod.conv1.weight`
for `torch.compile`. The checkpoint then only loads into an identically wrapped model;
`load_state_dict` on the plain model fails with every key missing and every key unexpected.
When the wrapping is conditional (`if torch.cuda.device_count() > 1:`) the keys depend on the
machine that trained.

## Example
```python
model = nn.DataParallel(net)
...
torch.save({"model": model.state_dict(), "epoch": epoch}, path)
```

## Use instead
```python
torch.save({"model": model.module.state_dict(), "epoch": epoch}, path)  # or net.state_dict()
```
For `torch.compile`, save the original module (`compiled._orig_mod.state_dict()` or the
model you compiled).)");

void check(const Context& ctx, std::vector<diag::Diagnostic>& out) {
  for (TSNode call : ctx.calls()) {
    TSNode payload = saved_payload(ctx, call);
    if (ts_node_is_null(payload)) continue;
    uint32_t at = ts_node_start_byte(call);
    for (TSNode sd : payload_parts(ctx, payload, at).state_dicts) {
      TSNode obj = ctx.method_object(sd);
      auto w = wrapper_of(ctx, obj, ts_node_start_byte(sd) < at ? ts_node_start_byte(sd) : at);
      if (!w) continue;
      std::string_view name = ctx.text(obj);
      bool simple = is_kind(obj, parse::Kind::k_identifier) || is_kind(obj, parse::Kind::k_attribute);
      auto d = ctx.make(kInfo, sd,
                        simple ? fmt::format("saves the state_dict of {} wrapper `{}`: every key starts with `{}`",
                                             w->kind, name, w->prefix)
                               : fmt::format("saves the state_dict of a {} wrapper: every key starts with `{}`",
                                             w->kind, w->prefix),
                        simple ? fmt::format("save `{}.{}.state_dict()`, the wrapped model's own keys", name, w->inner)
                               : fmt::format("save the wrapped model's state_dict (`.{}.state_dict()`)", w->inner));
      if (simple) {
        d.fix = diag::Fix{fmt::format("save `{}.{}.state_dict()`", name, w->inner), false,
                          {{ctx.span(obj), fmt::format("{}.{}", name, w->inner)}}};
      }
      d.data["wrapper"] = w->kind;
      d.data["prefix"] = w->prefix;
      out.push_back(std::move(d));
    }
  }
}

}  // namespace

const Rule& ckg302_wrapper_state_dict_saved() {
  static const Rule rule{kInfo, check};
  return rule;
}

}  // namespace ckg::lint
