// CKG304 optimizer-saved-apart: optimizer state in a checkpoint without the model's, or a
// training checkpoint with the model's state but without the optimizer's.
#include <algorithm>
#include <cctype>

#include <fmt/format.h>

#include "diagnostics/codes.h"
#include "analyzers/rule.h"
#include "analyzers/torch_patterns.h"

namespace ckg::lint {
namespace {

using parse::Field;
using parse::Kind;
using parse::field;

const diag::RuleInfo kInfo = diag::rule("CKG304", R"(## What it does
Flags a `torch.save` whose payload holds an optimizer's `state_dict()` but no model
`state_dict()` (including a separate `torch.save(optimizer.state_dict(), ...)` next to the
model's), and a training checkpoint dict that records progress (`epoch`, `step`,
`global_step`, `iteration`) and the model's state but not the state of an optimizer that the
same function has (`optimizer`, `opt`, `self.optimizer`, or one built with `torch.optim.*`).
Saves through a helper of the same file that passes its parameter to `torch.save`
(`save_checkpoint(state, path)`) count; saves into an in-memory `io.BytesIO` do not.

## Why is this bad?
An optimizer's state_dict refers to parameters by position, not by name, and is only
meaningful next to the exact weights it was accumulated for. Saved to different files, the two
drift apart: a crash between the two writes, a cleanup that keeps `model_best.pt` but
`optim_last.pt`, or a resume that pairs files from different steps silently restarts
momentum and Adam statistics against the wrong weights. A "resumable" checkpoint without the
optimizer restarts the optimizer from scratch, a silent training regression.

## Example
```python
torch.save(model.state_dict(), f"{out}/model.pt")
torch.save(optimizer.state_dict(), f"{out}/optim.pt")
```

## Use instead
```python
torch.save({"model": model.state_dict(), "optimizer": optimizer.state_dict(), "epoch": epoch},
           f"{out}/checkpoint.pt")
```)");

bool is_progress_key(const std::string& k) {
  return k == "epoch" || k == "step" || k == "global_step" || k == "iteration" || k == "iter" || k == "epochs" ||
         k == "steps";
}

// An optimizer the function holding `call` can reach, for the model-without-optimizer case.
std::string optimizer_in_scope(const Context& ctx, TSNode call) {
  TSNode scope = ctx.scope_of(call);
  if (!is_kind(scope, Kind::k_function_definition)) return {};
  for (const char* n : {"optimizer", "optim", "opt"}) {
    if (ctx.is_parameter(scope, n)) return n;
  }
  for (const Assignment& a : ctx.assignments()) {
    if (!ts_node_eq(a.scope, scope) || !is_kind(a.target, Kind::k_identifier) || ts_node_is_null(a.value)) continue;
    TSNode v = unparenthesize(a.value);
    if (!is_kind(v, Kind::k_call)) continue;
    std::string q = ctx.callee(v);
    if (q.rfind("torch.optim.", 0) == 0 && q.find("lr_scheduler") == std::string::npos &&
        std::isupper(static_cast<unsigned char>(q[q.rfind('.') + 1]))) {
      return std::string(ctx.text(a.target));
    }
  }
  return {};
}

void check(const Context& ctx, std::vector<diag::Diagnostic>& out) {
  struct Save {
    TSNode call;
    Payload parts;
    bool model = false;
    std::vector<TSNode> optimizers;
  };
  std::vector<Save> saves;
  for (TSNode call : ctx.calls()) {
    TSNode payload = saved_payload(ctx, call);
    if (ts_node_is_null(payload)) continue;
    Save s{call, payload_parts(ctx, payload, ts_node_start_byte(call)), false, {}};
    for (TSNode sd : s.parts.state_dicts) {
      switch (state_owner(ctx, sd)) {
        case StateOwner::model: s.model = true; break;
        case StateOwner::optimizer: s.optimizers.push_back(sd); break;
        case StateOwner::other: break;
      }
    }
    // Whole modules and opaque values might be the model; only state_dict-built payloads count.
    for (TSNode v : s.parts.values) {
      if (!is_kind(unparenthesize(v), Kind::k_call) || ctx.method_name(unparenthesize(v)) != "state_dict") {
        if (is_module_value(ctx, v, ts_node_start_byte(call))) s.model = true;
      }
    }
    saves.push_back(std::move(s));
  }
  for (const Save& s : saves) {
    if (!s.optimizers.empty() && !s.model) {
      // Is the model saved by another call in the same function?
      const Save* apart = nullptr;
      auto distance = [&](const Save& o) {
        long a = ts_node_start_byte(o.call), b = ts_node_start_byte(s.call);
        return a > b ? a - b : b - a;
      };
      for (const Save& other : saves) {
        if (&other == &s || !other.model || !ts_node_eq(ctx.scope_of(other.call), ctx.scope_of(s.call))) continue;
        if (!apart || distance(other) < distance(*apart)) apart = &other;
      }
      std::string name = last_name(ctx, ctx.method_object(s.optimizers[0]));
      std::string message =
          apart ? fmt::format("optimizer `{}`'s state is saved apart from the model's (line {}); the files can come from different steps",
                              name, ts_node_start_point(apart->call).row + 1)
                : fmt::format("checkpoint saves optimizer `{}`'s state without the model's state", name);
      out.push_back(ctx.make(kInfo, s.optimizers[0], std::move(message),
                             "save the model's and the optimizer's state_dicts in one checkpoint dict"));
      continue;
    }
    if (s.model && s.optimizers.empty() &&
        std::any_of(s.parts.keys.begin(), s.parts.keys.end(), is_progress_key)) {
      std::string opt = optimizer_in_scope(ctx, s.call);
      if (opt.empty()) continue;
      auto progress = *std::find_if(s.parts.keys.begin(), s.parts.keys.end(), is_progress_key);
      out.push_back(ctx.make(kInfo, saved_payload(ctx, s.call),
                             fmt::format("training checkpoint records `{}` and the model but not optimizer `{}`'s state; resuming restarts the optimizer",
                                         progress, opt),
                             fmt::format("add `\"optimizer\": {}.state_dict()` to the checkpoint", opt)));
    }
  }
}

}  // namespace

const Rule& ckg304_optimizer_saved_apart() {
  static const Rule rule{kInfo, check};
  return rule;
}

}  // namespace ckg::lint
