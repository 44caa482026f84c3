// CKG303 environment-dependent-module: submodules, parameters or buffers created or not
// depending on the machine (CUDA, world size, environment variables) instead of configuration.
#include <algorithm>
#include <cctype>
#include <map>

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

const diag::RuleInfo kInfo = diag::rule("CKG303", R"(## What it does
Flags an `if` (or conditional expression) inside the methods of a class with a base class
(an `nn.Module`, directly or not) whose condition reads the
runtime environment — `torch.cuda.is_available()`, `torch.cuda.device_count()`,
`torch.distributed.get_world_size()`, `torch.backends.*.is_available()`, `os.environ`,
`os.getenv`, `sys.platform`, `platform.system()`, `torch.__version__`, directly or through a
local variable — and whose branches register different submodules, parameters or persistent
buffers on `self` (`self.x = nn.Linear(...)`, `self.register_buffer(...)`, `add_module`,
`nn.Parameter`).

## Why is this bad?
The state_dict's keys then depend on the machine that builds the model. A checkpoint trained
on a GPU box does not load on a CPU-only inference host (missing or unexpected keys), or
loads partially with `strict=False`. The same model class must build the same keys
everywhere; only its configuration should choose the architecture.

## Example
```python
class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Linear(16, 16)
        if torch.cuda.is_available():
            self.fused = FusedHead(16)
        else:
            self.head = nn.Linear(16, 4)
```

## Use instead
```python
class Net(nn.Module):
    def __init__(self, fused_head: bool = False):
        super().__init__()
        self.body = nn.Linear(16, 16)
        self.head = FusedHead(16) if fused_head else nn.Linear(16, 4)  # same keys either way
```
Pick the device with `.to(device)` after construction; keep device checks out of
`__init__`'s choice of layers. Branches that build modules with identical state_dicts
(`BatchNorm2d` vs `SyncBatchNorm`) are not reported.)");

bool is_env_call(std::string_view q) {
  static const char* const names[] = {
      "torch.cuda.is_available", "torch.cuda.device_count", "torch.cuda.get_device_capability",
      "torch.cuda.get_device_name", "torch.cuda.get_device_properties", "torch.cuda.is_bf16_supported",
      "torch.backends.cudnn.is_available", "torch.backends.mps.is_available", "torch.backends.mps.is_built",
      "torch.backends.mkldnn.is_available", "torch.backends.cuda.is_built", "torch.backends.openmp.is_available",
      "torch.distributed.is_available", "torch.distributed.is_initialized", "torch.distributed.get_world_size",
      "torch.distributed.get_rank", "torch.xpu.is_available", "os.getenv", "os.environ.get",
      "platform.system", "platform.machine", "platform.processor", "os.cpu_count", "multiprocessing.cpu_count",
      "socket.gethostname"};
  return std::any_of(std::begin(names), std::end(names), [&](const char* n) { return q == n; });
}

bool is_env_value(std::string_view q) {
  static const char* const names[] = {"os.environ", "sys.platform", "torch.version.cuda", "torch.version.hip",
                                      "torch.__version__", "torch.backends.cudnn.enabled", "torch.has_cuda",
                                      "torch.has_mps"};
  return std::any_of(std::begin(names), std::end(names), [&](const char* n) { return q == n; });
}

// The sub-expression of `expr` that reads the environment, following local names (two steps).
TSNode env_source(const Context& ctx, TSNode expr, int depth) {
  std::vector<TSNode> work{expr};
  while (!work.empty()) {
    TSNode n = work.back();
    work.pop_back();
    Kind k = kind(n);
    if (k == Kind::k_call && is_env_call(ctx.callee(n))) return n;
    if ((k == Kind::k_attribute || k == Kind::k_identifier) && is_env_value(ctx.qualified_name(n))) return n;
    if (k == Kind::k_identifier && depth < 2) {
      TSNode p = ts_node_parent(n);
      bool attr_name = is_kind(p, Kind::k_attribute) && ts_node_eq(field(p, Field::attribute), n);
      if (!attr_name) {
        TSNode v = ctx.last_value(ctx.scope_of(n), ctx.text(n), ts_node_start_byte(n));
        if (!ts_node_is_null(v)) {
          TSNode r = env_source(ctx, v, depth + 1);
          if (!ts_node_is_null(r)) return r;
        }
      }
    }
    if (k == Kind::k_lambda || k == Kind::k_function_definition) continue;
    const auto& kids = named_children(n);
    for (auto it = kids.rbegin(); it != kids.rend(); ++it) work.push_back(*it);
  }
  return TSNode{};
}

std::string_view last_segment(std::string_view q) {
  std::size_t dot = q.rfind('.');
  return dot == std::string_view::npos ? q : q.substr(dot + 1);
}

// What a value assigned to `self.x` registers: a class name for modules ("Linear"), "parameter",
// or "" when it registers nothing (None, tensors, numbers, ...).
std::string registered_kind(const Context& ctx, TSNode value) {
  value = unparenthesize(value);
  if (!is_kind(value, Kind::k_call)) return {};
  std::string q = ctx.callee(value);
  if (q.rfind("torch.nn.", 0) == 0) {
    std::string_view last = last_segment(q);
    if (last.empty() || !std::isupper(static_cast<unsigned char>(last[0]))) return {};
    if (q.find(".functional.") != std::string::npos || q.find(".init.") != std::string::npos) return {};
    if (last == "Parameter") return "parameter";
    // Same state_dict, different class: not a key difference.
    if (last == "SyncBatchNorm" || last.rfind("BatchNorm", 0) == 0) return "BatchNorm";
    return std::string(last);
  }
  TSNode fn = field(value, Field::function);
  if (is_kind(fn, Kind::k_identifier) && ctx.is_local_module_class(ctx.text(fn))) return std::string(ctx.text(fn));
  return {};
}

struct Registration {
  std::string kind;
  TSNode where;
};
using Registrations = std::map<std::string, Registration>;  // attribute -> what and where

void collect_registrations(const Context& ctx, TSNode block, Registrations& out) {
  std::vector<TSNode> work{block};
  while (!work.empty()) {
    TSNode n = work.back();
    work.pop_back();
    Kind k = kind(n);
    if (k == Kind::k_function_definition || k == Kind::k_class_definition || k == Kind::k_lambda) continue;
    if (k == Kind::k_assignment) {
      TSNode t = field(n, Field::left);
      if (is_kind(t, Kind::k_attribute) && ctx.text(field(t, Field::object)) == "self") {
        std::string what = registered_kind(ctx, field(n, Field::right));
        if (!what.empty()) out.emplace(std::string(ctx.text(field(t, Field::attribute))), Registration{what, t});
      }
    } else if (k == Kind::k_call) {
      std::string_view m = ctx.method_name(n);
      bool on_self = ctx.text(ctx.method_object(n)) == "self";
      auto args = ctx.positional(n);
      if (on_self && (m == "register_buffer" || m == "register_parameter" || m == "add_module") && !args.empty() &&
          is_kind(args[0], Kind::k_string)) {
        TSNode persistent = ctx.keyword(n, "persistent");
        bool keyless = m == "register_buffer" && (is_false(persistent) || (args.size() >= 3 && is_false(args[2])));
        std::string name(ctx.text(args[0]));
        if (!keyless && name.size() >= 2) {
          out.emplace(name.substr(1, name.size() - 2),
                      Registration{m == "register_buffer" ? "buffer" : m == "register_parameter" ? "parameter" : "module", n});
        }
      }
    }
    const auto& kids = named_children(n);
    for (auto it = kids.rbegin(); it != kids.rend(); ++it) work.push_back(*it);
  }
}

std::string describe(const Context& ctx, TSNode condition, TSNode source) {
  std::string_view c = ctx.text(condition);
  if (c.size() <= 60 && c.find('\n') == std::string_view::npos) return std::string(c);
  return std::string(ctx.text(source));
}

void report(const Context& ctx, TSNode at, const std::vector<Registrations>& branches, const std::string& cond,
            bool two_way, std::vector<diag::Diagnostic>& out) {
  std::map<std::string, std::vector<std::string>> kinds;  // attr -> kind per branch
  for (std::size_t b = 0; b < branches.size(); ++b) {
    for (const auto& [attr, r] : branches[b]) {
      auto& v = kinds[attr];
      v.resize(branches.size());
      v[b] = r.kind;
    }
  }
  std::vector<std::string> differing;
  std::string first_message;
  for (auto& [attr, per_branch] : kinds) {
    per_branch.resize(branches.size());
    if (std::all_of(per_branch.begin(), per_branch.end(), [&](const std::string& k) { return k == per_branch[0]; })) {
      continue;
    }
    differing.push_back(attr);
    if (!first_message.empty()) continue;
    bool only_first = two_way && !per_branch[0].empty() && per_branch[1].empty();
    bool only_second = two_way && per_branch[0].empty() && !per_branch[1].empty();
    if (only_first || only_second) {
      first_message = fmt::format("`self.{}` exists only when `{}` is {}", attr, cond, only_first ? "true" : "false");
    } else if (two_way) {
      first_message = fmt::format("`self.{}` is a `{}` or a `{}` depending on `{}`", attr, per_branch[0], per_branch[1], cond);
    } else {
      first_message = fmt::format("whether and how `self.{}` is created depends on `{}`", attr, cond);
    }
  }
  if (differing.empty()) return;
  if (differing.size() > 1) first_message += fmt::format(" (and {} more: `{}`)", differing.size() - 1, fmt::join(differing.begin() + 1, differing.end(), "`, `"));
  auto d = ctx.make(kInfo, at, first_message + "; the state_dict keys depend on the machine",
                    "choose the layers from a constructor argument, not the runtime environment");
  d.data["attributes"] = differing;
  d.data["condition"] = cond;
  out.push_back(std::move(d));
}

void check_if(const Context& ctx, TSNode stmt, std::vector<diag::Diagnostic>& out) {
  std::vector<TSNode> conditions{field(stmt, Field::condition)};
  std::vector<TSNode> blocks{field(stmt, Field::consequence)};
  bool has_else = false;
  for (TSNode alt : parse::field_children(stmt, Field::alternative)) {
    if (is_kind(alt, Kind::k_elif_clause)) {
      conditions.push_back(field(alt, Field::condition));
      blocks.push_back(field(alt, Field::consequence));
    } else if (is_kind(alt, Kind::k_else_clause)) {
      blocks.push_back(field(alt, Field::body));
      has_else = true;
    }
  }
  TSNode source{}, condition{};
  for (TSNode c : conditions) {
    if (ts_node_is_null(c)) continue;
    source = env_source(ctx, c, 0);
    if (!ts_node_is_null(source)) {
      condition = c;
      break;
    }
  }
  if (ts_node_is_null(source)) return;
  std::vector<Registrations> branches(blocks.size() + (has_else ? 0 : 1));
  for (std::size_t i = 0; i < blocks.size(); ++i) {
    if (!ts_node_is_null(blocks[i])) collect_registrations(ctx, blocks[i], branches[i]);
  }
  bool two_way = branches.size() == 2 && conditions.size() == 1;
  report(ctx, condition, branches, describe(ctx, condition, source), two_way, out);
}

void check_conditional_value(const Context& ctx, TSNode assignment, std::vector<diag::Diagnostic>& out) {
  TSNode t = field(assignment, Field::left);
  TSNode v = unparenthesize(field(assignment, Field::right));
  if (!is_kind(t, Kind::k_attribute) || ctx.text(field(t, Field::object)) != "self") return;
  if (!is_kind(v, Kind::k_conditional_expression) || named_children(v).size() != 3) return;
  TSNode cond = named_children(v)[1];
  TSNode source = env_source(ctx, cond, 0);
  if (ts_node_is_null(source)) return;
  std::string attr(ctx.text(field(t, Field::attribute)));
  std::vector<Registrations> branches(2);
  for (int b = 0; b < 2; ++b) {
    std::string k = registered_kind(ctx, named_children(v)[b == 0 ? 0 : 2]);
    if (!k.empty()) branches[b].emplace(attr, Registration{k, t});
  }
  report(ctx, cond, branches, describe(ctx, cond, source), true, out);
}

// Classes without a base (or only `object`) are not modules: their attributes are no state_dict.
bool may_be_module(const Context& ctx, TSNode cls) {
  TSNode bases = field(cls, Field::superclasses);
  if (ts_node_is_null(bases)) return false;
  for (TSNode b : named_children(bases)) {
    if (is_kind(b, Kind::k_keyword_argument)) continue;
    if (ctx.text(b) != "object") return true;
  }
  return false;
}

void check(const Context& ctx, std::vector<diag::Diagnostic>& out) {
  auto in_module_method = [&](TSNode n) {
    TSNode cls = ctx.class_of(n);
    return !ts_node_is_null(cls) && may_be_module(ctx, cls) && is_kind(ctx.scope_of(n), Kind::k_function_definition);
  };
  for (TSNode stmt : ctx.if_statements()) {
    if (in_module_method(stmt)) check_if(ctx, stmt, out);
  }
  for (const Assignment& a : ctx.assignments()) {
    if (in_module_method(a.statement)) check_conditional_value(ctx, a.statement, out);
  }
}

}  // namespace

const Rule& ckg303_environment_dependent_module() {
  static const Rule rule{kInfo, check};
  return rule;
}

}  // namespace ckg::lint
