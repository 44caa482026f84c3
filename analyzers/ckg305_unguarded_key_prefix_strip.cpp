// CKG305 unguarded-key-prefix-strip: `k[7:]` / `k.replace("module.", "")` on state_dict keys.
#include <fmt/format.h>

#include "diagnostics/codes.h"
#include "analyzers/rule.h"

namespace ckg::lint {
namespace {

using parse::Field;
using parse::Kind;
using parse::field;
using parse::kind;
using parse::named_children;

const diag::RuleInfo kInfo = diag::rule("CKG305", R"(## What it does
Flags the two common hand-written ways of removing a `DataParallel` (`module.`) or
`torch.compile` (`_orig_mod.`) prefix from state_dict keys when nothing checks that the key
actually starts with it:
- slicing a loop key by the prefix length, `k[7:]` or `k[len("module."):]` (`k[10:]` for
  `_orig_mod.`), with no `k.startswith(...)` test in the loop;
- `k.replace("module.", "")`, which deletes the text anywhere in the key.

## Why is this bad?
`k[7:]` mangles every key that was not prefixed — a checkpoint saved from the plain model
becomes `1.weight`, `ght` ... and fails to load, or with `strict=False` loads nothing.
`replace` also rewrites keys of submodules that are legitimately named `module`
(`blocks.0.module.weight`, activation-checkpoint and quantization wrappers), producing keys
that no longer exist in the model.

## Example
```python
state = {k[7:]: v for k, v in checkpoint["state_dict"].items()}
state = {k.replace("module.", ""): v for k, v in state.items()}
```

## Use instead
```python
state = {k.removeprefix("module."): v for k, v in state.items()}
# or, in place:
torch.nn.modules.utils.consume_prefix_in_state_dict_if_present(state, "module.")
```)");

std::string compact(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c != ' ' && c != '\t' && c != '\n' && c != '\\') out += c == '\'' ? '"' : c;
  }
  return out;
}

// The for statement or comprehension that binds `name` around `node`, or a null node.
TSNode binding_loop(const Context& ctx, TSNode node, std::string_view name) {
  for (TSNode p = ts_node_parent(node); !ts_node_is_null(p); p = ts_node_parent(p)) {
    Kind k = kind(p);
    if (k == Kind::k_function_definition || k == Kind::k_lambda || k == Kind::k_class_definition) break;
    std::vector<TSNode> clauses;
    if (k == Kind::k_for_statement) clauses.push_back(p);
    if (k == Kind::k_dictionary_comprehension || k == Kind::k_list_comprehension || k == Kind::k_set_comprehension ||
        k == Kind::k_generator_expression) {
      for (TSNode c : named_children(p)) {
        if (is_kind(c, Kind::k_for_in_clause)) clauses.push_back(c);
      }
    }
    for (TSNode c : clauses) {
      TSNode left = field(c, Field::left);
      std::vector<TSNode> stack{left};
      while (!stack.empty()) {
        TSNode n = stack.back();
        stack.pop_back();
        if (is_kind(n, Kind::k_identifier) && ctx.text(n) == name) return p;
        for (TSNode x : named_children(n)) stack.push_back(x);
      }
    }
  }
  return TSNode{};
}

// Whether the text around the strip tests the key's prefix.
bool guarded(std::string_view around, std::string_view key) {
  std::string t = compact(around);
  std::string k(key);
  for (const std::string& g : {k + ".startswith(", k + "[:", k + "[0:", "in" + k + ":", "in" + k + ")"}) {
    if (t.find(g) != std::string::npos) return true;
  }
  return false;
}

// Text of the nearest enclosing `if` conditions and the function, where a guard can live.
bool guarded_by_enclosing_if(const Context& ctx, TSNode node, std::string_view key) {
  for (TSNode p = ts_node_parent(node); !ts_node_is_null(p); p = ts_node_parent(p)) {
    Kind k = kind(p);
    if (k == Kind::k_function_definition || k == Kind::k_lambda || k == Kind::k_class_definition) break;
    if (k == Kind::k_if_statement || k == Kind::k_elif_clause || k == Kind::k_while_statement) {
      if (guarded(ctx.text(field(p, Field::condition)), key)) return true;
    }
    if (k == Kind::k_conditional_expression && named_children(p).size() == 3 &&
        guarded(ctx.text(named_children(p)[1]), key)) {
      return true;
    }
  }
  return false;
}

bool mentions_state_dicts(const Context& ctx, TSNode node) {
  std::string_view t = ctx.text(ctx.scope_of(node));
  return t.find("state_dict") != std::string_view::npos || t.find("module.") != std::string_view::npos ||
         t.find("_orig_mod") != std::string_view::npos;
}

void flag(const Context& ctx, TSNode node, std::string_view key, std::string_view prefix, std::string message,
          std::vector<diag::Diagnostic>& out) {
  auto d = ctx.make(kInfo, node, std::move(message),
                    fmt::format("strip only a leading prefix: `{}.removeprefix(\"{}\")`, or "
                                "`consume_prefix_in_state_dict_if_present(state_dict, \"{}\")`",
                                key, prefix, prefix));
  d.fix = diag::Fix{fmt::format("use `{}.removeprefix(\"{}\")`", key, prefix), false,
                    {{ctx.span(node), fmt::format("{}.removeprefix(\"{}\")", key, prefix)}}};
  d.data["prefix"] = prefix;
  out.push_back(std::move(d));
}

void check_slice(const Context& ctx, TSNode sub, std::vector<diag::Diagnostic>& out) {
  TSNode obj = field(sub, Field::value);
  TSNode index = field(sub, Field::subscript);
  if (!is_kind(obj, Kind::k_identifier) || !is_kind(index, Kind::k_slice)) return;
  std::string s = compact(ctx.text(index));
  std::string prefix;
  if (s == "7:" || s == "len(\"module.\"):") prefix = "module.";
  else if (s == "10:" || s == "len(\"_orig_mod.\"):") prefix = "_orig_mod.";
  else return;
  std::string_view key = ctx.text(obj);
  TSNode loop = binding_loop(ctx, sub, key);
  if (ts_node_is_null(loop) || guarded(ctx.text(loop), key) || guarded_by_enclosing_if(ctx, sub, key)) return;
  if (!mentions_state_dicts(ctx, sub)) return;
  flag(ctx, sub, key, prefix,
       fmt::format("`{}` cuts {} characters from every key, whether or not it starts with `{}`", ctx.text(sub),
                   prefix.size(), prefix),
       out);
}

void check_replace(const Context& ctx, TSNode call, std::vector<diag::Diagnostic>& out) {
  if (ctx.method_name(call) != "replace") return;
  auto args = ctx.positional(call);
  if (args.size() < 2 || !is_kind(args[0], Kind::k_string) || !is_kind(args[1], Kind::k_string)) return;
  std::string from = compact(ctx.text(args[0]));
  std::string to = compact(ctx.text(args[1]));
  std::string prefix;
  if (from == "\"module.\"") prefix = "module.";
  else if (from == "\"_orig_mod.\"") prefix = "_orig_mod.";
  else return;
  if (to != "\"\"") return;
  TSNode obj = ctx.method_object(call);
  std::string_view key = ctx.text(obj);
  TSNode loop = is_kind(obj, Kind::k_identifier) ? binding_loop(ctx, call, key) : TSNode{};
  if (!ts_node_is_null(loop) && guarded(ctx.text(loop), key)) return;
  if (guarded_by_enclosing_if(ctx, call, key)) return;
  flag(ctx, call, key, prefix,
       fmt::format("`{}` also deletes `{}` inside keys, such as `blocks.0.{}weight`", ctx.text(call), prefix, prefix),
       out);
}

void check(const Context& ctx, std::vector<diag::Diagnostic>& out) {
  for (TSNode call : ctx.calls()) check_replace(ctx, call, out);
  for (TSNode sub : ctx.subscripts()) check_slice(ctx, sub, out);
}

}  // namespace

const Rule& ckg305_unguarded_key_prefix_strip() {
  static const Rule rule{kInfo, check};
  return rule;
}

}  // namespace ckg::lint
