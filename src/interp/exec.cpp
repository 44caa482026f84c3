// Statements, function calls, class creation, assignment and imports.
#include <algorithm>

#include <fmt/format.h>

#include "interp/generators.h"
#include "interp/interpreter.h"
#include "parse/syntax.h"

namespace ckg::interp {

using parse::Field;
using parse::Kind;
using parse::field;
using parse::named_children;

namespace {

// Whether a function body yields (making the function a generator); nested scopes excluded.
bool contains_yield(TSNode node) {
  Kind k = parse::kind(node);
  if (k == Kind::k_yield) return true;
  if (k == Kind::k_function_definition || k == Kind::k_lambda || k == Kind::k_class_definition) return false;
  for (TSNode child : named_children(node)) {
    if (contains_yield(child)) return true;
  }
  return false;
}

// Where a `def` in this frame should capture its closure: class bodies are skipped, module
// globals are reached through the function's module instead.
std::shared_ptr<Env> closure_for(const Frame& f) {
  if (f.is_class_body) return f.env->parent;
  if (f.module && f.env == f.module->globals) return nullptr;
  return f.env;
}

}  // namespace

Value Interpreter::make_function(Frame& f, TSNode def_node, const std::string& name) {
  auto fn = std::make_shared<FunctionObj>();
  fn->name = name;
  fn->qualname = (f.module ? f.module->name + "." : std::string()) + name;
  fn->file = f.file;
  fn->node = def_node;
  fn->closure = closure_for(f);
  fn->globals = f.module;
  fn->private_class = f.private_class;
  TSNode params = field(def_node, Field::parameters);
  bool keyword_only = false;
  if (!parse::is_null(params)) {
    for (TSNode p : named_children(params)) {
      Param param;
      switch (parse::kind(p)) {
        case Kind::k_identifier: param.name = node_string(f, p); break;
        case Kind::k_typed_parameter: {
          TSNode inner = named_children(p).at(0);
          if (parse::kind(inner) == Kind::k_list_splat_pattern) {
            param.name = node_string(f, named_children(inner).at(0));
            param.kind = Param::Kind::var_positional;
          } else if (parse::kind(inner) == Kind::k_dictionary_splat_pattern) {
            param.name = node_string(f, named_children(inner).at(0));
            param.kind = Param::Kind::var_keyword;
          } else {
            param.name = node_string(f, inner);
          }
          break;
        }
        case Kind::k_default_parameter: case Kind::k_typed_default_parameter:
          param.name = node_string(f, field(p, Field::name));
          param.default_value = eval(f, field(p, Field::value));
          break;
        case Kind::k_list_splat_pattern:
          param.name = node_string(f, named_children(p).at(0));
          param.kind = Param::Kind::var_positional;
          break;
        case Kind::k_dictionary_splat_pattern:
          param.name = node_string(f, named_children(p).at(0));
          param.kind = Param::Kind::var_keyword;
          break;
        case Kind::k_keyword_separator: keyword_only = true; continue;
        case Kind::k_positional_separator:
          for (Param& before : fn->params) before.positional_only = true;
          continue;
        default: continue;
      }
      param.name = mangle(f, std::move(param.name));  // a method's `__x` parameter is `_C__x`, as in CPython
      if (param.kind == Param::Kind::positional && keyword_only) param.kind = Param::Kind::keyword_only;
      if (param.kind == Param::Kind::var_positional) keyword_only = true;
      fn->params.push_back(std::move(param));
    }
  }
  return Value::object(fn);
}

static void bind_arguments(Interpreter& in, FunctionObj& fn, CallArgs& args, Env& env) {
  std::size_t next_pos = 0;
  std::vector<Value> extra;
  const Param* var_pos = nullptr;
  const Param* var_kw = nullptr;
  for (auto& p : fn.params) {
    if (p.kind == Param::Kind::var_positional) var_pos = &p;
    if (p.kind == Param::Kind::var_keyword) var_kw = &p;
  }
  std::vector<bool> filled(fn.params.size(), false);
  for (auto& v : args.positional) {
    while (next_pos < fn.params.size() && fn.params[next_pos].kind != Param::Kind::positional) {
      if (fn.params[next_pos].kind != Param::Kind::positional) break;
      ++next_pos;
    }
    if (next_pos < fn.params.size() && fn.params[next_pos].kind == Param::Kind::positional) {
      env.vars.set(fn.params[next_pos].name, v);
      filled[next_pos++] = true;
    } else if (var_pos) {
      extra.push_back(v);
    } else {
      in.raise("TypeError", fmt::format("{}() takes {} positional arguments but {} were given", fn.name,
                                        next_pos, args.positional.size()));
    }
  }
  auto kwargs = std::make_shared<DictObj>();
  for (auto& [name, v] : args.keywords) {
    bool matched = false;
    for (std::size_t i = 0; i < fn.params.size(); ++i) {
      const Param& p = fn.params[i];
      if (p.name == name && !p.positional_only && (p.kind == Param::Kind::positional || p.kind == Param::Kind::keyword_only)) {
        if (filled[i]) in.raise("TypeError", fmt::format("{}() got multiple values for argument '{}'", fn.name, name));
        env.vars.set(name, v);
        filled[i] = matched = true;
        break;
      }
    }
    if (matched) continue;
    if (!var_kw) {
      const std::string& keyword = name;  // a structured binding cannot be captured (clang 14)
      bool positional_only = std::any_of(fn.params.begin(), fn.params.end(), [&keyword](const Param& p) { return p.positional_only && p.name == keyword; });
      if (positional_only) in.raise("TypeError", fmt::format("{}() got some positional-only arguments passed as keyword arguments: '{}'", fn.name, name));
      in.raise("TypeError", fmt::format("{}() got an unexpected keyword argument '{}'", fn.name, name));
    }
    kwargs->set(Value::string(name), v);
  }
  for (std::size_t i = 0; i < fn.params.size(); ++i) {
    const Param& p = fn.params[i];
    if (filled[i] || p.kind == Param::Kind::var_positional || p.kind == Param::Kind::var_keyword) continue;
    if (!p.default_value) {
      in.raise("TypeError", fmt::format("{}() missing 1 required {}argument: '{}'", fn.name,
                                        p.kind == Param::Kind::keyword_only ? "keyword-only " : "positional ", p.name));
    }
    // Branch enumeration taints defaults it explores, so that default runs stay exact calls.
    auto taint = in.default_taint.find(&p);
    env.vars.set(p.name, taint == in.default_taint.end()
                             ? *p.default_value
                             : p.default_value->with_taint(taint->second).with_derivation(Derivation::of_parameter(p.name)));
  }
  if (var_pos) env.vars.set(var_pos->name, make_tuple(std::move(extra)));
  if (var_kw) env.vars.set(var_kw->name, Value::object(kwargs));
}

Value Interpreter::call_function(FunctionObj& fn, CallArgs& args) {
  if (depth_ >= limits_.max_call_depth) raise("RecursionError", "maximum recursion depth exceeded");
  ++depth_;
  struct DepthGuard { int& d; ~DepthGuard() { --d; } } guard{depth_};
  Frame frame;
  frame.file = fn.file;
  frame.env = std::make_shared<Env>();
  frame.env->parent = fn.closure;
  frame.module = fn.globals;
  frame.function = &fn;
  frame.private_class = fn.private_class;
  for (const auto& legacy : fn.legacy_keywords) {
    auto it = std::find_if(args.keywords.begin(), args.keywords.end(), [&](const auto& kw) { return kw.first == legacy.first; });
    if (it == args.keywords.end()) continue;
    args.keywords.erase(it);
    if (!args.keyword(legacy.second)) args.keywords.emplace_back(legacy.second, Value::none());
  }
  bind_arguments(*this, fn, args, *frame.env);
  if (!args.positional.empty()) frame.first_arg = args.positional[0];
  TSNode body = field(fn.node, Field::body);
  // Whether the body yields is settled on the first call: most functions (the whole catalogue,
  // most of a project) are never called, and walking every body up front cost start-up time.
  if (!fn.is_generator) fn.is_generator = contains_yield(body);
  if (*fn.is_generator) {
    // The body runs later, as the generator is iterated (generators.cpp).
    auto g = std::make_shared<GeneratorObj>(*this);
    g->name = fn.name;
    g->function = Value::object(fn.shared_from_this());
    g->frame = std::move(frame);
    if (!fn.context_manager) return Value::object(g);
    Value manager = allocate(fn.context_manager, ObjPtr(ObjPtr(), fn.context_manager));
    set_attr(manager, "gen", Value::object(g));
    return manager;
  }
  FrameScope scope(*this, frame);
  if (parse::kind(fn.node) == Kind::k_lambda) return eval(frame, body);
  exec_block(frame, body);
  return frame.return_value;
}

// ---- assignment ---------------------------------------------------------------------------

void Interpreter::assign(Frame& f, TSNode target, Value value) {
  switch (parse::kind(target)) {
    case Kind::k_identifier: {
      std::string name = mangled(f, f.file->node_text(target));
      Env* env = f.env.get();
      if (std::find(env->declared_global.begin(), env->declared_global.end(), name) != env->declared_global.end()) {
        env = f.module->globals.get();
      } else if (std::find(env->declared_nonlocal.begin(), env->declared_nonlocal.end(), name) !=
                 env->declared_nonlocal.end()) {
        for (Env* e = env->parent.get(); e; e = e->parent.get()) {
          if (e->vars.contains(name)) { env = e; break; }
        }
      }
      env->vars.set(name, std::move(value));
      return;
    }
    case Kind::k_attribute: {
      Value obj = eval(f, field(target, Field::object));
      current_node = target;
      set_attr(obj, mangle(f, node_string(f, field(target, Field::attribute))), std::move(value));
      return;
    }
    case Kind::k_subscript: {
      Value obj = eval(f, field(target, Field::value));
      auto subs = parse::field_children(target, Field::subscript);
      Value key;
      if (subs.size() == 1) {
        key = eval(f, subs[0]);
      } else {
        std::vector<Value> parts;
        for (TSNode s : subs) parts.push_back(eval(f, s));
        key = make_tuple(std::move(parts));
      }
      current_node = target;
      set_item(obj, key, std::move(value));
      return;
    }
    case Kind::k_parenthesized_expression: assign(f, named_children(target).at(0), std::move(value)); return;
    case Kind::k_tuple: case Kind::k_list: case Kind::k_pattern_list: case Kind::k_tuple_pattern:
    case Kind::k_list_pattern: case Kind::k_expression_list: {
      const auto& targets = named_children(target);
      if (is_unknown(value)) {
        for (TSNode t : targets) assign(f, t, value);
        return;
      }
      std::vector<Value> items = iterate(value);
      std::size_t star = targets.size();
      for (std::size_t i = 0; i < targets.size(); ++i) {
        Kind k = parse::kind(targets[i]);
        if (k == Kind::k_list_splat_pattern || k == Kind::k_list_splat) star = i;
      }
      if (star == targets.size()) {
        if (items.size() != targets.size()) {
          raise("ValueError", items.size() > targets.size()
                                  ? fmt::format("too many values to unpack (expected {})", targets.size())
                                  : fmt::format("not enough values to unpack (expected {}, got {})", targets.size(), items.size()));
        }
        for (std::size_t i = 0; i < targets.size(); ++i) assign(f, targets[i], items[i]);
        return;
      }
      std::size_t after = targets.size() - star - 1;
      if (items.size() < star + after) raise("ValueError", fmt::format("not enough values to unpack (expected at least {}, got {})", star + after, items.size()));
      for (std::size_t i = 0; i < star; ++i) assign(f, targets[i], items[i]);
      std::vector<Value> rest(items.begin() + static_cast<std::ptrdiff_t>(star),
                              items.end() - static_cast<std::ptrdiff_t>(after));
      assign(f, named_children(targets[star]).at(0), make_list(std::move(rest)));
      for (std::size_t i = 0; i < after; ++i) assign(f, targets[star + 1 + i], items[items.size() - after + i]);
      return;
    }
    default:
      note_unresolved(f.file->location(target), fmt::format("unsupported assignment target '{}'", ts_node_type(target)));
  }
}

// ---- classes ------------------------------------------------------------------------------

void Interpreter::compute_mro(ClassObj* cls) {
  // C3 linearisation over the resolved bases.
  std::vector<std::vector<ClassObj*>> seqs;
  std::vector<ClassObj*> direct;
  for (auto& b : cls->bases) {
    if (auto* bc = b.as<ClassObj>()) {
      seqs.push_back(bc->mro);
      direct.push_back(bc);
    }
  }
  seqs.push_back(direct);
  cls->mro = {cls};
  while (true) {
    seqs.erase(std::remove_if(seqs.begin(), seqs.end(), [](auto& s) { return s.empty(); }), seqs.end());
    if (seqs.empty()) break;
    ClassObj* candidate = nullptr;
    for (auto& s : seqs) {
      ClassObj* head = s.front();
      bool in_tail = std::any_of(seqs.begin(), seqs.end(), [&](auto& other) {
        return std::find(other.begin() + 1, other.end(), head) != other.end();
      });
      if (!in_tail) { candidate = head; break; }
    }
    if (!candidate) raise("TypeError", "Cannot create a consistent method resolution order (MRO)");
    cls->mro.push_back(candidate);
    for (auto& s : seqs) {
      if (!s.empty() && s.front() == candidate) s.erase(s.begin());
    }
  }
}

static void set_defining_class(Value& v, ClassObj* cls) {
  if (auto* fn = v.as<FunctionObj>()) { if (!fn->defining_class) fn->defining_class = cls; return; }
  if (auto* sm = v.as<StaticMethodObj>()) return set_defining_class(sm->func, cls);
  if (auto* cm = v.as<ClassMethodObj>()) return set_defining_class(cm->func, cls);
  if (auto* p = v.as<PropertyObj>()) return set_defining_class(p->getter, cls);
}

Value Interpreter::make_class(Frame& f, TSNode node) {
  ClassSpec spec;
  spec.name = node_string(f, field(node, Field::name));
  spec.scope = f.class_scope;
  Value explicit_meta;
  TSNode supers = field(node, Field::superclasses);
  if (!parse::is_null(supers)) {
    for (TSNode b : named_children(supers)) {
      if (parse::kind(b) == Kind::k_keyword_argument) {
        std::string key = node_string(f, field(b, Field::name));
        Value v = eval(f, field(b, Field::value));
        // A metaclass the analyzer cannot follow (or not known to derive from type, as one
        // deriving from an unmodelled enum.EnumMeta) is taken as type.
        auto* meta = v.as<ClassObj>();
        if (key == "metaclass") explicit_meta = meta && meta->is_subclass_of(types.type) ? v : Value::none();
        else spec.keywords.emplace_back(key, std::move(v));
        continue;
      }
      Value base = eval(f, b);
      if (base.as<ClassObj>()) spec.bases.push_back(base);
      else spec.has_unknown_base = true;
    }
  }
  Frame body;
  body.file = f.file;
  body.module = f.module;
  body.env = std::make_shared<Env>();
  body.env->parent = closure_for(f);
  body.is_class_body = true;
  body.private_class = spec.name;
  body.class_scope = f.class_scope + spec.name + ".";
  {
    FrameScope scope(*this, body);
    exec_block(body, field(node, Field::body));
  }
  spec.ns = body.env->vars.items();
  spec.annotated = std::move(body.annotated);
  // The metaclass is the explicit one, else the bases' (class B(A) is made by type(A)).
  Value meta = explicit_meta;
  for (auto& b : spec.bases) {
    const Value& base_meta = b.as<ClassObj>()->metaclass;
    auto* current = meta.as<ClassObj>();
    if (auto* bm = base_meta.as<ClassObj>(); bm && (!current || bm->is_subclass_of(current))) meta = base_meta;
  }
  if (meta.is_none()) return new_class(std::move(spec));
  // A metaclass decides: Meta(name, bases, namespace, **keywords) runs its __new__ and __init__.
  auto ns = std::make_shared<DictObj>();
  for (auto& [k, v] : spec.ns) ns->set(Value::string(k), v);
  if (!spec.annotated.empty()) {
    // The annotated names (dataclass fields) reach type.__new__ in __annotations__, as in CPython;
    // what they are annotated with is not kept.
    auto annotations = std::make_shared<DictObj>();
    for (auto& n : spec.annotated) annotations->set(Value::string(n), Value::none());
    ns->set(Value::string("__annotations__"), Value::object(annotations));
  }
  CallArgs args{{Value::string(spec.name), make_tuple(spec.bases), Value::object(ns)}, spec.keywords};
  Value made = call(meta, std::move(args));
  if (auto* c = made.as<ClassObj>()) {
    if (spec.has_unknown_base) c->has_unknown_base = true;
    if (c->scope.empty()) c->scope = spec.scope;
  }
  return made;
}

Value Interpreter::new_class(ClassSpec spec) {
  auto cls = std::make_shared<ClassObj>();
  cls->name = spec.name;
  cls->scope = spec.scope;
  ModuleNs* module = frames.empty() ? nullptr : frames.back()->module;
  cls->qualname = (module ? module->name + "." : std::string()) + cls->name;
  cls->bases = std::move(spec.bases);
  cls->has_unknown_base = spec.has_unknown_base;
  if (auto* m = spec.metaclass.as<ClassObj>(); m && m != types.type) cls->metaclass = spec.metaclass;
  if (cls->bases.empty()) cls->bases.push_back(*builtins_->vars.find("object"));
  compute_mro(cls.get());
  for (ClassObj* c : cls->mro) {
    if (c == module_class_) cls->derives_from_module = true;
    if (c != cls.get() && c->has_unknown_base) cls->has_unknown_base = true;
    if (c != cls.get() && c->is_enum) cls->is_enum = true;
  }
  for (auto& [name, v] : spec.ns) {
    Value value = v;
    // CPython makes these implicitly class- and static methods.
    if (value.as<FunctionObj>() && (name == "__init_subclass__" || name == "__class_getitem__")) {
      value = Value::object(std::make_shared<ClassMethodObj>(value));
    } else if (value.as<FunctionObj>() && name == "__new__") {
      value = Value::object(std::make_shared<StaticMethodObj>(value));
    }
    set_defining_class(value, cls.get());
    cls->attrs.set(name, value);
  }
  // A class that defines __eq__ alone is unhashable, as in CPython.
  if (cls->attrs.contains("__eq__") && !cls->attrs.contains("__hash__")) cls->attrs.set("__hash__", Value::none());
  for (auto& n : spec.annotated) cls->dataclass_fields.push_back({n, std::nullopt, Value::none()});
  // namedtuple-style classes carry their annotated fields
  for (ClassObj* c : cls->mro) {
    if (c->qualname == "typing.NamedTuple") {
      for (auto& n : spec.annotated) cls->namedtuple_fields.push_back(n);
    }
  }
  if (cls->is_enum) {
    // Enum members: every plain class attribute becomes an instance with .name and .value, in
    // definition order. auto() asks the class's _generate_next_value_ (enum_module.cpp), and a
    // value already taken makes the name an alias of that member, as EnumType does.
    const Value* next_value = cls->lookup("_generate_next_value_");
    std::vector<Value> last_values;
    auto members = std::make_shared<DictObj>();
    for (auto [name, v] : spec.ns) {
      if (name.rfind("_", 0) == 0 || v.as<FunctionObj>() || v.as<ClassMethodObj>() || v.as<StaticMethodObj>() ||
          v.as<PropertyObj>()) {
        continue;
      }
      if (auto* marker = v.as<InstanceObj>(); marker && marker->cls->qualname == "enum.auto" && next_value) {
        CallArgs a{{Value::string(name), Value::integer(1), Value::integer(static_cast<std::int64_t>(members->items.size())),
                    make_list(last_values)}, {}};
        v = call(*next_value, std::move(a));
      }
      Value member;
      for (auto& entry : members->items) {
        if (values_equal(*entry.second.as<InstanceObj>()->attrs.find("_value_"), v)) { member = entry.second; break; }
      }
      if (member.is_none()) {
        auto made = std::make_shared<InstanceObj>(cls.get());
        made->cls_holder = cls;
        made->attrs.set("name", Value::string(name));
        made->attrs.set("value", v);
        made->attrs.set("_value_", v);
        made->attrs.set("_name_", Value::string(name));
        member = Value::object(made);
        last_values.push_back(v);
      }
      members->set(Value::string(name), member);
      cls->attrs.set(name, member);
    }
    cls->attrs.set("__members__", Value::object(members));
  }
  Value self = Value::object(cls);
  for (auto& [name, v] : spec.ns) {
    auto* descriptor = v.as<InstanceObj>();
    if (descriptor && descriptor->cls->lookup("__set_name__")) {
      call(get_attr(v, "__set_name__"), CallArgs{{self, Value::string(name)}, {}});
    }
  }
  for (auto it = cls->mro.begin() + 1; it != cls->mro.end(); ++it) {
    const Value* hook = (*it)->attrs.find("__init_subclass__");
    if (!hook) continue;
    if (auto* cm = hook->as<ClassMethodObj>()) {
      CallArgs args{{self}, std::move(spec.keywords)};
      call(cm->func, std::move(args));
    }
    break;
  }
  return self;
}

std::string Interpreter::mangle(const Frame& f, std::string name) {
  if (name.size() < 3 || name.compare(0, 2, "__") != 0 || name.compare(name.size() - 2, 2, "__") == 0) return name;
  std::size_t start = f.private_class.find_first_not_of('_');
  if (start == std::string::npos) return name;  // a class named only with underscores mangles nothing
  return "_" + f.private_class.substr(start) + name;
}

// ---- imports ------------------------------------------------------------------------------

static std::string dotted_text(const Frame& f, TSNode n) {
  std::string out;
  for (char c : f.file->node_text(n)) {
    if (c != ' ' && c != '\t' && c != '\n' && c != '\\') out += c;
  }
  return out;
}

static void exec_import(Interpreter& in, Frame& f, TSNode stmt) {
  for (TSNode n : parse::field_children(stmt, Field::name)) {
    if (parse::kind(n) == Kind::k_aliased_import) {
      std::string module = dotted_text(f, field(n, Field::name));
      std::string alias = node_string(f, field(n, Field::alias));
      f.env->vars.set(alias, Value::object(std::make_shared<LazyImportObj>(module, "", f.file->location(n))));
    } else {
      std::string module = dotted_text(f, n);
      std::string top = module.substr(0, module.find('.'));
      // `import a.b` binds `a`; the submodule is reached through attribute access.
      f.env->vars.set(top, Value::object(std::make_shared<LazyImportObj>(top, "", f.file->location(n))));
      if (top != module) in.import_module(module, f.file->location(n));
    }
  }
}

static void exec_import_from(Interpreter& in, Frame& f, TSNode stmt) {
  TSNode module_node = field(stmt, Field::module_name);
  std::string module;
  if (parse::kind(module_node) == Kind::k_relative_import) {
    int level = 0;
    std::string rest;
    for (TSNode c : named_children(module_node)) {
      if (parse::kind(c) == Kind::k_import_prefix) level = static_cast<int>(f.file->node_text(c).size());
      else rest = dotted_text(f, c);
    }
    index::ModulePath where{"", f.module ? f.module->name : std::string(), f.module && f.module->is_package};
    std::size_t depth = std::count(where.dotted_name.begin(), where.dotted_name.end(), '.') + (where.is_package ? 1 : 0);
    auto resolved = index::ProjectIndex::resolve_relative(where, level, rest);
    if (static_cast<std::size_t>(level) > depth && !rest.empty()) {
      // Above the top regular package: a namespace package, resolved by directories.
      std::string error;
      auto path = in.project().find_relative_file(f.file->path(), level, rest);
      if (ModuleNs* ns = path ? in.load_project_file(*path, &error) : nullptr) resolved = ns->name;
    }
    if (!resolved) {
      in.raise("ImportError", "attempted relative import beyond top-level package");
    }
    module = *resolved;
  } else {
    module = dotted_text(f, module_node);
  }
  bool wildcard = false;
  for (TSNode c : named_children(stmt)) {
    if (parse::kind(c) == Kind::k_wildcard_import) wildcard = true;
  }
  if (wildcard) {
    Value m = in.import_module(module, f.file->location(stmt));
    auto* ns = m.as<ModuleNs>();
    if (!ns || !ns->globals) return;
    std::vector<std::string> names;
    if (const Value* all = ns->globals->vars.find("__all__")) {
      if (!is_unknown(*all)) {
        for (auto& v : in.iterate(*all)) {
          if (v.is_str()) names.push_back(v.as_str());
        }
      }
    } else {
      for (auto& kv : ns->globals->vars.items()) {
        if (kv.first.rfind("_", 0) != 0) names.push_back(kv.first);
      }
    }
    for (auto& n : names) {
      if (Value* v = ns->globals->vars.find(n)) f.env->vars.set(n, *v);
    }
    return;
  }
  for (TSNode n : parse::field_children(stmt, Field::name)) {
    std::string name, alias;
    if (parse::kind(n) == Kind::k_aliased_import) {
      name = dotted_text(f, field(n, Field::name));
      alias = node_string(f, field(n, Field::alias));
    } else {
      name = alias = dotted_text(f, n);
    }
    f.env->vars.set(alias, Value::object(std::make_shared<LazyImportObj>(module, name, f.file->location(n))));
  }
}

// ---- statements ---------------------------------------------------------------------------

Flow Interpreter::exec_block(Frame& f, TSNode block) {
  const parse::NodeInfo& n = parse::info(block);
  if (n.kind != Kind::k_block && n.kind != Kind::k_module) return exec_stmt(f, block);
  for (TSNode stmt : n.named) {
    Flow flow = exec_stmt(f, stmt);
    if (flow != Flow::normal) return flow;
  }
  return Flow::normal;
}

static bool exception_matches(Interpreter& in, Frame& f, TSNode clause, const PyError& err) {
  const auto& kids = named_children(clause);
  if (kids.empty() || parse::kind(kids[0]) == Kind::k_block) return true;  // bare except
  TSNode type_node = kids[0];
  if (parse::kind(type_node) == Kind::k_as_pattern) type_node = named_children(type_node).at(0);
  Value types = in.eval(f, type_node);
  if (is_unknown(types)) return true;
  return in.isinstance(err.exc, types);
}

// `except E as name` / `with x as name`: the grammar wraps the name in an as_pattern_target.
static TSNode as_target(TSNode node) {
  if (parse::kind(node) == Kind::k_as_pattern) node = named_children(node).back();
  if (std::string_view(ts_node_type(node)) == "as_pattern_target" && !named_children(node).empty()) node = named_children(node)[0];
  return node;
}

// Binds `except E as name` and returns the name's node (null when there is none).
static TSNode bind_exception_alias(Interpreter& in, Frame& f, TSNode clause, const PyError& err) {
  TSNode alias = field(clause, Field::alias);
  if (parse::is_null(alias)) {
    for (TSNode k : named_children(clause)) {
      if (parse::kind(k) == Kind::k_as_pattern) {
        const auto& parts = named_children(k);
        if (parts.size() > 1) alias = parts.back();
      }
    }
  }
  if (!parse::is_null(alias)) {
    alias = as_target(alias);
    in.assign(f, alias, err.exc);
  }
  return alias;
}

static TSNode clause_body(TSNode clause) {
  const auto& kids = named_children(clause);
  for (auto it = kids.rbegin(); it != kids.rend(); ++it) {
    if (parse::kind(*it) == Kind::k_block) return *it;
  }
  return kids.empty() ? TSNode{} : kids.back();
}

static Flow exec_try(Interpreter& in, Frame& f, TSNode stmt) {
  TSNode body = field(stmt, Field::body);
  std::vector<TSNode> handlers;
  TSNode else_clause{}, finally_clause{};
  for (TSNode c : named_children(stmt)) {
    Kind k = parse::kind(c);
    if (k == Kind::k_except_clause) handlers.push_back(c);
    else if (k == Kind::k_else_clause) else_clause = c;
    else if (k == Kind::k_finally_clause) finally_clause = c;
  }
  auto run_finally = [&]() {
    if (!parse::is_null(finally_clause)) in.exec_block(f, clause_body(finally_clause));
  };
  Flow flow;
  try {
    flow = in.exec_block(f, body);
  } catch (PyError& err) {
    for (TSNode h : handlers) {
      if (exception_matches(in, f, h, err)) {
        TSNode alias = bind_exception_alias(in, f, h, err);
        // CPython deletes the alias when the handler ends.
        auto unbind = [&]() {
          if (!parse::is_null(alias) && parse::kind(alias) == Kind::k_identifier) f.env->vars.erase(std::string(f.file->node_text(alias)));
        };
        Flow hf;
        in.handled_exceptions.push_back(err);
        struct Handled { std::vector<PyError>& stack; ~Handled() { stack.pop_back(); } } handled{in.handled_exceptions};
        try {
          hf = in.exec_block(f, clause_body(h));
        } catch (PyError& raised) {
          // an exception raised while handling another has it as its __context__
          auto* inst = raised.exc.as<InstanceObj>();
          if (inst && raised.exc.obj() != err.exc.obj() && !inst->attrs.find("__context__")) inst->attrs.set("__context__", err.exc);
          unbind();
          run_finally();
          throw;
        } catch (...) {
          unbind();
          run_finally();
          throw;
        }
        unbind();
        run_finally();
        return hf;
      }
    }
    run_finally();
    throw;
  }
  if (flow == Flow::normal && !parse::is_null(else_clause)) flow = in.exec_block(f, field(else_clause, Field::body));
  run_finally();
  return flow;
}

static Flow exec_loop_body(Interpreter& in, Frame& f, TSNode body, bool& broke) {
  Flow flow = in.exec_block(f, body);
  if (flow == Flow::break_) { broke = true; return Flow::normal; }
  if (flow == Flow::continue_) return Flow::normal;
  return flow;
}

Flow Interpreter::exec_stmt(Frame& f, TSNode stmt) {
  try {
    return exec_node(f, stmt);
  } catch (const NativeRaise& e) {
    raise(e.type, e.message);
  }
}

Flow Interpreter::exec_node(Frame& f, TSNode stmt) {
  step();
  current_node = stmt;
  f.statement = stmt;
  if (f.module && f.module->watched && f.file == f.module->file) record_execution(f, stmt);
  const parse::NodeInfo& n = parse::info(stmt);
  switch (n.kind) {
    case Kind::k_expression_statement: {
      for (TSNode e : n.named) {
        Kind k = parse::kind(e);
        if (k == Kind::k_assignment) {
          exec_stmt(f, e);
        } else if (k == Kind::k_augmented_assignment) {
          exec_stmt(f, e);
        } else if (k == Kind::k_string) {
          continue;  // docstring
        } else {
          eval(f, e);
        }
      }
      return Flow::normal;
    }
    case Kind::k_assignment: {
      TSNode right = n.field(Field::right);
      TSNode left = n.field(Field::left);
      if (parse::is_null(right)) {  // annotation only: `x: int`
        if (f.is_class_body && parse::kind(left) == Kind::k_identifier) f.annotated.push_back(mangle(f, node_string(f, left)));
        if (parse::kind(left) == Kind::k_subscript || parse::kind(left) == Kind::k_attribute) {
          // CPython evaluates a target that is not a plain name (`a[i]: int` reads a and i).
          // tree-sitter-python 0.23 reads `match [a, b]:` + `case [x, y]:` as such a target,
          // `match[a, b]: case[x, y]`: a match statement that must not pass as a no-op.
          TSNode object = field(left, parse::kind(left) == Kind::k_subscript ? Field::value : Field::object);
          try {
            (void)eval(f, object);
          } catch (const PyError& e) {
            if (e.type != "NameError" || parse::kind(object) != Kind::k_identifier || node_string(f, object) != "match") throw;
            raise("SyntaxError", "a match statement whose subject is a list or tuple display is misread by the parser "
                                 "(tree-sitter-python 0.23); give the subject a name first: `subject = [...]` then `match subject:`");
          }
          if (parse::kind(left) == Kind::k_subscript) {
            for (TSNode index : parse::field_children(left, Field::subscript)) (void)eval(f, index);
          }
        }
        return Flow::normal;
      }
      if (f.is_class_body && !parse::is_null(n.field(Field::type)) && parse::kind(left) == Kind::k_identifier) {
        f.annotated.push_back(mangle(f, node_string(f, left)));
      }
      // `a = b = value`: the right side is itself an assignment.
      std::vector<TSNode> targets{left};
      while (parse::kind(right) == Kind::k_assignment) {
        targets.push_back(field(right, Field::left));
        right = field(right, Field::right);
      }
      Value value = eval(f, right);
      for (TSNode t : targets) assign(f, t, value);
      return Flow::normal;
    }
    case Kind::k_augmented_assignment: {
      TSNode left = n.field(Field::left);
      std::string op = node_string(f, n.field(Field::operator_));
      op.pop_back();  // "+=" -> "+"
      Value current = eval(f, left);
      Value rhs = eval(f, n.field(Field::right));
      current_node = stmt;
      if (auto* l = current.as<ListObj>(); l && op == "+") {
        for (auto& x : iterate(rhs)) l->items.push_back(x);  // in place: aliases see it
        return Flow::normal;
      }
      if (auto* inst = current.as<InstanceObj>()) {
        if (op == "+" && inst->cls->lookup("__iadd__")) {
          CallArgs a;
          a.positional.push_back(rhs);
          assign(f, left, call(get_attr(current, "__iadd__"), std::move(a)));
          return Flow::normal;
        }
      }
      if (current.as<TensorObj>()) return Flow::normal;  // in-place tensor math keeps the shape
      assign(f, left, binary(op, current, rhs));
      return Flow::normal;
    }
    case Kind::k_return_statement: {
      const auto& kids = n.named;
      f.return_value = kids.empty() ? Value::none() : eval(f, kids[0]);
      return Flow::return_;
    }
    case Kind::k_if_statement: {
      TSNode condition = n.field(Field::condition);
      Value cond = eval(f, condition);
      if (is_unknown(cond)) note_unknown(cond, "if-condition depends on an unresolved value");
      bool taken = !is_unknown(cond) && truthy(cond);
      observe_decision(f, condition, cond, taken);
      if (taken) return exec_block(f, n.field(Field::consequence));
      for (TSNode alt : parse::field_children(stmt, Field::alternative)) {
        if (parse::kind(alt) == Kind::k_elif_clause) {
          TSNode elif_condition = field(alt, Field::condition);
          Value c = eval(f, elif_condition);
          if (is_unknown(c)) note_unknown(c, "elif-condition depends on an unresolved value");
          bool elif_taken = !is_unknown(c) && truthy(c);
          observe_decision(f, elif_condition, c, elif_taken);
          if (elif_taken) return exec_block(f, field(alt, Field::consequence));
        } else {
          return exec_block(f, field(alt, Field::body));
        }
      }
      return Flow::normal;
    }
    case Kind::k_for_statement: {
      Value iterable = eval(f, n.field(Field::right));
      if (is_unknown(iterable)) {
        note_unknown(iterable, "for-loop over an unresolved iterable");
        return Flow::normal;
      }
      bool broke = false;
      // a dict that grows or shrinks while a loop goes over it stops the loop, as in CPython
      auto* dict = iterable.as<DictObj>();
      const std::size_t dict_size = dict ? dict->items.size() : 0;
      Flow ended = Flow::normal;
      for_each_item(iterable, [&](const Value& item) {
        assign(f, n.field(Field::left), item);
        ended = exec_loop_body(*this, f, n.field(Field::body), broke);
        if (ended != Flow::normal || broke) return false;
        if (dict && dict->items.size() != dict_size) raise("RuntimeError", "dictionary changed size during iteration");
        return true;
      });
      if (ended != Flow::normal) return ended;
      TSNode alt = n.field(Field::alternative);
      if (!broke && !parse::is_null(alt)) return exec_block(f, field(alt, Field::body));
      return Flow::normal;
    }
    case Kind::k_while_statement: {
      bool broke = false;
      std::int64_t iterations = 0;
      while (true) {
        Value cond = eval(f, n.field(Field::condition));
        if (is_unknown(cond)) {
          note_unknown(cond, "while-condition depends on an unresolved value");
          break;
        }
        bool again = truthy(cond);
        observe_decision(f, n.field(Field::condition), cond, again);
        if (!again) break;
        if (++iterations > limits_.max_loop_iterations) {
          note_unresolved(here(), "while-loop did not finish within the iteration budget");
          break;
        }
        Flow flow = exec_loop_body(*this, f, n.field(Field::body), broke);
        if (flow != Flow::normal) return flow;
        if (broke) break;
      }
      TSNode alt = n.field(Field::alternative);
      if (!broke && !parse::is_null(alt)) return exec_block(f, field(alt, Field::body));
      return Flow::normal;
    }
    case Kind::k_try_statement: return exec_try(*this, f, stmt);
    case Kind::k_with_statement: {
      // Instances with __enter__/__exit__ are real context managers; other values (torch's
      // no_grad(), unresolved ones) bind as themselves.
      std::vector<Value> managers;
      auto enter = [&](const Value& v) {
        auto* inst = v.as<InstanceObj>();
        if (!inst || !inst->cls->lookup("__enter__") || !inst->cls->lookup("__exit__")) return v;
        Value entered = call(get_attr(v, "__enter__"), CallArgs{});
        managers.push_back(v);
        return entered;
      };
      for (TSNode c : n.named) {
        if (parse::kind(c) != Kind::k_with_clause) continue;
        for (TSNode item : named_children(c)) {
          TSNode value = field(item, Field::value);
          if (parse::kind(value) == Kind::k_as_pattern) {
            const auto& parts = named_children(value);
            Value v = enter(eval(f, parts.at(0)));
            if (parts.size() > 1) assign(f, as_target(parts.back()), v);
          } else {
            enter(eval(f, value));
          }
        }
      }
      Flow flow;
      try {
        flow = exec_block(f, n.field(Field::body));
      } catch (PyError& err) {
        bool suppressed = false;
        for (auto it = managers.rbegin(); it != managers.rend(); ++it) {
          CallArgs args{{Value::none(), Value::none(), Value::none()}, {}};
          if (!suppressed) args.positional = {get_attr(err.exc, "__class__"), err.exc, Value::none()};
          if (truthy(call(get_attr(*it, "__exit__"), args))) suppressed = true;
        }
        if (!suppressed) throw;
        return Flow::normal;
      }
      for (auto it = managers.rbegin(); it != managers.rend(); ++it) {
        call(get_attr(*it, "__exit__"), CallArgs{{Value::none(), Value::none(), Value::none()}, {}});
      }
      return flow;
    }
    case Kind::k_raise_statement: {
      const auto& kids = n.named;
      if (kids.empty()) {
        if (handled_exceptions.empty()) raise("RuntimeError", "No active exception to reraise");
        throw handled_exceptions.back();
      }
      PyError error = exception_from(eval(f, kids[0]));
      auto* inst = error.exc.as<InstanceObj>();
      if (TSNode cause_node = n.field(Field::cause); inst && !parse::is_null(cause_node)) {
        // `raise E from C`: C (an instance, or a class to instantiate, or None) is the cause,
        // and the context is no longer shown
        Value cause = eval(f, cause_node);
        if (cause.as<ClassObj>()) cause = call(cause, CallArgs{});
        inst->attrs.set("__cause__", cause);
        inst->attrs.set("__suppress_context__", Value::boolean(true));
      }
      throw error;
    }
    case Kind::k_pass_statement: return Flow::normal;
    case Kind::k_break_statement: return Flow::break_;
    case Kind::k_continue_statement: return Flow::continue_;
    case Kind::k_delete_statement: {
      for (TSNode t : n.named) {
        std::vector<TSNode> targets = parse::kind(t) == Kind::k_expression_list ? named_children(t) : std::vector<TSNode>{t};
        for (TSNode target : targets) {
          switch (parse::kind(target)) {
            case Kind::k_identifier: f.env->vars.erase(mangle(f, node_string(f, target))); break;
            case Kind::k_attribute:
              del_attr(eval(f, field(target, Field::object)), mangle(f, node_string(f, field(target, Field::attribute))));
              break;
            case Kind::k_subscript: {
              auto subs = parse::field_children(target, Field::subscript);
              del_item(eval(f, field(target, Field::value)), eval(f, subs.at(0)));
              break;
            }
            default: break;
          }
        }
      }
      return Flow::normal;
    }
    case Kind::k_global_statement: case Kind::k_nonlocal_statement: {
      auto& list = n.kind == Kind::k_global_statement ? f.env->declared_global : f.env->declared_nonlocal;
      for (TSNode name : n.named) list.push_back(mangle(f, node_string(f, name)));
      return Flow::normal;
    }
    case Kind::k_assert_statement: {
      const auto& kids = n.named;
      Value cond = eval(f, kids.at(0));
      if (!is_unknown(cond) && !truthy(cond)) {
        raise("AssertionError", kids.size() > 1 ? str(eval(f, kids[1])) : std::string());
      }
      return Flow::normal;
    }
    case Kind::k_import_statement: exec_import(*this, f, stmt); return Flow::normal;
    case Kind::k_import_from_statement: exec_import_from(*this, f, stmt); return Flow::normal;
    case Kind::k_future_import_statement: return Flow::normal;
    case Kind::k_function_definition: {
      std::string name = node_string(f, n.field(Field::name));
      f.env->vars.set(mangle(f, name), make_function(f, stmt, name));
      return Flow::normal;
    }
    case Kind::k_class_definition: {
      f.env->vars.set(mangle(f, node_string(f, n.field(Field::name))), make_class(f, stmt));
      return Flow::normal;
    }
    case Kind::k_decorated_definition: {
      TSNode def = n.field(Field::definition);
      std::string name = node_string(f, field(def, Field::name));
      Value value = parse::kind(def) == Kind::k_class_definition ? make_class(f, def) : make_function(f, def, name);
      const auto& decorators = n.named;
      // Decorators are evaluated top-down and applied bottom-up, as in CPython. One that the
      // analyzer cannot follow (an Unknown, or a raise inside project decorator code such as a
      // registry) is taken as the identity, which is what such decorators are for the
      // structure a constructor builds. So is a functools.wraps wrapper: it stands for the
      // function it wraps (legacy-argument shims), which keeps the builder's own parameters
      // and file for branch enumeration and change analysis.
      std::vector<Value> decos;
      for (TSNode d : decorators) {
        if (parse::kind(d) == Kind::k_decorator) decos.push_back(eval(f, named_children(d).at(0)));
      }
      for (auto it = decos.rbegin(); it != decos.rend(); ++it) {
        if (is_unknown(*it)) continue;
        CallArgs a;
        a.positional.push_back(value);
        try {
          Value result = call(*it, std::move(a));
          const Value* wrapped = result.as<FunctionObj>() ? result.as<FunctionObj>()->attrs.find("__wrapped__") : nullptr;
          bool transparent = wrapped && wrapped->is_obj() && value.is_obj() && wrapped->obj() == value.obj();
          if (!is_unknown(result) && !transparent) value = result;
        } catch (PyError&) {
          if (it->as<BuiltinObj>() || it->as<ClassObj>()) throw;
        }
      }
      f.env->vars.set(mangle(f, name), value);
      return Flow::normal;
    }
    case Kind::k_match_statement: return exec_match(*this, f, stmt);
    case Kind::k_comment: return Flow::normal;
    default:
      note_unresolved(f.file->location(stmt), fmt::format("unsupported statement '{}'", ts_node_type(stmt)));
      return Flow::normal;
  }
}

}  // namespace ckg::interp
