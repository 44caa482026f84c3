// CKG306 state-dict-loaded-into-wrapper: `load_state_dict` called on DataParallel / DDP / compile.
#include <fmt/format.h>

#include "diagnostics/codes.h"
#include "analyzers/rule.h"
#include "analyzers/torch_patterns.h"

namespace ckg::lint {
namespace {

const diag::RuleInfo kInfo = diag::rule("CKG306", R"(## What it does
Flags `m.load_state_dict(...)` where `m` is a `nn.DataParallel`,
`nn.parallel.DistributedDataParallel` or `torch.compile` wrapper in the same function (or
class, for `self.m`).

## Why is this bad?
The wrapper expects every key to start with its prefix (`module.` or `_orig_mod.`). A
checkpoint saved from the plain model — the portable kind — fails with every key missing and
every key unexpected; with `strict=False` nothing loads at all and nothing says so. It only
works for checkpoints that were themselves saved from an identical wrapper (CKG302).

## Example
```python
model = nn.DataParallel(Net())
model.load_state_dict(torch.load(path, weights_only=True))
```

## Use instead
```python
model.module.load_state_dict(torch.load(path, weights_only=True))
```
or load into the plain model before wrapping it.)");

using parse::Field;
using parse::Kind;
using parse::field;

// `self.model.load_state_dict(...)` run while the constructor has not wrapped `self.model` yet:
// in __init__ before the wrapping assignment, or in a method __init__ calls before it (the
// "load a snapshot, then wrap in DDP" pattern).
bool loads_before_wrapping(const Context& ctx, TSNode load, TSNode obj) {
  if (!is_kind(obj, Kind::k_attribute) || ctx.text(field(obj, Field::object)) != "self") return false;
  TSNode cls = ctx.class_of(load);
  TSNode method = ctx.scope_of(load);
  if (ts_node_is_null(cls) || !is_kind(method, Kind::k_function_definition)) return false;
  std::string_view attr = ctx.text(field(obj, Field::attribute));
  std::string_view method_name = ctx.text(field(method, Field::name));
  for (TSNode init : ctx.functions("__init__")) {
    if (!ts_node_eq(ctx.class_of(init), cls)) continue;
    for (const Assignment& a : ctx.assignments()) {
      if (!ts_node_eq(a.scope, init) || !is_kind(a.target, Kind::k_attribute)) continue;
      if (ctx.text(field(a.target, Field::object)) != "self" || ctx.text(field(a.target, Field::attribute)) != attr) continue;
      if (!wrapper_of(ctx, a.value, ts_node_start_byte(a.statement))) continue;
      uint32_t wrapped_at = ts_node_start_byte(a.statement);
      if (ts_node_eq(method, init)) return ts_node_start_byte(load) < wrapped_at;
      for (TSNode call : ctx.calls_in(init)) {
        TSNode fn = field(call, Field::function);
        if (ts_node_start_byte(call) < wrapped_at && is_kind(fn, Kind::k_attribute) &&
            ctx.text(field(fn, Field::object)) == "self" && ctx.text(field(fn, Field::attribute)) == method_name) {
          return true;
        }
      }
    }
  }
  return false;
}

void check(const Context& ctx, std::vector<diag::Diagnostic>& out) {
  for (TSNode call : ctx.calls()) {
    if (ctx.method_name(call) != "load_state_dict") continue;
    TSNode obj = ctx.method_object(call);
    auto w = wrapper_of(ctx, obj, ts_node_start_byte(call));
    if (!w || loads_before_wrapping(ctx, call, obj)) continue;
    std::string_view name = ctx.text(obj);
    bool simple = is_kind(obj, Kind::k_identifier) || is_kind(obj, Kind::k_attribute);
    auto d = ctx.make(kInfo, field(call, Field::function),
                      simple ? fmt::format("loads a state_dict into {} wrapper `{}`, which expects every key to start with `{}`",
                                           w->kind, name, w->prefix)
                             : fmt::format("loads a state_dict into a {} wrapper, which expects every key to start with `{}`",
                                           w->kind, w->prefix),
                      simple ? fmt::format("load into `{}.{}`, the wrapped model", name, w->inner)
                             : fmt::format("load into the wrapped model (`.{}`)", w->inner));
    if (simple) {
      d.fix = diag::Fix{fmt::format("load into `{}.{}`", name, w->inner), false,
                        {{ctx.span(obj), fmt::format("{}.{}", name, w->inner)}}};
    }
    d.data["wrapper"] = w->kind;
    d.data["prefix"] = w->prefix;
    out.push_back(std::move(d));
  }
}

}  // namespace

const Rule& ckg306_state_dict_loaded_into_wrapper() {
  static const Rule rule{kInfo, check};
  return rule;
}

}  // namespace ckg::lint
