// CKG301 nonstrict-load-ignored: `load_state_dict(..., strict=False)` whose result is dropped.
#include <fmt/format.h>

#include "diagnostics/codes.h"
#include "analyzers/rule.h"

namespace ckg::lint {
namespace {

using parse::Field;
using parse::Kind;
using parse::field;

const diag::RuleInfo kInfo = diag::rule("CKG301", R"(## What it does
Flags `model.load_state_dict(state, strict=False)` when the value it returns — the
`missing_keys` and `unexpected_keys` it skipped — is discarded: the call is a statement of its
own, or its result is assigned to names that are never read.

## Why is this bad?
`strict=False` turns every key mismatch into a silent no-op. When a layer is renamed, a
wrapper prefix (`module.`) is left in the keys, or a checkpoint belongs to another model, the
model keeps its random initialisation for the affected weights and nothing fails — until the
accuracy does, weeks later. The return value is the only record of what was skipped.

## Example
```python
model.load_state_dict(torch.load(path, weights_only=True), strict=False)
```

## Use instead
Load strictly, or check what was skipped:
```python
result = model.load_state_dict(state, strict=False)
assert not result.unexpected_keys, result.unexpected_keys
assert set(result.missing_keys) <= {"head.weight", "head.bias"}, result.missing_keys
```
Assigning the result to `_` marks the drop as deliberate and is not reported.)");

// The names an assignment target binds, when it is made only of plain names.
bool plain_names(const Context& ctx, TSNode target, std::vector<std::string>& out) {
  target = unparenthesize(target);
  if (is_kind(target, Kind::k_identifier)) {
    out.emplace_back(ctx.text(target));
    return true;
  }
  Kind k = parse::kind(target);
  if (k != Kind::k_pattern_list && k != Kind::k_tuple_pattern && k != Kind::k_list_pattern) return false;
  for (TSNode c : parse::named_children(target)) {
    if (!plain_names(ctx, c, out)) return false;
  }
  return true;
}

void check(const Context& ctx, std::vector<diag::Diagnostic>& out) {
  for (TSNode call : ctx.calls()) {
    if (ctx.method_name(call) != "load_state_dict") continue;
    TSNode strict = ctx.keyword(call, "strict");
    TSNode flagged = ts_node_is_null(strict) ? TSNode{} : ts_node_parent(strict);
    if (ts_node_is_null(strict)) {
      // `model.load_state_dict(sd, False)`; not `nn.Module.load_state_dict(self, sd, False)`.
      auto args = ctx.positional(call);
      if (args.size() >= 2 && ctx.qualified_name(ctx.method_object(call)).empty()) strict = args[1];
      flagged = strict;
    }
    if (!is_false(strict)) continue;

    TSNode p = parent_skipping_parens(call);
    std::string message;
    if (is_kind(p, Kind::k_expression_statement)) {
      message = "`load_state_dict(..., strict=False)` discards the missing and unexpected keys it skipped";
    } else if (is_kind(p, Kind::k_assignment) && ts_node_eq(unparenthesize(field(p, Field::right)), call)) {
      std::vector<std::string> names;
      if (!plain_names(ctx, field(p, Field::left), names)) continue;  // stored in an attribute or item
      TSNode scope = ctx.scope_of(call);
      bool read = false;
      for (const auto& n : names) read = read || n == "_" || ctx.is_read(scope, n);
      if (read) continue;
      message = fmt::format("`load_state_dict(..., strict=False)` result `{}` is never read, so skipped keys go unnoticed",
                            ctx.text(field(p, Field::left)));
    } else {
      continue;  // returned, passed on, or otherwise used
    }
    out.push_back(ctx.make(kInfo, flagged, std::move(message),
                           "check the result's `missing_keys` and `unexpected_keys`, or load with `strict=True`"));
  }
}

}  // namespace

const Rule& ckg301_nonstrict_load_ignored() {
  static const Rule rule{kInfo, check};
  return rule;
}

}  // namespace ckg::lint
