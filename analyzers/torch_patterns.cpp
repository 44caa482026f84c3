// Shared recognisers for checkpoint saves, wrappers, optimizers and whole-module values.
#include "analyzers/torch_patterns.h"

#include <algorithm>
#include <cctype>
#include <climits>
#include <optional>

namespace ckg::lint {

using parse::Field;
using parse::Kind;
using parse::field;
using parse::kind;
using parse::named_children;

namespace {

constexpr int kMaxDepth = 4;

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string_view last_segment(std::string_view q) {
  std::size_t dot = q.rfind('.');
  return dot == std::string_view::npos ? q : q.substr(dot + 1);
}

// Start of the assignment that binds `value`, so that following a name from there finds the
// binding before it (`model = model.to(device)` looks further back for `model`).
uint32_t binding_start(TSNode value) {
  TSNode top = value;
  for (TSNode p = ts_node_parent(value); !ts_node_is_null(p); p = ts_node_parent(p)) {
    Kind k = kind(p);
    if (k == Kind::k_assignment) top = p;
    else if (k != Kind::k_parenthesized_expression) break;
  }
  return ts_node_start_byte(top);
}

bool capitalized(std::string_view s) { return !s.empty() && std::isupper(static_cast<unsigned char>(s[0])); }

// Methods of nn.Module that return the module itself.
bool returns_self(std::string_view method) {
  static const char* const names[] = {"to", "cuda", "cpu", "half", "float", "double", "bfloat16", "train",
                                      "eval", "requires_grad_", "share_memory", "to_empty", "type"};
  return std::any_of(std::begin(names), std::end(names), [&](const char* n) { return method == n; });
}

std::optional<std::string> string_value(const Context& ctx, TSNode node) {
  node = unparenthesize(node);
  if (!is_kind(node, Kind::k_string)) return std::nullopt;
  std::string out;
  for (TSNode c : named_children(node)) {
    if (is_kind(c, Kind::k_interpolation)) return std::nullopt;
    if (is_kind(c, Kind::k_string_content)) out += ctx.text(c);
  }
  return out;
}

std::optional<Wrapper> wrapper_call(const Context& ctx, TSNode call) {
  std::string q = ctx.callee(call);
  if (q.empty()) return std::nullopt;
  if (q == "torch.compile") return Wrapper{"torch.compile", "_orig_mod.", "_orig_mod"};
  if (q.rfind("torch.nn.", 0) != 0) return std::nullopt;
  std::string_view last = last_segment(q);
  if (last == "DataParallel") return Wrapper{"DataParallel", "module.", "module"};
  if (last == "DistributedDataParallel") return Wrapper{"DistributedDataParallel", "module.", "module"};
  return std::nullopt;
}

std::optional<Wrapper> wrapper_of_impl(const Context& ctx, TSNode expr, uint32_t at, int depth);

// The value of `self.attr` seen from `expr`'s class: a wrapper when some method assigns one and
// none unwraps it again.
std::optional<Wrapper> wrapper_attribute(const Context& ctx, TSNode expr, int depth) {
  TSNode obj = field(expr, Field::object);
  TSNode cls = ctx.class_of(expr);
  if (ts_node_is_null(cls) || ctx.text(obj) != "self") return std::nullopt;
  std::optional<Wrapper> found;
  for (TSNode v : ctx.attribute_values(cls, ctx.text(field(expr, Field::attribute)))) {
    if (ts_node_is_null(v)) continue;
    TSNode u = unparenthesize(v);
    if (is_kind(u, Kind::k_attribute)) {
      std::string_view a = ctx.text(field(u, Field::attribute));
      if (a == "module" || a == "_orig_mod") return std::nullopt;
    }
    if (auto w = wrapper_of_impl(ctx, v, binding_start(v), depth + 1)) found = w;
  }
  return found;
}

std::optional<Wrapper> wrapper_of_impl(const Context& ctx, TSNode expr, uint32_t at, int depth) {
  expr = unparenthesize(expr);
  if (ts_node_is_null(expr) || depth > kMaxDepth) return std::nullopt;
  switch (kind(expr)) {
    case Kind::k_call: {
      if (auto w = wrapper_call(ctx, expr)) return w;
      if (returns_self(ctx.method_name(expr))) return wrapper_of_impl(ctx, ctx.method_object(expr), at, depth + 1);
      return std::nullopt;
    }
    case Kind::k_identifier: {
      TSNode scope = ctx.scope_of(expr);
      bool found = false;
      TSNode v = ctx.last_value(scope, ctx.text(expr), at, &found);
      if (!ts_node_is_null(v)) return wrapper_of_impl(ctx, v, binding_start(v), depth + 1);
      return std::nullopt;
    }
    case Kind::k_attribute: return wrapper_attribute(ctx, expr, depth);
    default: return std::nullopt;
  }
}

void payload_impl(const Context& ctx, TSNode node, uint32_t at, int depth, Payload& out) {
  node = unparenthesize(node);
  if (ts_node_is_null(node)) return;
  if (depth > kMaxDepth) {
    out.values.push_back(node);
    return;
  }
  switch (kind(node)) {
    case Kind::k_dictionary:
      for (TSNode item : named_children(node)) {
        if (is_kind(item, Kind::k_pair)) {
          if (auto key = string_value(ctx, field(item, Field::key))) out.keys.push_back(*key);
          payload_impl(ctx, field(item, Field::value), at, depth + 1, out);
        } else if (is_kind(item, Kind::k_dictionary_splat) && !named_children(item).empty()) {
          payload_impl(ctx, named_children(item)[0], at, depth + 1, out);
        }
      }
      return;
    case Kind::k_call: {
      if (ctx.method_name(node) == "state_dict") {
        out.state_dicts.push_back(node);
        out.values.push_back(node);
        return;
      }
      TSNode fn = field(node, Field::function);
      if (is_kind(fn, Kind::k_identifier) && ctx.text(fn) == "dict") {
        TSNode args = field(node, Field::arguments);
        for (TSNode a : named_children(args)) {
          if (is_kind(a, Kind::k_keyword_argument)) {
            out.keys.emplace_back(ctx.text(field(a, Field::name)));
            payload_impl(ctx, field(a, Field::value), at, depth + 1, out);
          } else {
            payload_impl(ctx, a, at, depth + 1, out);
          }
        }
        return;
      }
      out.values.push_back(node);
      return;
    }
    case Kind::k_identifier: {
      TSNode scope = ctx.scope_of(node);
      std::string_view name = ctx.text(node);
      TSNode v = unparenthesize(ctx.last_value(scope, name, at));
      bool followed = false;
      // Follow names to containers and state_dicts; other values stay as the name itself, so
      // that findings point into the payload.
      bool container = is_kind(v, Kind::k_dictionary) ||
                       (is_kind(v, Kind::k_call) && (ctx.method_name(v) == "state_dict" ||
                                                     ctx.text(field(v, Field::function)) == "dict"));
      if (container) {
        payload_impl(ctx, v, binding_start(v), depth + 1, out);
        followed = true;
      }
      // `ckpt["model"] = model.state_dict()` after `ckpt = {}`.
      for (const Assignment& a : ctx.assignments()) {
        if (!is_kind(a.target, Kind::k_subscript) || ts_node_start_byte(a.statement) >= at) continue;
        if (ctx.text(field(a.target, Field::value)) != name || !ts_node_eq(a.scope, scope)) continue;
        if (auto key = string_value(ctx, field(a.target, Field::subscript))) out.keys.push_back(*key);
        payload_impl(ctx, a.value, ts_node_start_byte(a.statement), depth + 1, out);
        followed = true;
      }
      if (!followed) out.values.push_back(node);
      return;
    }
    default: out.values.push_back(node); return;
  }
}

bool module_name_heuristic(std::string_view name) {
  std::string n = lower(name);
  auto ends = [&](std::string_view s) { return n.size() > s.size() && n.compare(n.size() - s.size(), s.size(), s) == 0; };
  return n == "model" || n == "net" || n == "network" || n == "module" || ends("_model") || ends("_net") ||
         ends("_module");
}

// A call whose result ckptguard cannot classify: not a state_dict, not a torch function that
// returns tensors (torch.load may return anything).
bool is_opaque_call(const Context& ctx, TSNode value) {
  value = unparenthesize(value);
  if (!is_kind(value, Kind::k_call)) return false;
  std::string_view m = ctx.method_name(value);
  if (m == "state_dict" || m == "items" || m == "keys" || m == "values" || m == "copy") return false;
  std::string q = ctx.callee(value);
  if (q.rfind("torch.", 0) == 0) return q == "torch.load" || q == "torch.hub.load";
  TSNode fn = field(value, Field::function);
  if (is_kind(fn, Kind::k_identifier)) {
    std::string_view f = ctx.text(fn);
    if (f == "dict" || f == "list" || f == "tuple" || f == "OrderedDict" || f == "str" || f == "len") return false;
  }
  return true;
}

bool is_module_constructor(const Context& ctx, TSNode call) {
  std::string q = ctx.callee(call);
  if (!q.empty()) {
    if (wrapper_call(ctx, call)) return true;
    if (q.rfind("torch.nn.", 0) != 0) return false;
    if (q.find(".functional.") != std::string::npos || q.find(".utils.") != std::string::npos ||
        q.find(".init.") != std::string::npos) {
      return false;
    }
    std::string_view last = last_segment(q);
    return capitalized(last) && last.find("Parameter") == std::string_view::npos;
  }
  TSNode fn = field(call, Field::function);
  return is_kind(fn, Kind::k_identifier) && ctx.is_local_module_class(ctx.text(fn));
}

}  // namespace

std::string last_name(const Context& ctx, TSNode expr) {
  expr = unparenthesize(expr);
  if (is_kind(expr, Kind::k_identifier)) return std::string(ctx.text(expr));
  if (is_kind(expr, Kind::k_attribute)) {
    std::string_view a = ctx.text(field(expr, Field::attribute));
    if (a == "module" || a == "_orig_mod") return last_name(ctx, field(expr, Field::object));
    return std::string(a);
  }
  if (is_kind(expr, Kind::k_subscript)) return last_name(ctx, field(expr, Field::value));
  return {};
}

namespace {

// An in-memory buffer (`io.BytesIO()`, directly or through a local name): serialising into it
// sends objects between processes or tests pickling; it writes no checkpoint.
bool is_memory_buffer(const Context& ctx, TSNode target) {
  target = unparenthesize(target);
  if (is_kind(target, Kind::k_identifier)) {
    target = unparenthesize(ctx.last_value(ctx.scope_of(target), ctx.text(target), ts_node_start_byte(target)));
  }
  if (!is_kind(target, Kind::k_call)) return false;
  std::string q = ctx.callee(target);
  return q == "io.BytesIO" || (q.empty() && ctx.text(field(target, Field::function)) == "BytesIO");
}

// `torch.save(obj, f)` and friends, without following helper functions.
TSNode direct_payload(const Context& ctx, TSNode call) {
  std::string q = ctx.callee(call);
  if (q == "torch.save" || q == "torch.serialization.save") {
    auto args = ctx.positional(call);
    TSNode target = args.size() >= 2 ? args[1] : ctx.keyword(call, "f");
    if (!ts_node_is_null(target) && is_memory_buffer(ctx, target)) return TSNode{};
    if (!args.empty()) return args[0];
    return ctx.keyword(call, "obj");
  }
  if (q == "safetensors.torch.save_file") {
    auto args = ctx.positional(call);
    if (!args.empty()) return args[0];
    return ctx.keyword(call, "tensors");
  }
  return TSNode{};
}

// The parameters of a function definition, in order, by name.
std::vector<std::string> parameter_names(const Context& ctx, TSNode fn) {
  std::vector<std::string> out;
  TSNode params = field(fn, Field::parameters);
  for (TSNode p : named_children(params)) {
    TSNode id = is_kind(p, Kind::k_identifier) ? p : field(p, Field::name);
    if (ts_node_is_null(id) && !named_children(p).empty() && is_kind(named_children(p)[0], Kind::k_identifier)) {
      id = named_children(p)[0];
    }
    out.emplace_back(ts_node_is_null(id) ? std::string_view{} : ctx.text(id));
  }
  return out;
}

// A helper such as `def save_checkpoint(state, path): torch.save(state, path)`: the index of the
// parameter it saves, or -1.
int saved_parameter(const Context& ctx, TSNode fn) {
  for (TSNode call : ctx.calls_in(fn)) {
    TSNode payload = unparenthesize(direct_payload(ctx, call));
    if (!is_kind(payload, Kind::k_identifier) || !ts_node_eq(ctx.scope_of(call), fn)) continue;
    auto names = parameter_names(ctx, fn);
    for (std::size_t i = 0; i < names.size(); ++i) {
      if (names[i] == ctx.text(payload)) return static_cast<int>(i);
    }
  }
  return -1;
}

}  // namespace

TSNode saved_payload(const Context& ctx, TSNode call) {
  TSNode direct = direct_payload(ctx, call);
  if (!ts_node_is_null(direct)) return direct;
  // One level of helper functions defined in this file: `save_checkpoint({...}, is_best)`.
  TSNode fn = field(call, Field::function);
  bool method = false;
  std::string_view name;
  if (is_kind(fn, Kind::k_identifier)) {
    name = ctx.text(fn);
  } else if (is_kind(fn, Kind::k_attribute) && ctx.text(field(fn, Field::object)) == "self") {
    name = ctx.text(field(fn, Field::attribute));
    method = true;
  } else {
    return TSNode{};
  }
  for (TSNode def : ctx.functions(name)) {
    TSNode holder = ts_node_parent(def);
    if (is_kind(holder, Kind::k_decorated_definition)) holder = ts_node_parent(holder);
    bool is_method = is_kind(holder, Kind::k_block) && is_kind(ts_node_parent(holder), Kind::k_class_definition);
    if (method != is_method) continue;
    int index = saved_parameter(ctx, def);
    if (index < 0) continue;
    auto names = parameter_names(ctx, def);
    TSNode by_name = ctx.keyword(call, names[index]);
    if (!ts_node_is_null(by_name)) return by_name;
    auto args = ctx.positional(call);
    int position = index - (method ? 1 : 0);
    if (position >= 0 && position < static_cast<int>(args.size())) return args[position];
  }
  return TSNode{};
}

Payload payload_parts(const Context& ctx, TSNode payload, uint32_t at) {
  Payload out;
  payload_impl(ctx, payload, at, 0, out);
  return out;
}

std::optional<Wrapper> wrapper_of(const Context& ctx, TSNode expr, uint32_t at) {
  return wrapper_of_impl(ctx, expr, at, 0);
}

StateOwner state_owner(const Context& ctx, TSNode state_dict_call) {
  TSNode obj = unparenthesize(ctx.method_object(state_dict_call));
  // What the object was built from, when the function or class shows it.
  std::vector<TSNode> sources;
  if (is_kind(obj, Kind::k_identifier)) {
    TSNode v = ctx.last_value(ctx.scope_of(obj), ctx.text(obj), ts_node_start_byte(obj));
    if (!ts_node_is_null(v)) sources.push_back(v);
  } else if (is_kind(obj, Kind::k_attribute) && ctx.text(field(obj, Field::object)) == "self") {
    TSNode cls = ctx.class_of(obj);
    if (!ts_node_is_null(cls)) sources = ctx.attribute_values(cls, ctx.text(field(obj, Field::attribute)));
  }
  for (TSNode v : sources) {
    v = unparenthesize(v);
    if (!is_kind(v, Kind::k_call)) continue;
    std::string q = ctx.callee(v);
    if (q.rfind("torch.optim.lr_scheduler.", 0) == 0 || q.find("GradScaler") != std::string::npos) return StateOwner::other;
    if (q.rfind("torch.optim.", 0) == 0 && capitalized(last_segment(q))) return StateOwner::optimizer;
    if (is_module_constructor(ctx, v)) return StateOwner::model;
  }
  std::string n = lower(last_name(ctx, obj));
  if (n.empty()) return StateOwner::model;
  for (const char* other : {"sched", "scaler", "sampler", "loader", "tokenizer", "generator_state", "rng"}) {
    if (n.find(other) != std::string::npos) return StateOwner::other;
  }
  auto ends = [&](std::string_view s) { return n.size() >= s.size() && n.compare(n.size() - s.size(), s.size(), s) == 0; };
  if (n.find("optim") != std::string::npos || n == "opt" || n.rfind("opt_", 0) == 0 || ends("_opt")) {
    return StateOwner::optimizer;
  }
  return StateOwner::model;
}

bool is_module_value(const Context& ctx, TSNode expr, uint32_t at, int depth) {
  expr = unparenthesize(expr);
  if (ts_node_is_null(expr) || depth > kMaxDepth) return false;
  switch (kind(expr)) {
    case Kind::k_call:
      if (is_module_constructor(ctx, expr)) return true;
      if (returns_self(ctx.method_name(expr)) && ctx.method_name(expr) != "type") {
        return is_module_value(ctx, ctx.method_object(expr), at, depth + 1);
      }
      return false;
    case Kind::k_identifier: {
      std::string_view name = ctx.text(expr);
      if (name == "self") {
        TSNode cls = ctx.class_of(expr);
        return !ts_node_is_null(cls) && ctx.is_local_module_class(ctx.text(field(cls, Field::name)));
      }
      TSNode scope = ctx.scope_of(expr);
      bool found = false;
      TSNode v = ctx.last_value(scope, name, at, &found);
      if (!ts_node_is_null(v)) {
        if (is_module_value(ctx, v, binding_start(v), depth + 1)) return true;
        // `module = self.constructor(...)`, `net = build(cfg)`: what the call returns is unknown,
        // so the name decides; state_dicts, tensors and literals do not.
        return is_opaque_call(ctx, v) && module_name_heuristic(name);
      }
      if (!found && !ts_node_eq(scope, ctx.file().root())) {
        // A global: follow its module-level binding.
        v = ctx.last_value(ctx.file().root(), name, UINT32_MAX, &found);
        if (!ts_node_is_null(v)) return is_module_value(ctx, v, binding_start(v), depth + 1);
      }
      // A parameter, loop variable or name bound elsewhere, called `model`, `net`, ...
      return module_name_heuristic(name);
    }
    case Kind::k_attribute: {
      TSNode obj = field(expr, Field::object);
      std::string_view attr = ctx.text(field(expr, Field::attribute));
      if (ctx.text(obj) != "self") return false;
      TSNode cls = ctx.class_of(expr);
      if (ts_node_is_null(cls)) return false;
      auto values = ctx.attribute_values(cls, attr);
      if (values.empty()) return module_name_heuristic(attr);
      for (TSNode v : values) {
        if (!ts_node_is_null(v) && is_module_value(ctx, v, binding_start(v), depth + 1)) return true;
      }
      return false;
    }
    default: return false;
  }
}

}  // namespace ckg::lint
