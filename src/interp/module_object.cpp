// torch.nn.Module semantics: attribute registration exactly as torch's __setattr__ does it,
// the container modules, and the state_dict key order.
#include <algorithm>
#include <unordered_map>
#include <unordered_set>

#include <fmt/format.h>

#include "interp/interpreter.h"

namespace ckg::interp {

namespace {

bool is_parameter(const Value& v) {
  auto* t = v.as<TensorObj>();
  return t && t->is_parameter;
}

void erase_name(std::vector<std::string>& names, const std::string& name) {
  names.erase(std::remove(names.begin(), names.end(), name), names.end());
}

InstanceObj& module_self(Interpreter& in, CallArgs& a) {
  auto* inst = native_required(in, a, 0, "self").as<InstanceObj>();
  if (!inst || !inst->module) in.raise("TypeError", "descriptor requires a 'Module' object");
  return *inst;
}

void check_name(Interpreter& in, InstanceObj& m, const std::string& name, const char* what,
                const OrderedMap<Value>& own_registry) {
  if (name.find('.') != std::string::npos) in.raise("KeyError", fmt::format("{} name can't contain \".\"", what));
  if (name.empty()) in.raise("KeyError", fmt::format("{} name can't be empty string \"\"", what));
  bool elsewhere = m.attrs.contains(name) || (m.module->parameters.contains(name) && &own_registry != &m.module->parameters) ||
                   (m.module->buffers.contains(name) && &own_registry != &m.module->buffers) ||
                   (m.module->modules.contains(name) && &own_registry != &m.module->modules);
  if (elsewhere && !own_registry.contains(name)) in.raise("KeyError", fmt::format("attribute '{}' already exists", name));
}

void register_parameter(Interpreter& in, InstanceObj& m, const std::string& name, Value param) {
  check_name(in, m, name, "parameter", m.module->parameters);
  if (!param.is_none() && !is_parameter(param)) {
    if (is_unknown(param)) {
      in.note_unknown(param, fmt::format("parameter '{}'", name));
    } else {
      in.raise("TypeError", fmt::format("cannot assign '{}' object to parameter '{}' (torch.nn.Parameter or None required)",
                                        type_name(param), name));
    }
  }
  m.module->parameters.set(name, std::move(param));
  m.module->origins.emplace(name, in.project_statement());
}

void register_buffer(Interpreter& in, InstanceObj& m, const std::string& name, Value tensor, bool persistent) {
  check_name(in, m, name, "buffer", m.module->buffers);
  if (!tensor.is_none() && !tensor.as<TensorObj>()) {
    if (is_unknown(tensor)) in.note_unknown(tensor, fmt::format("buffer '{}'", name));
    else in.raise("TypeError", fmt::format("cannot assign '{}' object to buffer '{}' (torch Tensor or None required)", type_name(tensor), name));
  }
  m.module->buffers.set(name, std::move(tensor));
  erase_name(m.module->non_persistent, name);
  if (!persistent) m.module->non_persistent.push_back(name);
  m.module->origins.emplace(name, in.project_statement());
}

void add_module(Interpreter& in, InstanceObj& m, const std::string& name, Value child) {
  if (!child.is_none() && !in.is_module(child)) {
    if (is_unknown(child)) {
      in.note_unknown(child, fmt::format("submodule '{}'", name));
    } else {
      in.raise("TypeError", fmt::format("{} is not a Module subclass", type_name(child)));
    }
  }
  check_name(in, m, name, "module", m.module->modules);
  m.module->modules.set(name, std::move(child));
  m.module->origins.emplace(name, in.project_statement());
}


// Children of a container in registration order (skipping None, as iteration does).
std::vector<Value> child_modules(InstanceObj& m) {
  std::vector<Value> out;
  for (auto& [k, v] : m.module->modules.items()) {
    if (!v.is_none()) out.push_back(v);
  }
  return out;
}

// Renumbers "0".."n-1" after an insertion or deletion, as ModuleList/Sequential do.
void renumber(OrderedMap<Value>& registry, const std::vector<Value>& values) {
  registry.clear();
  for (std::size_t i = 0; i < values.size(); ++i) registry.set(std::to_string(i), values[i]);
}

std::int64_t checked_index(Interpreter& in, const Value& idx, std::size_t size, const char* what) {
  if (!idx.is_int()) in.raise("TypeError", fmt::format("{} indices must be integers", what));
  std::int64_t i = idx.as_int(), n = static_cast<std::int64_t>(size);
  if (i < 0) i += n;
  if (i < 0 || i >= n) in.raise("IndexError", fmt::format("index {} is out of range", idx.as_int()));
  return i;
}

}  // namespace

void Interpreter::module_setattr(InstanceObj& m, const std::string& name, Value value) {
  ModuleState& s = *m.module;
  auto remove_from = [&](bool params, bool buffers, bool modules) {
    m.attrs.erase(name);
    if (params) s.parameters.erase(name);
    if (buffers) { s.buffers.erase(name); erase_name(s.non_persistent, name); }
    if (modules) s.modules.erase(name);
  };
  if (is_parameter(value)) {
    remove_from(false, true, true);
    register_parameter(*this, m, name, std::move(value));
    return;
  }
  if (s.parameters.contains(name)) {
    if (!value.is_none()) {
      if (is_unknown(value)) {
        note_unknown(value, fmt::format("value assigned to parameter '{}'", name));
        return;
      }
      raise("TypeError", fmt::format("cannot assign '{}' as parameter '{}' (torch.nn.Parameter or None expected)", type_name(value), name));
    }
    s.parameters.set(name, Value::none());
    return;
  }
  if (is_module(value)) {
    remove_from(true, true, false);
    s.modules.set(name, std::move(value));
    s.origins.emplace(name, project_statement());
    return;
  }
  if (s.modules.contains(name)) {
    if (!value.is_none()) {
      if (is_unknown(value)) {
        note_unknown(value, fmt::format("value assigned to submodule '{}'", name));
        return;
      }
      raise("TypeError", fmt::format("cannot assign '{}' as child module '{}' (torch.nn.Module or None expected)", type_name(value), name));
    }
    s.modules.set(name, Value::none());
    return;
  }
  if (s.buffers.contains(name)) {
    if (!value.is_none() && !value.as<TensorObj>()) {
      if (is_unknown(value)) {
        note_unknown(value, fmt::format("value assigned to buffer '{}'", name));
        return;
      }
      raise("TypeError", fmt::format("cannot assign '{}' as buffer '{}' (torch.Tensor or None expected)", type_name(value), name));
    }
    s.buffers.set(name, std::move(value));
    return;
  }
  if (auto* u = value.as<UnknownObj>(); u && u->may_hold_state) {
    // Might have been a module or a Parameter: the keys under this name are unknown.
    note_unknown(value, fmt::format("value assigned to self.{}", name));
  }
  // torch's last resort is object.__setattr__, which honours a property's setter.
  generic_set_attr(Value::object(m.shared_from_this()), name, std::move(value));
}

// Module._modules, _parameters and _buffers: live views of the registries, as torch exposes them.
enum class Registry { modules = 0, parameters = 1, buffers = 2 };

static OrderedMap<Value>& registry_of(Interpreter& in, CallArgs& a) {
  auto* view = native_required(in, a, 0, "self").as<InstanceObj>();
  auto* owner = view ? view->attrs.find("owner") : nullptr;
  auto* which = view ? view->attrs.find("which") : nullptr;
  auto* m = owner ? owner->as<InstanceObj>() : nullptr;
  if (!m || !m->module || !which) in.raise("TypeError", "not a module registry");
  switch (static_cast<Registry>(which->as_int())) {
    case Registry::modules: return m->module->modules;
    case Registry::parameters: return m->module->parameters;
    case Registry::buffers: return m->module->buffers;
  }
  return m->module->modules;
}

std::optional<Value> Interpreter::module_getattr(const Value& self, InstanceObj& m, const std::string& name) {
  static const std::pair<const char*, Registry> views[] = {
      {"_modules", Registry::modules}, {"_parameters", Registry::parameters}, {"_buffers", Registry::buffers}};
  for (auto& [view_name, which] : views) {
    if (name == view_name) {
      auto view = std::make_shared<InstanceObj>(registry_view_class_);
      view->attrs.set("owner", self);
      view->attrs.set("which", Value::integer(static_cast<int>(which)));
      return Value::object(view);
    }
  }
  if (name == "_non_persistent_buffers_set") {
    auto names = std::make_shared<SetObj>();
    for (const auto& n : m.module->non_persistent) names->add(Value::string(n));
    return Value::object(names);
  }
  if (const Value* v = m.module->parameters.find(name)) return *v;
  if (const Value* v = m.module->buffers.find(name)) return *v;
  if (const Value* v = m.module->modules.find(name)) return *v;
  return std::nullopt;
}

bool Interpreter::module_delattr(InstanceObj& m, const std::string& name) {
  ModuleState& s = *m.module;
  if (s.parameters.erase(name)) return true;
  if (s.buffers.erase(name)) { erase_name(s.non_persistent, name); return true; }
  return s.modules.erase(name);
}

static void collect_state(Interpreter& in, const Value& module, const std::string& prefix, const manifest::SourceRange& origin,
                          manifest::KeyManifest& out, std::unordered_map<const Object*, std::string>& first_key, int depth) {
  auto* m = module.as<InstanceObj>();
  if (!m || !m->module) return;
  if (depth > 100) {
    in.note_unresolved(in.here(), "module nesting deeper than 100 (recursive structure?)");
    return;
  }
  const Value* version = m->cls->lookup("_version");
  out.modules.push_back({prefix.empty() ? prefix : prefix.substr(0, prefix.size() - 1), m->cls->name,
                         version && version->is_int() ? static_cast<int>(version->as_int()) : 1, origin.file, origin.line,
                         origin.end_line, m->module->created_at});
  // A name registered by project code points there; one registered inside torch.nn (a layer's
  // own weight) points where the project registered the layer.
  auto origin_of = [&](const std::string& name) -> const manifest::SourceRange& {
    auto it = m->module->origins.find(name);
    return it != m->module->origins.end() && it->second.line > 0 ? it->second : origin;
  };
  auto entry = [&](const std::string& name, const Value& v, manifest::TensorKind kind, std::vector<manifest::KeyEntry>& into) {
    auto* t = v.as<TensorObj>();
    manifest::KeyEntry e;
    e.name = prefix + name;
    e.kind = kind;
    if (t) {
      bool known = t->shape.has_value() &&
                   std::none_of(t->shape->begin(), t->shape->end(), [](std::int64_t d) { return d == kUnknownDim; });
      if (known) e.shape = *t->shape;
      e.dtype = t->dtype;
    }
    const manifest::SourceRange& at = origin_of(name);
    e.origin_file = at.file;
    e.origin_line = at.line;
    e.origin_end_line = at.end_line;
    if (t) {
      auto [it, inserted] = first_key.emplace(v.obj().get(), e.name);
      if (!inserted) e.alias_of = it->second;
    }
    into.push_back(std::move(e));
  };
  for (auto& [name, v] : m->module->parameters.items()) {
    if (!v.is_none()) entry(name, v, manifest::TensorKind::parameter, out.keys);
  }
  for (auto& [name, v] : m->module->buffers.items()) {
    if (v.is_none()) continue;
    entry(name, v, manifest::TensorKind::buffer, m->module->is_persistent(name) ? out.keys : out.non_persistent);
  }
  for (auto& [name, v] : m->module->modules.items()) {
    if (!v.is_none()) collect_state(in, v, prefix + name + ".", origin_of(name), out, first_key, depth + 1);
  }
}

manifest::KeyManifest Interpreter::state_dict_keys(const Value& module) {
  manifest::KeyManifest out;
  std::unordered_map<const Object*, std::string> first_key;
  collect_state(*this, module, "", project_statement(), out, first_key, 0);
  return out;
}

static void walk_modules(Interpreter& in, const Value& v, const std::string& prefix, std::vector<std::pair<std::string, Value>>& out,
                         std::unordered_set<const Object*>& seen);

namespace {

bool is_project_function(const Value& v) {
  const FunctionObj* fn = v.as<FunctionObj>();
  if (auto* bound = v.as<BoundMethodObj>()) fn = bound->func.as<FunctionObj>();
  return fn && fn->file && fn->file->path().rfind("<ckptguard>", 0) != 0;
}

manifest::SourceRange definition_of(const Value& v) {
  const FunctionObj* fn = v.as<FunctionObj>();
  if (auto* bound = v.as<BoundMethodObj>()) fn = bound->func.as<FunctionObj>();
  if (!fn || !fn->file || ts_node_is_null(fn->node)) return {};
  return {fn->file->path(), static_cast<int>(ts_node_start_point(fn->node).row) + 1, static_cast<int>(ts_node_end_point(fn->node).row) + 1};
}

}  // namespace

std::vector<manifest::SourceRange> Interpreter::load_customizations(const Value& module) {
  std::vector<manifest::SourceRange> out;
  std::vector<std::pair<std::string, Value>> all;
  std::unordered_set<const Object*> seen;
  walk_modules(*this, module, "", all, seen);
  auto add = [&](const Value& fn) {
    manifest::SourceRange r = definition_of(fn);
    if (r.line > 0 && std::find(out.begin(), out.end(), r) == out.end()) out.push_back(r);
  };
  for (auto& [path, m] : all) {
    auto* inst = m.as<InstanceObj>();
    if (!inst) continue;
    for (ClassObj* c : inst->cls->mro) {
      for (const char* name : {"_load_from_state_dict", "load_state_dict"}) {
        if (const Value* fn = c->attrs.find(name); fn && is_project_function(*fn)) add(*fn);
      }
    }
    for (const char* hooks : {"_ckptguard_load_pre_hooks", "_ckptguard_load_post_hooks"}) {
      const Value* list = inst->attrs.find(hooks);
      auto* items = list ? list->as<ListObj>() : nullptr;
      if (!items) continue;
      for (const auto& entry : items->items) {
        auto* pair = entry.as<TupleObj>();
        const Value& fn = pair && !pair->items.empty() ? pair->items[0] : entry;
        if (is_project_function(fn)) add(fn);
      }
    }
  }
  return out;
}

Interpreter::LoadOutcome Interpreter::simulate_load(const Value& module, const manifest::KeyManifest& checkpoint) {
  auto state = std::make_shared<DictObj>();
  for (const auto& k : checkpoint.keys) {
    state->set(Value::string(k.name), new_tensor(k.shape, k.dtype.value_or("float32")));
  }
  Value metadata = Value::none();
  if (!checkpoint.modules.empty()) {
    auto by_path = std::make_shared<DictObj>();
    for (const auto& m : checkpoint.modules) {
      auto entry = std::make_shared<DictObj>();
      entry->set(Value::string("version"), Value::integer(m.version));
      by_path->set(Value::string(m.path), Value::object(entry));
    }
    metadata = Value::object(by_path);
  }
  Value nn = import_module("torch.nn", {});
  Value fn = get_attr(nn, "_ckptguard_load_state_dict");
  Value result = call(fn, CallArgs{{module, Value::object(state), metadata}, {}});
  LoadOutcome out;
  auto* parts = result.as<TupleObj>();
  if (!parts || parts->items.size() != 4) return out;
  auto strings = [&](const Value& v) {
    std::vector<std::string> s;
    for (const auto& item : iterate(v)) s.push_back(str(item));
    return s;
  };
  out.missing = strings(parts->items[0]);
  out.unexpected = strings(parts->items[1]);
  out.messages = strings(parts->items[2]);
  if (parts->items[3].is_str()) out.pytorch_error = parts->items[3].as_str();
  return out;
}

// ---- natives: torch.nn.Module and the containers -------------------------------------------

struct Natives {
  static void install_module(Interpreter& in, ModuleNs* nn);
};

static void walk_modules(Interpreter& in, const Value& v, const std::string& prefix, std::vector<std::pair<std::string, Value>>& out,
                         std::unordered_set<const Object*>& seen) {
  auto* m = v.as<InstanceObj>();
  if (!m || !m->module) return;
  if (!seen.insert(v.obj().get()).second) return;
  NestingGuard guard(v.obj().get());  // nn.Sequential(nn.Sequential(...)) nested without end
  out.emplace_back(prefix, v);
  for (auto& [name, child] : m->module->modules.items()) {
    if (!child.is_none()) walk_modules(in, child, prefix.empty() ? name : prefix + "." + name, out, seen);
  }
}

static std::vector<std::pair<std::string, Value>> named_tensors(Interpreter& in, const Value& self, bool params, bool recurse) {
  std::vector<std::pair<std::string, Value>> modules;
  std::unordered_set<const Object*> seen;
  if (recurse) {
    walk_modules(in, self, "", modules, seen);
  } else {
    modules.emplace_back("", self);
  }
  std::vector<std::pair<std::string, Value>> out;
  std::unordered_set<const Object*> seen_tensors;
  for (auto& [prefix, mv] : modules) {
    auto* m = mv.as<InstanceObj>();
    auto& registry = params ? m->module->parameters : m->module->buffers;
    for (auto& [name, t] : registry.items()) {
      if (t.is_none()) continue;
      if (!seen_tensors.insert(t.obj().get()).second) continue;
      out.emplace_back(prefix.empty() ? name : prefix + "." + name, t);
    }
  }
  return out;
}

static void apply_dtype(InstanceObj& m, const std::string& dtype, bool floating_only, std::unordered_set<const Object*>& seen) {
  auto convert = [&](Value& v) {
    auto* t = v.as<TensorObj>();
    if (!t) return;
    if (!seen.insert(v.obj().get()).second) return;
    bool is_float = t->dtype == "float32" || t->dtype == "float64" || t->dtype == "float16" || t->dtype == "bfloat16";
    if (!floating_only || is_float) t->dtype = dtype;
  };
  for (auto& kv : m.module->parameters.mutable_items()) convert(kv.second);
  for (auto& kv : m.module->buffers.mutable_items()) convert(kv.second);
  NestingGuard guard(&m);
  for (auto& kv : m.module->modules.mutable_items()) {
    if (auto* child = kv.second.as<InstanceObj>(); child && child->module) apply_dtype(*child, dtype, floating_only, seen);
  }
}

void Natives::install_module(Interpreter& in, ModuleNs* nn) {
  ClassObj* module = in.new_native_class("torch.nn.Module", {in.types.object});
  module->derives_from_module = true;
  in.module_class_ = module;
  auto cls_value = [](ClassObj* c) { return Value::object(ObjPtr(ObjPtr(), c)); };
  in.set_global(nn, "Module", cls_value(module));

  in.add_method(module, "__init__", [](Interpreter&, CallArgs&) { return Value::none(); });
  // nn.Module.__setattr__, called explicitly (`self.__setattr__('level_%d' % i, tree)`): torch's
  // registration, not object's plain attribute.
  in.add_method(module, "__setattr__", [](Interpreter& i, CallArgs& a) {
    const Value& name = native_required(i, a, 1, "name");
    if (is_unknown(name)) { i.note_unknown(name, "__setattr__ with an unresolved name"); return Value::none(); }
    i.module_setattr(module_self(i, a), name.as_str(), native_required(i, a, 2, "value"));
    return Value::none();
  });
  in.add_method(module, "register_parameter", [](Interpreter& i, CallArgs& a) {
    register_parameter(i, module_self(i, a), native_required(i, a, 1, "name").as_str(), native_required(i, a, 2, "param"));
    return Value::none();
  });
  in.add_method(module, "register_buffer", [](Interpreter& i, CallArgs& a) {
    const Value& name = native_required(i, a, 1, "name");
    if (is_unknown(name)) { i.note_unknown(name, "register_buffer with an unresolved name"); return Value::none(); }
    Value persistent = native_arg_or(a, 3, "persistent", Value::boolean(true));
    register_buffer(i, module_self(i, a), name.as_str(), native_required(i, a, 2, "tensor"), i.truthy(persistent));
    return Value::none();
  });
  auto add = [](Interpreter& i, CallArgs& a) {
    const Value& name = native_required(i, a, 1, "name");
    if (is_unknown(name)) { i.note_unknown(name, "add_module with an unresolved name"); return Value::none(); }
    add_module(i, module_self(i, a), name.as_str(), native_required(i, a, 2, "module"));
    return Value::none();
  };
  in.add_method(module, "add_module", add);
  in.add_method(module, "register_module", add);
  in.add_method(module, "children", [](Interpreter& i, CallArgs& a) { return make_list(child_modules(module_self(i, a))); });
  in.add_method(module, "named_children", [](Interpreter& i, CallArgs& a) {
    std::vector<Value> out;
    for (auto& [k, v] : module_self(i, a).module->modules.items()) {
      if (!v.is_none()) out.push_back(make_tuple({Value::string(k), v}));
    }
    return make_list(std::move(out));
  });
  auto modules_fn = [](bool named) {
    return [named](Interpreter& i, CallArgs& a) {
      std::vector<std::pair<std::string, Value>> all;
      std::unordered_set<const Object*> seen;
      walk_modules(i, a.positional.at(0), "", all, seen);
      std::vector<Value> out;
      for (auto& [k, v] : all) out.push_back(named ? make_tuple({Value::string(k), v}) : v);
      return make_list(std::move(out));
    };
  };
  in.add_method(module, "modules", modules_fn(false));
  in.add_method(module, "named_modules", modules_fn(true));
  auto tensors_fn = [](bool params, bool named) {
    return [params, named](Interpreter& i, CallArgs& a) {
      bool recurse = i.truthy(native_arg_or(a, 1, "recurse", Value::boolean(true)));
      if (named) recurse = i.truthy(native_arg_or(a, 2, "recurse", Value::boolean(true)));
      std::vector<Value> out;
      for (auto& [k, v] : named_tensors(i, a.positional.at(0), params, recurse)) out.push_back(named ? make_tuple({Value::string(k), v}) : v);
      return make_list(std::move(out));
    };
  };
  in.add_method(module, "parameters", tensors_fn(true, false));
  in.add_method(module, "named_parameters", tensors_fn(true, true));
  in.add_method(module, "buffers", tensors_fn(false, false));
  in.add_method(module, "named_buffers", tensors_fn(false, true));
  in.add_method(module, "get_submodule", [](Interpreter& i, CallArgs& a) {
    Value cur = a.positional.at(0);
    std::string target = native_required(i, a, 1, "target").as_str();
    std::size_t start = 0;
    while (!target.empty() && start <= target.size()) {
      std::size_t dot = target.find('.', start);
      std::string part = target.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
      cur = i.get_attr(cur, part);
      if (dot == std::string::npos) break;
      start = dot + 1;
    }
    return cur;
  });
  // Methods that return self and do not change which keys exist.
  in.add_method(module, "train", [](Interpreter& i, CallArgs& a) {
    module_self(i, a).attrs.set("training", Value::boolean(i.truthy(native_arg_or(a, 1, "mode", Value::boolean(true)))));
    return a.positional[0];
  });
  in.add_method(module, "eval", [](Interpreter& i, CallArgs& a) {
    module_self(i, a).attrs.set("training", Value::boolean(false));
    return a.positional[0];
  });
  // apply(fn): fn on every submodule, children first, then on the module itself, as torch does;
  // initialisers run this way can register state (a weight_norm applied through apply). A raise
  // inside fn is noted and the walk goes on: it is likelier a gap of the analyzer than the model's.
  in.add_method(module, "apply", [](Interpreter& i, CallArgs& a) {
    Value self = a.positional.at(0);
    const Value& fn = native_required(i, a, 1, "fn");
    for (const Value& child : child_modules(module_self(i, a))) {
      CallArgs c;
      c.positional = {fn};
      i.call(i.get_attr(child, "apply"), std::move(c));
    }
    CallArgs c;
    c.positional = {self};
    try {
      i.call(fn, std::move(c));
    } catch (PyError& e) {
      i.note_unresolved(i.project_location(), fmt::format("Module.apply: the function raised {}", e.described()));
    }
    return self;
  });
  for (const char* name : {"requires_grad_", "zero_grad", "cpu", "cuda", "share_memory", "register_forward_hook",
                           "register_forward_pre_hook", "register_full_backward_hook", "register_backward_hook",
                           "_register_state_dict_hook", "load_state_dict", "to_empty"}) {
    in.add_method(module, name, [](Interpreter&, CallArgs& a) { return a.positional.at(0); });
  }
  auto dtype_fn = [](const char* dtype) {
    std::string d = dtype;
    return [d](Interpreter& i, CallArgs& a) {
      std::unordered_set<const Object*> seen;
      apply_dtype(module_self(i, a), d, true, seen);
      return a.positional.at(0);
    };
  };
  in.add_method(module, "half", dtype_fn("float16"));
  in.add_method(module, "float", dtype_fn("float32"));
  in.add_method(module, "double", dtype_fn("float64"));
  in.add_method(module, "bfloat16", dtype_fn("bfloat16"));
  in.add_method(module, "type", [](Interpreter& i, CallArgs& a) {
    if (auto* d = native_arg_or(a, 1, "dst_type", Value::none()).as<DtypeObj>()) {
      std::unordered_set<const Object*> seen;
      apply_dtype(module_self(i, a), d->name, false, seen);
    }
    return a.positional.at(0);
  });
  in.add_method(module, "to", [](Interpreter& i, CallArgs& a) {
    for (std::size_t k = 1; k < a.positional.size(); ++k) {
      if (auto* d = a.positional[k].as<DtypeObj>()) {
        std::unordered_set<const Object*> seen;
        apply_dtype(module_self(i, a), d->name, true, seen);
      }
    }
    if (const Value* d = a.keyword("dtype")) {
      if (auto* dt = d->as<DtypeObj>()) {
        std::unordered_set<const Object*> seen;
        apply_dtype(module_self(i, a), dt->name, true, seen);
      }
    }
    return a.positional.at(0);
  });
  // Calling a module runs forward(), which ckptguard does not interpret: the result is unknown
  // (and reported where it matters), never a crash.
  in.add_method(module, "__call__", [](Interpreter& i, CallArgs& a) {
    return i.unknown(fmt::format("output of {}.forward() (forward passes are not interpreted)", module_self(i, a).cls->name));
  });
  in.add_method(module, "extra_repr", [](Interpreter&, CallArgs&) { return Value::string(""); });
  in.add_method(module, "_get_name", [](Interpreter& i, CallArgs& a) { return Value::string(module_self(i, a).cls->name); });
  in.add_method(module, "state_dict", [](Interpreter& i, CallArgs& a) {
    return i.unknown(fmt::format("state_dict() of {} inside model code", module_self(i, a).cls->name));
  });
  in.add_method(module, "__delattr__", [](Interpreter& i, CallArgs& a) {
    i.del_attr(a.positional.at(0), native_required(i, a, 1, nullptr).as_str());
    return Value::none();
  });

  // ---- registry views (Module._modules and friends) -------------------------------------
  ClassObj* view = in.new_native_class("torch.nn.modules.module._RegistryView", {in.types.object});
  in.registry_view_class_ = view;
  in.add_method(view, "__getitem__", [](Interpreter& i, CallArgs& a) {
    std::string key = str(native_required(i, a, 1, "key"));
    if (const Value* v = registry_of(i, a).find(key)) return *v;
    i.raise("KeyError", "'" + key + "'");
  });
  // Writing through the view bypasses __setattr__'s checks, exactly as in torch.
  in.add_method(view, "__setitem__", [](Interpreter& i, CallArgs& a) {
    registry_of(i, a).set(str(native_required(i, a, 1, "key")), native_required(i, a, 2, "value"));
    return Value::none();
  });
  in.add_method(view, "__delitem__", [](Interpreter& i, CallArgs& a) {
    std::string key = str(native_required(i, a, 1, "key"));
    if (!registry_of(i, a).erase(key)) i.raise("KeyError", "'" + key + "'");
    return Value::none();
  });
  in.add_method(view, "__contains__", [](Interpreter& i, CallArgs& a) {
    return Value::boolean(registry_of(i, a).contains(str(native_required(i, a, 1, "key"))));
  });
  in.add_method(view, "__len__", [](Interpreter& i, CallArgs& a) { return Value::integer(static_cast<std::int64_t>(registry_of(i, a).size())); });
  in.add_method(view, "get", [](Interpreter& i, CallArgs& a) {
    const Value* v = registry_of(i, a).find(str(native_required(i, a, 1, "key")));
    return v ? *v : native_arg_or(a, 2, "default", Value::none());
  });
  in.add_method(view, "pop", [](Interpreter& i, CallArgs& a) {
    auto& reg = registry_of(i, a);
    std::string key = str(native_required(i, a, 1, "key"));
    const Value* v = reg.find(key);
    if (!v) {
      if (const Value* d = native_arg(a, 2, "default")) return *d;
      i.raise("KeyError", "'" + key + "'");
    }
    Value out = *v;
    reg.erase(key);
    return out;
  });
  auto view_items = [](int what) {
    return [what](Interpreter& i, CallArgs& a) {
      std::vector<Value> out;
      for (auto& [k, v] : registry_of(i, a).items()) out.push_back(what == 0 ? Value::string(k) : what == 1 ? v : make_tuple({Value::string(k), v}));
      return make_list(std::move(out));
    };
  };
  in.add_method(view, "__iter__", view_items(0));
  in.add_method(view, "keys", view_items(0));
  in.add_method(view, "values", view_items(1));
  in.add_method(view, "items", view_items(2));

  // ---- Sequential ----------------------------------------------------------------------
  ClassObj* sequential = in.new_native_class("torch.nn.Sequential", {module});
  in.set_global(nn, "Sequential", cls_value(sequential));
  in.add_method(sequential, "__init__", [](Interpreter& i, CallArgs& a) {
    InstanceObj& self = module_self(i, a);
    if (a.positional.size() == 2) {
      if (auto* d = a.positional[1].as<DictObj>(); d && d->ordered_dict) {
        for (auto& [k, v] : d->items) add_module(i, self, str(k), v);
        return Value::none();
      }
    }
    for (std::size_t k = 1; k < a.positional.size(); ++k) add_module(i, self, std::to_string(k - 1), a.positional[k]);
    return Value::none();
  });
  // ---- ModuleList -----------------------------------------------------------------------
  ClassObj* module_list = in.new_native_class("torch.nn.ModuleList", {module});
  in.set_global(nn, "ModuleList", cls_value(module_list));
  auto list_extend = [](Interpreter& i, InstanceObj& self, const Value& items) {
    if (is_unknown(items)) { i.note_unknown(items, "ModuleList.extend with an unresolved iterable"); return; }
    std::size_t offset = self.module->modules.size();
    for (auto& v : i.iterate(items)) add_module(i, self, std::to_string(offset++), v);
  };
  in.add_method(module_list, "__init__", [list_extend](Interpreter& i, CallArgs& a) {
    if (const Value* items = native_arg(a, 1, "modules"); items && !items->is_none()) list_extend(i, module_self(i, a), *items);
    return Value::none();
  });
  in.add_method(module_list, "extend", [list_extend](Interpreter& i, CallArgs& a) {
    list_extend(i, module_self(i, a), native_required(i, a, 1, "modules"));
    return a.positional[0];
  });
  in.add_method(module_list, "__iadd__", [list_extend](Interpreter& i, CallArgs& a) {
    list_extend(i, module_self(i, a), native_required(i, a, 1, "modules"));
    return a.positional[0];
  });
  in.add_method(module_list, "insert", [](Interpreter& i, CallArgs& a) {
    InstanceObj& self = module_self(i, a);
    std::vector<Value> items;
    for (auto& kv : self.module->modules.items()) items.push_back(kv.second);
    std::int64_t idx = native_required(i, a, 1, "index").as_int(), n = static_cast<std::int64_t>(items.size());
    if (idx < 0) idx = std::max<std::int64_t>(0, idx + n);
    idx = std::min(idx, n);
    const Value& m = native_required(i, a, 2, "module");
    if (!i.is_module(m) && !is_unknown(m)) i.raise("TypeError", fmt::format("{} is not a Module subclass", type_name(m)));
    items.insert(items.begin() + idx, m);
    renumber(self.module->modules, items);
    return Value::none();
  });
  // ---- shared by Sequential and ModuleList ------------------------------------------------
  for (ClassObj* c : {sequential, module_list}) {
    bool is_seq = c == sequential;
    in.add_method(c, "append", [](Interpreter& i, CallArgs& a) {
      InstanceObj& self = module_self(i, a);
      add_module(i, self, std::to_string(self.module->modules.size()), native_required(i, a, 1, "module"));
      return a.positional[0];
    });
    in.add_method(c, "__len__", [](Interpreter& i, CallArgs& a) {
      return Value::integer(static_cast<std::int64_t>(module_self(i, a).module->modules.size()));
    });
    in.add_method(c, "__iter__", [](Interpreter& i, CallArgs& a) { return make_list(child_modules(module_self(i, a))); });
    in.add_method(c, "__getitem__", [c](Interpreter& i, CallArgs& a) {
      InstanceObj& self = module_self(i, a);
      const Value& idx = native_required(i, a, 1, "idx");
      auto& items = self.module->modules.items();
      if (auto* s = idx.as<SliceObj>()) {
        auto out = std::make_shared<InstanceObj>(c);
        out->module = std::make_unique<ModuleState>();
        out->cls_holder = self.cls_holder;
        std::size_t n = 0;
        for (auto k : slice_indices(i, *s, items.size())) {
          // Sequential keeps the original keys; ModuleList renumbers.
          out->module->modules.set(c->name == "Sequential" ? items[k].first : std::to_string(n++), items[k].second);
        }
        return Value::object(out);
      }
      if (is_unknown(idx)) return idx;
      return items[static_cast<std::size_t>(checked_index(i, idx, items.size(), "module"))].second;
    });
    in.add_method(c, "__setitem__", [](Interpreter& i, CallArgs& a) {
      InstanceObj& self = module_self(i, a);
      std::int64_t k = checked_index(i, native_required(i, a, 1, "idx"), self.module->modules.size(), "module");
      add_module(i, self, self.module->modules.items()[static_cast<std::size_t>(k)].first, native_required(i, a, 2, "module"));
      return Value::none();
    });
    in.add_method(c, "__delitem__", [is_seq](Interpreter& i, CallArgs& a) {
      InstanceObj& self = module_self(i, a);
      const Value& idx = native_required(i, a, 1, "idx");
      std::vector<std::size_t> drop;
      if (auto* s = idx.as<SliceObj>()) drop = slice_indices(i, *s, self.module->modules.size());
      else drop.push_back(static_cast<std::size_t>(checked_index(i, idx, self.module->modules.size(), "module")));
      std::vector<Value> keep;
      for (std::size_t k = 0; k < self.module->modules.size(); ++k) {
        if (std::find(drop.begin(), drop.end(), k) == drop.end()) keep.push_back(self.module->modules.items()[k].second);
      }
      (void)is_seq;  // both renumber in torch 1.13
      renumber(self.module->modules, keep);
      return Value::none();
    });
    in.add_method(c, "__add__", [c](Interpreter& i, CallArgs& a) {
      InstanceObj& self = module_self(i, a);
      auto out = std::make_shared<InstanceObj>(c);
      out->module = std::make_unique<ModuleState>();
      std::vector<Value> items = child_modules(self);
      for (auto& v : i.iterate(native_required(i, a, 1, "other"))) items.push_back(v);
      renumber(out->module->modules, items);
      return Value::object(out);
    });
    in.add_method(c, "pop", [](Interpreter& i, CallArgs& a) {
      InstanceObj& self = module_self(i, a);
      std::int64_t k = checked_index(i, native_arg_or(a, 1, "key", Value::integer(-1)), self.module->modules.size(), "module");
      std::vector<Value> items;
      for (auto& kv : self.module->modules.items()) items.push_back(kv.second);
      Value popped = items[static_cast<std::size_t>(k)];
      items.erase(items.begin() + k);
      renumber(self.module->modules, items);
      return popped;
    });
  }
  // ---- ModuleDict ------------------------------------------------------------------------
  ClassObj* module_dict = in.new_native_class("torch.nn.ModuleDict", {module});
  in.set_global(nn, "ModuleDict", cls_value(module_dict));
  auto dict_update = [](Interpreter& i, InstanceObj& self, const Value& src) {
    if (auto* d = src.as<DictObj>()) {
      for (auto& [k, v] : d->items) add_module(i, self, str(k), v);
      return;
    }
    if (auto* other = src.as<InstanceObj>(); other && other->module) {
      for (auto& [k, v] : other->module->modules.items()) add_module(i, self, k, v);
      return;
    }
    if (is_unknown(src)) { i.note_unknown(src, "ModuleDict from an unresolved value"); return; }
    for (auto& pair : i.iterate(src)) {
      auto kv = i.iterate(pair);
      if (kv.size() == 2) add_module(i, self, str(kv[0]), kv[1]);
    }
  };
  in.add_method(module_dict, "__init__", [dict_update](Interpreter& i, CallArgs& a) {
    if (const Value* src = native_arg(a, 1, "modules"); src && !src->is_none()) dict_update(i, module_self(i, a), *src);
    return Value::none();
  });
  in.add_method(module_dict, "update", [dict_update](Interpreter& i, CallArgs& a) {
    dict_update(i, module_self(i, a), native_required(i, a, 1, "modules"));
    return Value::none();
  });
  in.add_method(module_dict, "__setitem__", [](Interpreter& i, CallArgs& a) {
    add_module(i, module_self(i, a), str(native_required(i, a, 1, "key")), native_required(i, a, 2, "module"));
    return Value::none();
  });
  in.add_method(module_dict, "__getitem__", [](Interpreter& i, CallArgs& a) {
    const Value& key = native_required(i, a, 1, "key");
    if (is_unknown(key)) return key;
    if (const Value* v = module_self(i, a).module->modules.find(str(key))) return *v;
    i.raise("KeyError", repr(key));
  });
  in.add_method(module_dict, "__delitem__", [](Interpreter& i, CallArgs& a) {
    module_self(i, a).module->modules.erase(str(native_required(i, a, 1, "key")));
    return Value::none();
  });
  in.add_method(module_dict, "__contains__", [](Interpreter& i, CallArgs& a) {
    return Value::boolean(module_self(i, a).module->modules.contains(str(native_required(i, a, 1, "key"))));
  });
  in.add_method(module_dict, "__len__", [](Interpreter& i, CallArgs& a) { return Value::integer(static_cast<std::int64_t>(module_self(i, a).module->modules.size())); });
  auto dict_view = [](int which) {
    return [which](Interpreter& i, CallArgs& a) {
      std::vector<Value> out;
      for (auto& [k, v] : module_self(i, a).module->modules.items()) {
        out.push_back(which == 0 ? Value::string(k) : which == 1 ? v : make_tuple({Value::string(k), v}));
      }
      return make_list(std::move(out));
    };
  };
  in.add_method(module_dict, "__iter__", dict_view(0));
  in.add_method(module_dict, "keys", dict_view(0));
  in.add_method(module_dict, "values", dict_view(1));
  in.add_method(module_dict, "items", dict_view(2));
  in.add_method(module_dict, "pop", [](Interpreter& i, CallArgs& a) {
    InstanceObj& self = module_self(i, a);
    std::string key = str(native_required(i, a, 1, "key"));
    const Value* v = self.module->modules.find(key);
    if (!v) i.raise("KeyError", key);
    Value out = *v;
    self.module->modules.erase(key);
    return out;
  });

  // ---- ParameterList / ParameterDict ----------------------------------------------------------
  // Both register their entries as parameters ("0", "1", ... or the keys); plain tensors are
  // wrapped into Parameters, as torch 1.13 does.
  auto as_parameter = [](Interpreter& i, const Value& v) -> Value {
    if (auto* t = v.as<TensorObj>(); t && !t->is_parameter) {
      auto p = std::make_shared<TensorObj>(*t);
      p->is_parameter = true;
      p->requires_grad = true;
      return Value::object(p);
    }
    (void)i;
    return v;
  };
  ClassObj* param_list = in.new_native_class("torch.nn.ParameterList", {module});
  in.set_global(nn, "ParameterList", cls_value(param_list));
  auto plist_append = [as_parameter](Interpreter& i, InstanceObj& self, const Value& v) {
    std::string name = std::to_string(self.module->parameters.size());
    Value p = as_parameter(i, v);
    if (is_parameter(p) || p.is_none()) register_parameter(i, self, name, p);
    else self.attrs.set(name, p);
  };
  in.add_method(param_list, "__init__", [plist_append](Interpreter& i, CallArgs& a) {
    if (const Value* items = native_arg(a, 1, "values"); items && !items->is_none()) {
      InstanceObj& self = module_self(i, a);
      for (auto& v : i.iterate(*items)) plist_append(i, self, v);
    }
    return Value::none();
  });
  in.add_method(param_list, "append", [plist_append](Interpreter& i, CallArgs& a) {
    plist_append(i, module_self(i, a), native_required(i, a, 1, "value"));
    return a.positional[0];
  });
  in.add_method(param_list, "extend", [plist_append](Interpreter& i, CallArgs& a) {
    InstanceObj& self = module_self(i, a);
    for (auto& v : i.iterate(native_required(i, a, 1, "values"))) plist_append(i, self, v);
    return a.positional[0];
  });
  in.add_method(param_list, "__len__", [](Interpreter& i, CallArgs& a) { return Value::integer(static_cast<std::int64_t>(module_self(i, a).module->parameters.size())); });
  in.add_method(param_list, "__iter__", [](Interpreter& i, CallArgs& a) {
    std::vector<Value> out;
    for (auto& kv : module_self(i, a).module->parameters.items()) out.push_back(kv.second);
    return make_list(std::move(out));
  });
  in.add_method(param_list, "__getitem__", [](Interpreter& i, CallArgs& a) {
    InstanceObj& self = module_self(i, a);
    std::int64_t k = checked_index(i, native_required(i, a, 1, "idx"), self.module->parameters.size(), "parameter");
    return self.module->parameters.items()[static_cast<std::size_t>(k)].second;
  });
  ClassObj* param_dict = in.new_native_class("torch.nn.ParameterDict", {module});
  in.set_global(nn, "ParameterDict", cls_value(param_dict));
  auto pdict_set = [as_parameter](Interpreter& i, InstanceObj& self, const std::string& key, const Value& v) {
    Value p = as_parameter(i, v);
    if (is_parameter(p) || p.is_none()) register_parameter(i, self, key, p);
    else self.attrs.set(key, p);
  };
  in.add_method(param_dict, "__init__", [pdict_set](Interpreter& i, CallArgs& a) {
    if (const Value* src = native_arg(a, 1, "parameters"); src && !src->is_none()) {
      InstanceObj& self = module_self(i, a);
      if (auto* d = src->as<DictObj>()) {
        for (auto& [k, v] : d->items) pdict_set(i, self, str(k), v);
      } else {
        for (auto& pair : i.iterate(*src)) {
          auto kv = i.iterate(pair);
          if (kv.size() == 2) pdict_set(i, self, str(kv[0]), kv[1]);
        }
      }
    }
    return Value::none();
  });
  in.add_method(param_dict, "__setitem__", [pdict_set](Interpreter& i, CallArgs& a) {
    pdict_set(i, module_self(i, a), str(native_required(i, a, 1, "key")), native_required(i, a, 2, "value"));
    return Value::none();
  });
  in.add_method(param_dict, "__getitem__", [](Interpreter& i, CallArgs& a) {
    const Value* v = module_self(i, a).module->parameters.find(str(native_required(i, a, 1, "key")));
    if (!v) i.raise("KeyError", repr(a.positional[1]));
    return *v;
  });
  in.add_method(param_dict, "__len__", [](Interpreter& i, CallArgs& a) { return Value::integer(static_cast<std::int64_t>(module_self(i, a).module->parameters.size())); });
  in.add_method(param_dict, "__contains__", [](Interpreter& i, CallArgs& a) {
    return Value::boolean(module_self(i, a).module->parameters.contains(str(native_required(i, a, 1, "key"))));
  });
}

void install_nn_module_natives(Interpreter& in, ModuleNs* nn) { Natives::install_module(in, nn); }

}  // namespace ckg::interp
