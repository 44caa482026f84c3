// The object protocol: calls, attributes, items, truth, iteration, operators, modules.
#include "interp/interpreter.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <limits>
#include <optional>

#include <fmt/format.h>

#include "interp/format.h"
#include "interp/generators.h"
#include "interp/modules/modules.h"
#include "interp/torch_inventory.h"
#include "parse/syntax.h"

namespace ckg::interp {

Interpreter::Interpreter(index::ProjectIndex& index, Limits limits) : index_(index), limits_(limits) {
  builtins_ = std::make_shared<Env>();
  install_python_builtins(*this);
  install_reflection(*this);
  install_torch_model(*this);
  install_library_models(*this);
}

// A generator still suspended holds a fiber stack and, on it, values only it can release: each is
// closed while the interpreter can still run its finally blocks. Their output goes nowhere now.
Interpreter::~Interpreter() {
  print_sink = nullptr;
  observing = nullptr;
  close_generators();
}

// ---- errors and notes ---------------------------------------------------------------------

void Interpreter::observe_decision(const Frame& f, TSNode condition, const Value& value, bool outcome) {
  if (!observing || value.taint() == 0 || !f.file) return;
  observing->decisions.push_back(Decision{fmt::format("{}:{}", f.file->path(), ts_node_start_byte(condition)),
                                          std::string(f.file->node_text(condition)),
                                          value.derivation() ? std::optional(*value.derivation()) : std::nullopt,
                                          value.taint(), outcome});
}

parse::Location Interpreter::here() const {
  for (auto it = frames.rbegin(); it != frames.rend(); ++it) {
    if ((*it)->file && !ts_node_is_null(current_node)) {
      // current_node belongs to the innermost frame's file.
      return (*it)->file->location(current_node);
    }
    if ((*it)->file) return parse::Location{(*it)->file->path(), 0, 0};
  }
  return {};
}

static bool is_project_frame(const Frame& f) { return f.file && f.file->path().rfind("<ckptguard>", 0) != 0; }

static manifest::SourceRange range_of(const parse::SourceFile& file, TSNode n) {
  return {file.path(), static_cast<int>(ts_node_start_point(n).row) + 1, static_cast<int>(ts_node_end_point(n).row) + 1};
}

parse::Location Interpreter::project_location() const {
  for (auto it = frames.rbegin(); it != frames.rend(); ++it) {
    const Frame& f = **it;
    if (!is_project_frame(f) || ts_node_is_null(f.statement)) continue;
    return f.file->location(f.statement);
  }
  return {};
}

manifest::SourceRange Interpreter::project_statement() const {
  for (auto it = frames.rbegin(); it != frames.rend(); ++it) {
    const Frame& f = **it;
    if (is_project_frame(f) && !ts_node_is_null(f.statement)) return range_of(*f.file, f.statement);
  }
  return {};
}

std::vector<manifest::SourceRange> Interpreter::creation_chain() const {
  std::vector<manifest::SourceRange> chain;
  for (const Frame* f : frames) {
    if (is_project_frame(*f) && !ts_node_is_null(f->call)) chain.push_back(range_of(*f->file, f->call));
  }
  return chain;
}

void Interpreter::watch(const std::string& path) {
  std::error_code ec;
  watched_.insert(std::filesystem::absolute(path, ec).lexically_normal().string());
}

const std::set<manifest::SourceRange>& Interpreter::executed_at_load(const std::string& path) const {
  static const std::set<manifest::SourceRange> none;
  auto it = executed_at_load_.find(path);
  return it == executed_at_load_.end() ? none : it->second;
}

// A simple statement runs all its lines; a compound one only its header here (its body's
// statements are recorded as they run): a `def` runs its decorators and signature, not its body.
void Interpreter::record_execution(const Frame& f, TSNode stmt) {
  manifest::SourceRange r = range_of(*f.file, stmt);
  TSNode body = parse::field(stmt, parse::Field::body);
  if (parse::kind(stmt) == parse::Kind::k_decorated_definition) body = parse::field(parse::field(stmt, parse::Field::definition), parse::Field::body);
  if (!ts_node_is_null(body)) r.end_line = std::max(r.line, static_cast<int>(ts_node_start_point(body).row));
  (loading_modules_ > 0 ? executed_at_load_[f.file->path()] : executed_).insert(std::move(r));
}

void Interpreter::raise(const std::string& type, const std::string& message) {
  ClassObj* cls = exception_class(type);
  auto inst = std::make_shared<InstanceObj>(cls);
  // an empty message is no argument at all, as for `assert x` and next() past the end
  if (!message.empty()) inst->exception_args.push_back(Value::string(message));
  throw PyError{Value::object(inst), type, message, here(), project_location()};
}

void Interpreter::raise_key_error(const Value& key) {
  auto inst = std::make_shared<InstanceObj>(exception_class("KeyError"));
  inst->exception_args.push_back(key);
  std::string message = display(key, true);
  throw PyError{Value::object(inst), "KeyError", message, here(), project_location()};
}

Value Interpreter::unknown(const std::string& reason, bool may_hold_state) {
  return make_unknown(reason, here(), may_hold_state);
}

// Modules outside the project whose attributes, and what calling them returns, are never a
// Module or a Parameter: functions on tensors, optimizers, numbers, the environment.
static bool stateless_module(const std::string& name) {
  static const char* const kStateless[] = {"torch.nn.functional", "torch.optim", "torch.distributed", "torch.cuda",
                                           "torch.backends", "numpy", "math", "os", "sys", "logging", "warnings",
                                           "random", "time", "platform"};
  for (std::string_view m : kStateless) {
    if (name == m || (name.size() > m.size() && name.compare(0, m.size(), m) == 0 && name[m.size()] == '.')) return true;
  }
  return false;
}

static bool in_catalogue(const std::string& path) { return path.rfind("<ckptguard>", 0) == 0; }

void Interpreter::note_unresolved(const parse::Location& where_in, const std::string& reason) {
  if (loading_modules_ > 0) return;
  // Inside the embedded torch.nn catalogue, the user's line is the one that called into torch.
  parse::Location where = where_in;
  if (in_catalogue(where.file)) {
    if (parse::Location user = project_location(); !user.file.empty()) where = std::move(user);
  }
  manifest::Unresolved u{where.file, where.line, reason};
  if (std::find(unresolved_.begin(), unresolved_.end(), u) == unresolved_.end()) unresolved_.push_back(u);
}

void Interpreter::note_unknown(const Value& v, const std::string& context) {
  if (auto* u = v.as<UnknownObj>()) {
    parse::Location at = here();
    std::string reason = context + ": " + u->reason;
    if ((u->where.file == at.file && u->where.line == at.line) || in_catalogue(u->where.file)) {
      note_unresolved(at, reason);
    } else {
      note_unresolved(at, fmt::format("{} (from {}:{})", reason, u->where.file, u->where.line));
    }
  }
}

Value Interpreter::ask_runtime(const std::string& question) {
  std::string reason = fmt::format("{} depends on the process that builds the model", question);
  // A module's top level runs once per session, so a rebuild could not try another answer there.
  if (loading_modules_ > 0) return unknown(reason, false);
  auto given = runtime_answers.find(question);
  bool answer = given != runtime_answers.end() && given->second;
  parse::Location at = here();
  if (in_catalogue(at.file)) {
    if (parse::Location user = project_location(); !user.file.empty()) at = std::move(user);
  }
  manifest::Unresolved note{at.file, at.line, fmt::format("{} (taken as {})", reason, answer ? "True" : "False")};
  bool asked = std::any_of(runtime_questions_.begin(), runtime_questions_.end(), [&](auto& q) { return q.first == question && q.second == note; });
  if (!asked) runtime_questions_.emplace_back(question, note);
  note_unresolved(at, note.reason);
  return Value::boolean(answer);
}

void Interpreter::charge(std::uint64_t bytes, const char* what) {
  if (bytes > limits_.max_alloc_bytes || allocated_ > limits_.max_alloc_bytes - bytes) {
    throw AnalysisAbort{fmt::format("model code allocates more than {} bytes (limit max_alloc_bytes), the last for {}", limits_.max_alloc_bytes, what), here()};
  }
  allocated_ += bytes;
}

void Interpreter::step() {
  if (++steps_ > limits_.max_steps) throw AnalysisAbort{"step budget exhausted", here()};
  // The clock is read every 4096 steps: often enough to stop within milliseconds of the limit.
  if ((steps_ & 4095) == 0 && std::chrono::steady_clock::now() > deadline_) {
    throw AnalysisAbort{fmt::format("model code ran longer than {} s (limit max_seconds)", limits_.max_seconds), here()};
  }
}

// ---- registration -------------------------------------------------------------------------

ClassObj* Interpreter::new_native_class(const std::string& qualname, std::vector<ClassObj*> bases) {
  auto cls = std::make_shared<ClassObj>();
  cls->qualname = qualname;
  cls->name = qualname.substr(qualname.rfind('.') + 1);
  for (ClassObj* b : bases) {
    for (auto& keep : keep_alive_) {
      if (keep.get() == b) cls->bases.push_back(Value::object(keep));
    }
  }
  compute_mro(cls.get());
  for (ClassObj* c : cls->mro) {
    if (c == module_class_ && module_class_) cls->derives_from_module = true;
  }
  keep_alive_.push_back(cls);
  return cls.get();
}

void Interpreter::add_method(ClassObj* cls, const std::string& name, NativeFn fn) {
  cls->attrs.set(name, builtin(cls->name + "." + name, std::move(fn)));
}

Value Interpreter::builtin(const std::string& name, NativeFn fn) {
  return Value::object(std::make_shared<BuiltinObj>(name, std::move(fn)));
}

ModuleNs* Interpreter::new_native_module(const std::string& dotted) {
  auto ns = std::make_shared<ModuleNs>();
  ns->name = dotted;
  ns->globals = std::make_shared<Env>();
  ns->globals->module = ns.get();
  ns->executed = true;
  modules_[dotted] = ns;
  return ns.get();
}

void Interpreter::set_global(ModuleNs* m, const std::string& name, Value v) { m->globals->vars.set(name, std::move(v)); }

ClassObj* Interpreter::exception_class(const std::string& name, const std::string& base_name) {
  auto it = exception_classes_.find(name);
  if (it != exception_classes_.end()) return it->second;
  ClassObj* base = types.base_exception;
  if (base_name == "BaseException") {
    base = types.base_exception;
  } else if (!base_name.empty()) {
    base = exception_class(base_name);
  } else if (auto ex = exception_classes_.find("Exception"); ex != exception_classes_.end()) {
    base = ex->second;
  }
  ClassObj* cls = new_native_class(name, {base});
  exception_classes_[name] = cls;
  builtins_->vars.set(name, Value::object(keep_alive_.back()));
  return cls;
}

// ---- modules ------------------------------------------------------------------------------

// Names a top-level statement binds: assignment targets, def and class names.
static std::vector<std::string> bound_names(const parse::SourceFile& file, TSNode stmt) {
  using parse::Kind;
  std::vector<std::string> out;
  std::vector<TSNode> pending{stmt};
  while (!pending.empty()) {
    TSNode n = pending.back();
    pending.pop_back();
    switch (parse::kind(n)) {
      case Kind::k_expression_statement:
        for (TSNode c : parse::named_children(n)) pending.push_back(c);
        break;
      case Kind::k_assignment: case Kind::k_augmented_assignment:
        pending.push_back(parse::field(n, parse::Field::left));
        if (parse::kind(parse::field(n, parse::Field::right)) == Kind::k_assignment) pending.push_back(parse::field(n, parse::Field::right));
        break;
      case Kind::k_pattern_list: case Kind::k_tuple_pattern: case Kind::k_list_pattern: case Kind::k_tuple: case Kind::k_list:
        for (TSNode c : parse::named_children(n)) pending.push_back(c);
        break;
      case Kind::k_identifier: out.emplace_back(file.node_text(n)); break;
      case Kind::k_decorated_definition: pending.push_back(parse::field(n, parse::Field::definition)); break;
      case Kind::k_class_definition: case Kind::k_function_definition:
        out.emplace_back(file.node_text(parse::field(n, parse::Field::name)));
        break;
      default: break;
    }
  }
  return out;
}

ModuleNs* Interpreter::load_project_file(const std::string& path, std::string* error) {
  index::ModulePath where = index::locate_module(path, index_.files());
  auto it = modules_.find(where.dotted_name);
  if (it != modules_.end()) return static_cast<ModuleNs*>(it->second.get());
  parse::LoadResult loaded = index_.load(path);
  if (!loaded.file) {
    if (error) *error = loaded.error ? loaded.error->reason : "cannot be read";
    return nullptr;
  }
  index_.add_search_root(where.root);
  auto ns = std::make_shared<ModuleNs>();
  ns->name = where.dotted_name;
  ns->file = loaded.file;
  ns->is_package = where.is_package;
  ns->is_project = true;
  std::error_code ec;
  ns->watched = !watched_.empty() && watched_.count(std::filesystem::absolute(path, ec).lexically_normal().string()) > 0;
  ns->globals = std::make_shared<Env>();
  ns->globals->module = ns.get();
  ns->globals->vars.set("__name__", Value::string(where.dotted_name));
  ns->globals->vars.set("__file__", Value::string(path));
  modules_[where.dotted_name] = ns;
  Frame frame;
  frame.file = loaded.file;
  frame.env = ns->globals;
  frame.module = ns.get();
  FrameScope scope(*this, frame);
  // Notes made while a module loads would be about its globals, not about the model: the
  // names they concern become Unknowns that are reported where the model uses them.
  ++loading_modules_;
  struct LoadingGuard { int& n; ~LoadingGuard() { --n; } } loading{loading_modules_};
  // Each top-level statement stands alone: one that fails binds its names to an Unknown that
  // carries the reason, so it is reported only if the model actually uses those names.
  for (TSNode stmt : parse::named_children(loaded.file->root())) {
    try {
      exec_stmt(frame, stmt);
    } catch (PyError& e) {
      if (script_mode) throw;
      Value failed = make_unknown(fmt::format("module-level statement raised {}", e.described()),
                                  loaded.file->location(stmt));
      for (const std::string& name : bound_names(*loaded.file, stmt)) ns->globals->vars.set(name, failed);
    }
  }
  ns->executed = true;
  apply_library_models(*this, *ns);
  return ns.get();
}

Value Interpreter::import_module(const std::string& dotted, const parse::Location& at) {
  auto it = modules_.find(dotted);
  if (it != modules_.end()) return Value::object(it->second);
  // A modelled standard-library (or numpy) module, installed on first import.
  if (modules::Installer install = modules::find(dotted)) {
    ModuleNs* ns = new_native_module(dotted);
    install(*this, *ns);
    return Value::object(modules_[dotted]);
  }
  // Every torch.nn.modules.* submodule is the same catalogue namespace.
  if (dotted.rfind("torch.nn.modules", 0) == 0 || dotted == "torch.nn.modules") {
    auto nn = modules_.find("torch.nn");
    modules_[dotted] = nn->second;
    return Value::object(nn->second);
  }
  bool native_root = dotted == "torch" || dotted.rfind("torch.", 0) == 0;
  // A package modelled natively (numpy, einops, the standard library's) is never followed into
  // its source: a submodule the model lacks is opaque.
  if (std::string top = dotted.substr(0, dotted.find('.')); top != dotted && modules::find(top)) native_root = true;
  if (auto top = modules_.find(dotted.substr(0, dotted.find('.'))); top != modules_.end() && top->first != dotted) {
    auto* root = static_cast<ModuleNs*>(top->second.get());
    if (!root->is_project && !root->file) native_root = true;
  }
  if (!native_root) {
    if (auto path = index_.find_module(dotted)) {
      std::string error;
      if (ModuleNs* ns = load_project_file(*path, &error)) {
        return Value::object(modules_[ns->name]);
      }
      note_unresolved(at, fmt::format("cannot import {}: {}", dotted, error));
    }
    if (index_.is_package_dir(dotted)) {  // namespace package
      ModuleNs* ns = new_native_module(dotted);
      ns->is_project = true;
      return Value::object(modules_[dotted]);
    }
  }
  // Outside the project and not modelled: an opaque module whose attributes are unknown.
  ModuleNs* ns = new_native_module(dotted);
  ns->opaque = true;
  (void)at;
  return Value::object(modules_[dotted]);
}

Value Interpreter::resolve_lazy(const Value& v) {
  auto* lazy = v.as<LazyImportObj>();
  if (!lazy) return v;
  // `from . import sub` inside pkg/__init__.py binds a lazy name that resolves through the
  // package to itself: a lazy met again while resolving means "the submodule".
  if (lazy->resolving) {
    std::string sub = lazy->attribute.empty() ? lazy->module : lazy->module + "." + lazy->attribute;
    if (index_.find_module(sub) || modules_.count(sub)) return import_module(sub, lazy->where);
    return make_unknown(fmt::format("circular import of {}", sub), lazy->where);
  }
  struct Guard { LazyImportObj* l; ~Guard() { l->resolving = false; } } guard{lazy};
  lazy->resolving = true;
  Value module = import_module(lazy->module, lazy->where);
  if (lazy->attribute.empty()) return module;
  auto* ns = module.as<ModuleNs>();
  if (ns && !ns->opaque) {
    if (Value* found = ns->globals->vars.find(lazy->attribute)) {
      if (found->as<LazyImportObj>()) {
        Value resolved = resolve_lazy(*found);
        if (Value* again = ns->globals->vars.find(lazy->attribute)) *again = resolved;
        return resolved;
      }
      return *found;
    }
    // `from pkg import submodule`
    std::string sub = lazy->module + "." + lazy->attribute;
    if (index_.find_module(sub) || modules_.count(sub)) return import_module(sub, lazy->where);
    if (ns->is_project) {
      return make_unknown(fmt::format("cannot import name '{}' from '{}'", lazy->attribute, lazy->module), lazy->where);
    }
  }
  return make_unknown(fmt::format("{}.{} is outside the project", lazy->module, lazy->attribute), lazy->where,
                      !stateless_module(lazy->module));
}

// ---- calls --------------------------------------------------------------------------------

// Arguments that fully determine a catalogue layer: scalars, strings, dtypes, and tuples or
// lists of those.
static bool plain_argument(const Value& v, std::string& key) {
  if (v.is_none() || v.is_bool() || v.is_int() || v.is_float() || v.is_str()) {
    key += std::to_string(static_cast<int>(v.tag())) + repr(v) + ",";
    return true;
  }
  if (auto* d = v.as<DtypeObj>()) {
    key += "dtype:" + d->name + ",";
    return true;
  }
  NestingGuard guard(v.is_obj() ? v.obj().get() : nullptr);
  if (guard.cycle()) return false;
  const std::vector<Value>* items = nullptr;
  if (auto* t = v.as<TupleObj>(); t && !t->named) items = &t->items, key += "(";
  else if (auto* l = v.as<ListObj>()) items = &l->items, key += "[";
  if (!items) return false;
  for (const auto& item : *items) {
    if (!plain_argument(item, key)) return false;
  }
  key += "),";
  return true;
}

std::string Interpreter::layer_cache_key(ClassObj* cls, const CallArgs& args) {
  if (cls->qualname.rfind("torch.nn.", 0) != 0) return {};
  const Value* init = cls->lookup("__init__");
  auto* fn = init ? init->as<FunctionObj>() : nullptr;
  if (!fn || !fn->file || fn->file->path().rfind("<ckptguard>", 0) != 0) return {};
  std::string key = fmt::format("{}|", static_cast<const void*>(cls));
  for (const auto& v : args.positional) {
    if (!plain_argument(v, key)) return {};
  }
  for (const auto& [name, v] : args.keywords) {
    key += name + "=";
    if (!plain_argument(v, key)) return {};
  }
  return key;
}

// A cached layer's registrations all happened inside torch.nn; they belong to the statement that
// builds this copy, and it was created by the calls in progress now.
void Interpreter::relocate_origins(const Value& module, const manifest::SourceRange& at,
                                   const std::vector<manifest::SourceRange>& chain) {
  auto* m = module.as<InstanceObj>();
  if (!m || !m->module) return;
  for (auto& [name, origin] : m->module->origins) origin = at;
  m->module->created_at = chain;
  for (auto& [name, child] : m->module->modules.items()) relocate_origins(child, at, chain);
}

// The builtin dict (or OrderedDict) a project class derives from, when its instances can be native
// dicts: the class leaves the item protocol to dict, which len(), `in`, iteration and subscripts
// use directly. A class that redefines it (or how it is created or formatted) stays an ordinary
// instance; its own __repr__ and __str__ are display()'s to call.
ClassObj* Interpreter::dict_base(ClassObj* cls) const {
  static const char* const kProtocol[] = {"__getitem__", "__setitem__", "__delitem__", "__len__", "__iter__",
                                          "__contains__", "__bool__", "__eq__", "__hash__", "__new__",
                                          "__format__"};
  for (ClassObj* c : cls->mro) {
    if (c == types.dict || c == types.ordered_dict) return c;
    if (c->native_new) return nullptr;  // another builtin base comes first
    for (const char* name : kProtocol) {
      if (c->attrs.contains(name)) return nullptr;
    }
  }
  return nullptr;
}

// A named tuple field's default, from the class's _field_defaults (collections_module.cpp).
static Value* namedtuple_default(ClassObj* cls, const std::string& field) {
  const Value* defaults = cls->lookup("_field_defaults");
  return defaults && defaults->as<DictObj>() ? defaults->as<DictObj>()->find(Value::string(field)) : nullptr;
}

Value Interpreter::instantiate(ClassObj* cls, const ObjPtr& holder, CallArgs& args) {
  if (cls->native_new) return cls->native_new(*this, args);
  // abc.ABCMeta lists what is still abstract; object.__new__ refuses such a class.
  if (const Value* abstract = cls->lookup("__abstractmethods__")) {
    auto* names = abstract->as<SetObj>();
    if (names && !names->items.empty()) {
      std::vector<std::string> listed;
      for (auto& n : names->items) listed.push_back(str(n));
      std::sort(listed.begin(), listed.end());
      std::string joined;
      for (auto& n : listed) joined += (joined.empty() ? "" : ", ") + n;
      raise("TypeError", fmt::format("Can't instantiate abstract class {} with abstract method{} {}", cls->name,
                                     listed.size() > 1 ? "s" : "", joined));
    }
  }
  // A __new__ of the class's own (a singleton's, a metaclass's) makes the object; __init__ runs
  // when what it made is an instance of the class.
  if (const Value* make = cls->lookup("__new__"); make && make != types.object->attrs.find("__new__")) {
    Value cls_value = Value::object(holder);
    CallArgs with_cls = args;
    with_cls.positional.insert(with_cls.positional.begin(), cls_value);
    Value made = call(*make, std::move(with_cls));
    if (isinstance(made, cls_value)) {
      if (const Value* init = cls->lookup("__init__")) {
        args.positional.insert(args.positional.begin(), made);
        call(*init, std::move(args));
      }
    }
    return made;
  }
  if (cls->is_enum) {
    Value wanted = args.positional.empty() ? Value::none() : args.positional[0];
    if (auto* w = wanted.as<InstanceObj>(); w && w->cls == cls) return wanted;  // Format(Format.NHWC)
    for (auto& [name, v] : cls->attrs.items()) {
      if (auto* m = v.as<InstanceObj>(); m && m->cls == cls) {
        if (const Value* mv = m->attrs.find("value"); mv && values_equal(*mv, wanted)) return v;
      }
    }
    raise("ValueError", fmt::format("{} is not a valid {}", repr(wanted), cls->name));
  }
  if (ClassObj* base = dict_base(cls)) {
    auto d = std::make_shared<DictObj>();
    d->ordered_dict = base == types.ordered_dict;
    d->subclass = cls;
    d->subclass_holder = holder;
    Value self = Value::object(d);
    CallArgs with_self = std::move(args);
    with_self.positional.insert(with_self.positional.begin(), self);
    call(*cls->lookup("__init__"), std::move(with_self));
    return self;
  }
  std::string cache_key = observing ? std::string() : layer_cache_key(cls, args);
  if (!cache_key.empty()) {
    auto hit = layer_cache_.find(cache_key);
    if (hit != layer_cache_.end()) {
      Value copy = deep_copy_value(*this, hit->second);
      relocate_origins(copy, project_statement(), creation_chain());
      return copy;
    }
  }
  Value self = allocate(cls, holder);
  auto* inst = self.as<InstanceObj>();
  if (types.base_exception && cls->is_subclass_of(types.base_exception)) inst->exception_args = args.positional;
  if (!cls->namedtuple_fields.empty()) {
    std::vector<Value> items;
    for (std::size_t i = 0; i < cls->namedtuple_fields.size(); ++i) {
      const std::string& name = cls->namedtuple_fields[i];
      const Value* kw = args.keyword(name);
      if (i < args.positional.size()) items.push_back(args.positional[i]);
      else if (kw) items.push_back(*kw);
      else if (const Value* d = namedtuple_default(cls, name)) items.push_back(*d);
      else raise("TypeError", fmt::format("{}() missing required argument '{}'", cls->name, name));
    }
    auto t = std::make_shared<TupleObj>(std::move(items));
    t->named = cls;
    return Value::object(t);
  }
  const Value* init = cls->lookup("__init__");
  if (init) {
    CallArgs with_self = std::move(args);
    with_self.positional.insert(with_self.positional.begin(), self);
    call(*init, std::move(with_self));
  }
  if (!cache_key.empty()) layer_cache_.emplace(cache_key, deep_copy_value(*this, self));
  return self;
}

Value Interpreter::allocate(ClassObj* cls, const ObjPtr& holder) {
  auto inst = std::make_shared<InstanceObj>(cls);
  inst->cls_holder = holder;
  if (cls->derives_from_module) {
    inst->module = std::make_unique<ModuleState>();
    inst->module->created_at = creation_chain();
    inst->attrs.set("training", Value::boolean(true));  // set by Module.__init__ in torch
  }
  return Value::object(inst);
}

const Value* Interpreter::metaclass_attr(const ClassObj* cls, const std::string& name) const {
  auto* meta = cls->metaclass.as<ClassObj>();
  if (!meta) return nullptr;
  const Value* v = meta->lookup(name);
  return v && v != types.type->attrs.find(name) && v != types.object->attrs.find(name) ? v : nullptr;
}

Value Interpreter::call(const Value& callee_in, CallArgs args) {
  Value callee = resolve_lazy(callee_in);
  switch (callee.is_obj() ? callee.obj()->kind : ObjKind::unknown) {
    case ObjKind::function: return call_function(*callee.as<FunctionObj>(), args);
    case ObjKind::builtin: {
      // A builtin's result depends on all its arguments (len, int, max, str.format, ...).
      std::uint64_t t = 0;
      for (auto& v : args.positional) t |= v.taint();
      for (auto& kv : args.keywords) t |= kv.second.taint();
      Value out = callee.as<BuiltinObj>()->fn(*this, args);
      return t ? out.with_taint(t) : out;
    }
    case ObjKind::bound_method: {
      auto* bm = callee.as<BoundMethodObj>();
      args.positional.insert(args.positional.begin(), bm->self);
      return call(bm->func, std::move(args));
    }
    case ObjKind::class_: {
      auto* cls = callee.as<ClassObj>();
      if (const Value* meta_call = metaclass_attr(cls, "__call__")) {
        args.positional.insert(args.positional.begin(), callee);
        return call(*meta_call, std::move(args));
      }
      return instantiate(cls, callee.obj(), args);
    }
    case ObjKind::partial: {
      auto* p = callee.as<PartialObj>();
      CallArgs merged = p->bound;
      for (auto& v : args.positional) merged.positional.push_back(v);
      for (auto& kv : args.keywords) {
        auto it = std::find_if(merged.keywords.begin(), merged.keywords.end(), [&](auto& e) { return e.first == kv.first; });
        if (it != merged.keywords.end()) it->second = kv.second;
        else merged.keywords.push_back(kv);
      }
      return call(p->func, std::move(merged));
    }
    case ObjKind::staticmethod: return call(callee.as<StaticMethodObj>()->func, std::move(args));
    case ObjKind::unknown: return callee;
    case ObjKind::instance: {
      auto* inst = callee.as<InstanceObj>();
      if (inst->cls->lookup("__call__")) return call(get_attr(callee, "__call__"), std::move(args));
      if (inst->cls->has_unknown_base) return unknown(fmt::format("call of {} instance", inst->cls->name));
      break;
    }
    default: break;
  }
  raise("TypeError", fmt::format("'{}' object is not callable", type_name(callee)));
}

// ---- attributes ---------------------------------------------------------------------------

static Value bind_attribute(const Value& self, const Value& attr, ClassObj* cls, const ObjPtr& cls_holder) {
  if (attr.as<FunctionObj>() || attr.as<BuiltinObj>() || attr.as<PartialObj>()) {
    if (attr.as<PartialObj>()) return attr;  // partial objects are not descriptors
    return Value::object(std::make_shared<BoundMethodObj>(self, attr));
  }
  if (auto* cm = attr.as<ClassMethodObj>()) {
    (void)cls;
    return Value::object(std::make_shared<BoundMethodObj>(Value::object(cls_holder), cm->func));
  }
  if (auto* sm = attr.as<StaticMethodObj>()) return sm->func;
  return attr;
}

ClassObj* Interpreter::class_of(const Value& v) {
  switch (v.tag()) {
    case Value::Tag::none: return types.none_type;
    case Value::Tag::boolean: return types.bool_;
    case Value::Tag::integer: return types.int_;
    case Value::Tag::floating: return types.float_;
    case Value::Tag::string: return types.str;
    case Value::Tag::object: break;
  }
  switch (v.obj()->kind) {
    case ObjKind::tuple: return v.as<TupleObj>()->named ? v.as<TupleObj>()->named : types.tuple;
    case ObjKind::list: return types.list;
    case ObjKind::dict: {
      auto* d = v.as<DictObj>();
      return d->subclass ? d->subclass : d->ordered_dict ? types.ordered_dict : types.dict;
    }
    case ObjKind::set: return v.as<SetObj>()->frozen ? types.frozenset : types.set;
    case ObjKind::function: case ObjKind::bound_method: return types.function;
    case ObjKind::builtin: return types.builtin_function;
    case ObjKind::class_: {
      const Value& meta = v.as<ClassObj>()->metaclass;
      return meta.is_none() ? types.type : meta.as<ClassObj>();
    }
    case ObjKind::property: return types.property;
    case ObjKind::instance: return v.as<InstanceObj>()->cls;
    case ObjKind::module_ns: return types.module;
    case ObjKind::tensor: return v.as<TensorObj>()->is_parameter ? parameter_class_ : tensor_class_;
    case ObjKind::dtype: return types.dtype;
    case ObjKind::partial: return types.partial;
    case ObjKind::slice: return types.slice;
    case ObjKind::iterator: return types.iterator;
    case ObjKind::bytes: return types.bytes;
    case ObjKind::generator: return types.generator;
    default: return nullptr;
  }
}

// A class's own container protocol comes from its metaclass: len(Color), Color['RED'] and
// `for m in Color` call EnumType's methods with the class as self.
static const Value* metaclass_method(const Value& v, const char* name) {
  auto* cls = v.as<ClassObj>();
  auto* meta = cls ? cls->metaclass.as<ClassObj>() : nullptr;
  return meta ? meta->lookup(name) : nullptr;
}

static ObjPtr holder_of(Interpreter& in, ClassObj* cls, const Value& self) {
  if (auto* inst = self.as<InstanceObj>(); inst && inst->cls == cls && inst->cls_holder) return inst->cls_holder;
  (void)in;
  // Native classes are kept alive by the interpreter; wrap without ownership.
  return ObjPtr(ObjPtr(), cls);
}

Value Interpreter::get_attr(const Value& obj, const std::string& name) {
  Value out = get_attr_plain(obj, name);
  return obj.taint() ? out.with_taint(obj.taint()) : out;
}

// A class attribute that takes precedence over the instance's own attributes: a property, or an
// object whose class defines __set__ or __delete__.
static bool is_data_descriptor(const Value& attr) {
  if (auto* p = attr.as<PropertyObj>()) return p->data;
  auto* d = attr.as<InstanceObj>();
  return d && (d->cls->lookup("__set__") || d->cls->lookup("__delete__"));
}

static bool has_get(const Value& attr) {
  auto* d = attr.as<InstanceObj>();
  return d && d->cls->lookup("__get__");
}

Value Interpreter::descriptor_get(const Value& attr_in, const Value& self, const Value& owner, const std::string& name) {
  Value attr = attr_in;  // held: the getter may replace the class attribute `attr_in` refers to
  if (auto* p = attr.as<PropertyObj>()) {
    if (p->getter.is_none()) raise("AttributeError", fmt::format("property '{}' of '{}' object has no getter", name, owner.as<ClassObj>()->name));
    Value v = call(p->getter, CallArgs{{self}, {}});
    if (auto* inst = self.as<InstanceObj>(); inst && !p->data) inst->attrs.set(name, v);  // cached_property keeps it
    return v;
  }
  return call(get_attr(attr, "__get__"), CallArgs{{self, owner}, {}});
}

Value Interpreter::get_attr_plain(const Value& obj, const std::string& name) {
  if (auto* inst = obj.as<InstanceObj>()) {
    if (const Value* own = inst->cls->lookup("__getattribute__"); own && !own->as<BuiltinObj>()) {
      return call(*own, CallArgs{{obj, Value::string(name)}, {}});
    }
  }
  return generic_get_attr(obj, name);
}

// A function's docstring: its body's first statement when that is a string literal, else None.
static Value function_doc(Interpreter& in, const FunctionObj& fn) {
  TSNode body = parse::field(fn.node, parse::Field::body);
  if (!fn.file || parse::kind(body) != parse::Kind::k_block || parse::named_children(body).empty()) return Value::none();
  TSNode first = parse::named_children(body).front();
  if (parse::kind(first) != parse::Kind::k_expression_statement || parse::named_children(first).size() != 1) return Value::none();
  TSNode literal = parse::named_children(first).front();
  if (parse::kind(literal) != parse::Kind::k_string && parse::kind(literal) != parse::Kind::k_concatenated_string) return Value::none();
  Frame frame;
  frame.file = fn.file;
  frame.env = fn.globals ? fn.globals->globals : nullptr;
  frame.module = fn.globals;
  FrameScope scope(in, frame);
  return in.eval(frame, literal);
}

Value Interpreter::generic_get_attr(const Value& obj_in, const std::string& name) {
  Value obj = resolve_lazy(obj_in);
  if (is_unknown(obj)) return obj;
  if (auto* ns = obj.as<ModuleNs>()) {
    // torch's modules answer from the inventory of the real API: a name torch does not have
    // raises AttributeError, as it would.
    bool listed = inventory::covers(ns->name);
    if (ns->opaque) {
      if (listed && !inventory::has(ns->name, name)) raise("AttributeError", fmt::format("module '{}' has no attribute '{}'", ns->name, name));
      return unknown(fmt::format("{}.{} is outside the project", ns->name, name), !stateless_module(ns->name));
    }
    if (Value* v = ns->globals->vars.find(name)) {
      if (v->as<LazyImportObj>()) *v = resolve_lazy(*v);
      return *v;
    }
    std::string sub = ns->name + "." + name;
    // A modelled submodule (torch.distributed) is an attribute of its package, as `import torch` makes it.
    if (modules_.count(sub) || modules::find(sub) || index_.find_module(sub) || index_.is_package_dir(sub)) return import_module(sub, here());
    if (name == "__name__") return Value::string(ns->name);
    if (name == "__dict__") {
      auto d = std::make_shared<DictObj>();
      for (auto& [k, v] : ns->globals->vars.items()) d->set(Value::string(k), v);
      return Value::object(d);
    }
    if (name == "__file__" && ns->file) return Value::string(ns->file->path());
    // torch.nn stands for every torch.nn.modules.* submodule too (nn.modules.conv._ConvNd)
    if (ns->name == "torch.nn" && inventory::has("torch.nn.modules", name)) return obj;
    if (ns->is_project || (listed && !inventory::has(ns->name, name))) {
      raise("AttributeError", fmt::format("module '{}' has no attribute '{}'", ns->name, name));
    }
    return unknown(fmt::format("{}.{} is not modelled", ns->name, name), !stateless_module(ns->name));
  }
  if (auto* inst = obj.as<InstanceObj>()) {
    if (name == "__class__") return Value::object(holder_of(*this, inst->cls, obj));
    if (name == "__dict__") {
      auto d = std::make_shared<DictObj>();
      for (auto& [k, v] : inst->attrs.items()) d->set(Value::string(k), v);
      d->attrs_of = obj.obj();
      return Value::object(d);
    }
    if (types.base_exception && !inst->attrs.find(name) && inst->cls->is_subclass_of(types.base_exception)) {
      if (name == "args") return make_tuple(inst->exception_args);
      // set by `raise ... from` and by raising while handling (exec.cpp); absent until then
      if (name == "__cause__" || name == "__context__") return Value::none();
      if (name == "__suppress_context__") return Value::boolean(false);
    }
    // Python's order: data descriptors, the instance's own attributes, other class attributes.
    const Value* cls_attr = inst->cls->lookup(name);
    ObjPtr holder = holder_of(*this, inst->cls, obj);
    if (cls_attr && is_data_descriptor(*cls_attr)) return descriptor_get(*cls_attr, obj, Value::object(holder), name);
    if (const Value* v = inst->attrs.find(name)) return *v;
    if (cls_attr) {
      if (cls_attr->as<PropertyObj>() || has_get(*cls_attr)) return descriptor_get(*cls_attr, obj, Value::object(holder), name);
      return bind_attribute(obj, *cls_attr, inst->cls, holder);
    }
    if (inst->module) {
      if (auto v = module_getattr(obj, *inst, name)) return *v;
    }
    if (name == "__module__") return Value::string(inst->cls->qualname.substr(0, inst->cls->qualname.rfind('.')));
    if (const Value* ga = inst->cls->lookup("__getattr__"); ga && !ga->as<BuiltinObj>()) {
      CallArgs a;
      a.positional = {obj, Value::string(name)};
      return call(*ga, std::move(a));
    }
    if (inst->cls->has_unknown_base) return unknown(fmt::format("{}.{} comes from a base outside the project", inst->cls->name, name));
    raise("AttributeError", fmt::format("'{}' object has no attribute '{}'", inst->cls->name, name));
  }
  if (auto* cls = obj.as<ClassObj>()) {
    if (name == "__name__") return Value::string(cls->name);
    if (name == "__qualname__") return Value::string(cls->scope + cls->name);
    if (name == "__module__") return Value::string(cls->qualname.substr(0, cls->qualname.rfind('.')));
    if (name == "__class__") return cls->metaclass.is_none() ? Value::object(ObjPtr(ObjPtr(), types.type)) : cls->metaclass;
    if (name == "__dict__") {
      auto d = std::make_shared<DictObj>();
      for (auto& [k, v] : cls->attrs.items()) d->set(Value::string(k), v);
      return Value::object(d);
    }
    if (name == "__base__") return cls->bases.empty() ? Value::none() : cls->bases.front();
    if (name == "__mro__") {
      std::vector<Value> mro;
      for (ClassObj* c : cls->mro) mro.push_back(Value::object(ObjPtr(ObjPtr(), c)));
      return make_tuple(std::move(mro));
    }
    if (name == "__bases__") return make_tuple(cls->bases);
    if (const Value* v = cls->lookup(name)) {
      if (auto* cm = v->as<ClassMethodObj>()) return Value::object(std::make_shared<BoundMethodObj>(obj, cm->func));
      if (auto* sm = v->as<StaticMethodObj>()) return sm->func;
      if (has_get(*v)) return call(get_attr(*v, "__get__"), CallArgs{{Value::none(), obj}, {}});
      return *v;
    }
    // Then the metaclass's attributes, bound to the class (ABCMeta.register, a metaclass's methods).
    if (auto* meta = cls->metaclass.as<ClassObj>()) {
      if (const Value* v = meta->lookup(name)) {
        if (v->as<PropertyObj>() || has_get(*v)) return descriptor_get(*v, obj, cls->metaclass, name);
        return bind_attribute(obj, *v, meta, cls->metaclass.obj());
      }
    }
    if (cls->has_unknown_base) return unknown(fmt::format("{}.{} comes from a base outside the project", cls->name, name));
    raise("AttributeError", fmt::format("type object '{}' has no attribute '{}'", cls->name, name));
  }
  if (auto* sup = obj.as<SuperObj>()) {
    ClassObj* self_cls = class_of(sup->self);
    if (auto* as_cls = sup->self.as<ClassObj>(); as_cls && !(self_cls && self_cls->is_subclass_of(sup->after))) self_cls = as_cls;
    const auto& mro = self_cls->mro;
    auto it = std::find(mro.begin(), mro.end(), sup->after);
    if (it != mro.end()) ++it;
    for (; it != mro.end(); ++it) {
      if (const Value* v = (*it)->attrs.find(name)) return bind_attribute(sup->self, *v, self_cls, holder_of(*this, self_cls, sup->self));
    }
    if (self_cls->has_unknown_base) return unknown(fmt::format("super().{} reaches a base outside the project", name));
    raise("AttributeError", fmt::format("'super' object has no attribute '{}'", name));
  }
  if (obj.as<TensorObj>()) return tensor_attr(obj, name);
  if (auto* fn = obj.as<FunctionObj>()) {
    if (const Value* v = fn->attrs.find(name)) return *v;
    if (name == "__name__" || name == "__qualname__") return Value::string(fn->name);
    if (name == "__module__") return Value::string(fn->globals ? fn->globals->name : std::string());
    if (name == "__doc__") return function_doc(*this, *fn);
    if (name == "__defaults__" || name == "__kwdefaults__") {
      bool keyword_only = name == "__kwdefaults__";
      std::vector<Value> defaults;
      auto kwdefaults = std::make_shared<DictObj>();
      for (const Param& p : fn->params) {
        if (!p.default_value || (p.kind == Param::Kind::keyword_only) != keyword_only) continue;
        if (keyword_only) kwdefaults->set(Value::string(p.name), *p.default_value);
        else defaults.push_back(*p.default_value);
      }
      if (keyword_only) return kwdefaults->items.empty() ? Value::none() : Value::object(kwdefaults);
      return defaults.empty() ? Value::none() : make_tuple(std::move(defaults));
    }
  }
  // staticmethod and classmethod objects expose the function they wrap, as CPython's do.
  if (auto* sm = obj.as<StaticMethodObj>(); sm && (name == "__func__" || name == "__wrapped__")) return sm->func;
  if (auto* cm = obj.as<ClassMethodObj>(); cm && (name == "__func__" || name == "__wrapped__")) return cm->func;
  if (auto* bm = obj.as<BoundMethodObj>()) {
    if (name == "__self__") return bm->self;
    if (name == "__func__") return bm->func;
    if (name == "__name__") return get_attr(bm->func, name);
  }
  if (auto* b = obj.as<BuiltinObj>(); b && name == "__name__") return Value::string(b->name.substr(b->name.rfind('.') + 1));
  if (auto* p = obj.as<PartialObj>()) {
    if (name == "func") return p->func;
    if (name == "args") return make_tuple(p->bound.positional);
    if (name == "keywords") {
      auto d = std::make_shared<DictObj>();
      for (auto& [k, v] : p->bound.keywords) d->set(Value::string(k), v);
      return Value::object(d);
    }
  }
  if (auto* t = obj.as<TupleObj>(); t && t->named) {  // a namedtuple's fields
    const auto& fields = t->named->namedtuple_fields;
    auto it = std::find(fields.begin(), fields.end(), name);
    if (it != fields.end() && static_cast<std::size_t>(it - fields.begin()) < t->items.size()) return t->items[static_cast<std::size_t>(it - fields.begin())];
  }
  if (auto* s = obj.as<SliceObj>()) {
    if (name == "start") return s->start;
    if (name == "stop") return s->stop;
    if (name == "step") return s->step;
  }
  if (auto* d = obj.as<DictObj>(); d && d->subclass) {
    // As for instances: a property wins over the instance's own attributes, which win over the
    // class's; __getattr__ is the last resort.
    const Value* cls_attr = d->subclass->lookup(name);
    if (!cls_attr || !cls_attr->as<PropertyObj>()) {
      if (const Value* v = d->attrs.find(name)) return *v;
    }
    if (const Value* ga = d->subclass->lookup("__getattr__"); !cls_attr && ga && !ga->as<BuiltinObj>()) {
      return call(*ga, CallArgs{{obj, Value::string(name)}, {}});
    }
  }
  if (ClassObj* cls = class_of(obj)) {
    if (const Value* v = cls->lookup(name)) {
      if (auto* prop = v->as<PropertyObj>()) {
        CallArgs a;
        a.positional.push_back(obj);
        return call(prop->getter, std::move(a));
      }
      return bind_attribute(obj, *v, cls, holder_of(*this, cls, obj));
    }
  }
  raise("AttributeError", fmt::format("'{}' object has no attribute '{}'", type_name(obj), name));
}

Value Interpreter::has_attr(const Value& obj_in, const std::string& name) {
  // torch's modules and classes, and tensors, answer from the inventory of the real API.
  Value obj = resolve_lazy(obj_in);
  if (auto* ns = obj.as<ModuleNs>(); ns && inventory::covers(ns->name)) return Value::boolean(inventory::has(ns->name, name));
  if (auto* cls = obj.as<ClassObj>(); cls && inventory::covers(cls->qualname)) {
    return Value::boolean(inventory::has(cls->qualname, name));
  }
  if (auto* t = obj.as<TensorObj>(); t && inventory::covers("torch.Tensor")) {
    return Value::boolean(inventory::has(t->is_parameter ? "torch.nn.Parameter" : "torch.Tensor", name));
  }
  try {
    // Elsewhere an attribute that resolves to an Unknown (a module outside the project,
    // something not modelled) may not exist at all: the answer is unknown, never a guessed True.
    Value found = get_attr(obj, name);
    return is_unknown(found) ? found : Value::boolean(true);
  } catch (PyError& e) {
    if (e.type == "AttributeError") return Value::boolean(false);
    throw;
  }
}

void Interpreter::set_attr(const Value& obj_in, const std::string& name, Value value) {
  Value obj = resolve_lazy(obj_in);
  if (is_unknown(obj)) return;
  if (auto* inst = obj.as<InstanceObj>()) {
    // A class's own __setattr__ (a frozen dataclass's, a module's override) decides; object's
    // just stores and nn.Module's registers (its native one is module_setattr).
    const Value* own = inst->cls->lookup("__setattr__");
    if (own && own != types.object->attrs.find("__setattr__") && !(inst->module && own->as<BuiltinObj>())) {
      call(get_attr(obj, "__setattr__"), CallArgs{{Value::string(name), std::move(value)}, {}});
      return;
    }
    if (inst->module) return module_setattr(*inst, name, std::move(value));
    return generic_set_attr(obj, name, std::move(value));
  }
  if (auto* cls = obj.as<ClassObj>()) return cls->attrs.set(name, std::move(value));
  if (auto* ns = obj.as<ModuleNs>()) return ns->globals->vars.set(name, std::move(value));
  if (auto* t = obj.as<TensorObj>()) {
    if (name == "requires_grad" && value.is_bool()) t->requires_grad = value.as_bool();
    if (name == "data") {
      if (auto* src = value.as<TensorObj>()) t->shape = src->shape, t->dtype = src->dtype;
    }
    return;
  }
  if (auto* fn = obj.as<FunctionObj>()) return fn->attrs.set(name, std::move(value));
  if (auto* d = obj.as<DictObj>(); d && d->subclass) {
    if (const Value* own = d->subclass->lookup("__setattr__"); own && own != types.object->attrs.find("__setattr__")) {
      call(get_attr(obj, "__setattr__"), CallArgs{{Value::string(name), std::move(value)}, {}});
      return;
    }
    return generic_set_attr(obj, name, std::move(value));
  }
  raise("AttributeError", fmt::format("'{}' object has no attribute '{}'", type_name(obj), name));
}

// The names instances of `cls` may hold, when every class of its MRO declares __slots__
// (without "__dict__"); nullopt when instances have a __dict__.
static std::optional<std::vector<std::string>> slot_names(Interpreter& in, ClassObj* cls) {
  std::vector<std::string> names;
  for (ClassObj* c : cls->mro) {
    if (c->native_new || c == in.types.object) continue;
    const Value* slots = c->attrs.find("__slots__");
    if (!slots) return std::nullopt;
    std::vector<Value> declared = slots->is_str() ? std::vector<Value>{*slots} : in.iterate(*slots);
    for (auto& n : declared) {
      if (!n.is_str()) return std::nullopt;
      if (n.as_str() == "__dict__") return std::nullopt;
      names.push_back(n.as_str());
    }
  }
  return names;
}

void Interpreter::generic_set_attr(const Value& obj, const std::string& name, Value value) {
  ClassObj* cls = class_of(obj);
  if (const Value* attr = cls ? cls->lookup(name) : nullptr) {
    if (auto* p = attr->as<PropertyObj>(); p && p->data) {
      if (p->setter.is_none()) raise("AttributeError", fmt::format("property '{}' of '{}' object has no setter", name, cls->name));
      call(p->setter, CallArgs{{obj, std::move(value)}, {}});
      return;
    }
    if (auto* d = attr->as<InstanceObj>(); d && d->cls->lookup("__set__")) {
      call(get_attr(*attr, "__set__"), CallArgs{{obj, std::move(value)}, {}});
      return;
    }
  }
  if (auto* inst = obj.as<InstanceObj>()) {
    if (!inst->module && !cls->has_unknown_base) {
      if (auto slots = slot_names(*this, cls); slots && std::find(slots->begin(), slots->end(), name) == slots->end()) {
        raise("AttributeError", fmt::format("'{}' object has no attribute '{}'", cls->name, name));
      }
    }
    return inst->attrs.set(name, std::move(value));
  }
  if (auto* d = obj.as<DictObj>(); d && d->subclass) return d->attrs.set(name, std::move(value));
  set_attr(obj, name, std::move(value));
}

void Interpreter::del_attr(const Value& obj, const std::string& name) {
  if (auto* inst = obj.as<InstanceObj>()) {
    if (const Value* attr = inst->cls->lookup(name)) {
      if (auto* p = attr->as<PropertyObj>(); p && p->data) {
        if (p->deleter.is_none()) raise("AttributeError", fmt::format("property '{}' of '{}' object has no deleter", name, inst->cls->name));
        call(p->deleter, CallArgs{{obj}, {}});
        return;
      }
      if (auto* d = attr->as<InstanceObj>(); d && d->cls->lookup("__delete__")) {
        call(get_attr(*attr, "__delete__"), CallArgs{{obj}, {}});
        return;
      }
    }
    if (inst->attrs.erase(name)) return;
    if (inst->module && module_delattr(*inst, name)) return;
    raise("AttributeError", name);
  }
  if (auto* d = obj.as<DictObj>(); d && d->subclass) {
    if (const Value* own = d->subclass->lookup("__delattr__"); own && !own->as<BuiltinObj>()) {
      call(get_attr(obj, "__delattr__"), CallArgs{{Value::string(name)}, {}});
      return;
    }
    if (d->attrs.erase(name)) return;
  }
  if (is_unknown(obj)) return;
  raise("AttributeError", name);
}

// ---- items --------------------------------------------------------------------------------

static std::int64_t normalize_index(Interpreter& in, std::int64_t i, std::size_t size, const char* what) {
  std::int64_t n = static_cast<std::int64_t>(size);
  if (i < 0) i += n;
  if (i < 0 || i >= n) in.raise("IndexError", fmt::format("{} index out of range", what));
  return i;
}

// Python slice semantics: the selected indices of a sequence of length n.
std::vector<std::size_t> slice_indices(Interpreter& in, const SliceObj& s, std::size_t size) {
  std::int64_t n = static_cast<std::int64_t>(size);
  std::int64_t step = s.step.is_none() ? 1 : s.step.as_int();
  if (step == 0) in.raise("ValueError", "slice step cannot be zero");
  auto clamp = [&](const Value& v, std::int64_t dflt) {
    if (v.is_none()) return dflt;
    std::int64_t i = v.as_int();
    if (i < 0) i += n;
    if (step > 0) return std::clamp<std::int64_t>(i, 0, n);
    return std::clamp<std::int64_t>(i, -1, n - 1);
  };
  std::int64_t start = clamp(s.start, step > 0 ? 0 : n - 1);
  std::int64_t stop = clamp(s.stop, step > 0 ? n : -1);
  std::vector<std::size_t> out;
  for (std::int64_t i = start; step > 0 ? i < stop : i > stop; i += step) out.push_back(static_cast<std::size_t>(i));
  return out;
}

Value Interpreter::get_item(const Value& obj, const Value& key) {
  Value out = get_item_plain(obj, key);
  std::uint64_t t = obj.taint() | key.taint();
  return t ? out.with_taint(t) : out;
}

// A str holds UTF-8: one of only ASCII characters indexes by byte.
static bool is_ascii(const std::string& s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return static_cast<unsigned char>(c) < 0x80; });
}

Value Interpreter::get_item_plain(const Value& obj, const Value& key) {
  if (is_unknown(obj)) return obj;
  if (is_unknown(key)) return key;
  auto sequence_item = [&](const std::vector<Value>& items, bool is_list) -> Value {
    if (auto* s = key.as<SliceObj>()) {
      std::vector<Value> out;
      for (auto i : slice_indices(*this, *s, items.size())) out.push_back(items[i]);
      return is_list ? make_list(std::move(out)) : make_tuple(std::move(out));
    }
    if (!key.is_int()) raise("TypeError", fmt::format("indices must be integers or slices, not {}", type_name(key)));
    return items[static_cast<std::size_t>(normalize_index(*this, key.as_int(), items.size(), is_list ? "list" : "tuple"))];
  };
  if (auto* l = obj.as<ListObj>()) return sequence_item(l->items, true);
  if (auto* t = obj.as<TupleObj>()) return sequence_item(t->items, false);
  if (auto* d = obj.as<DictObj>()) {
    if (Value* v = d->find(key)) return *v;
    if (const Value* missing = d->subclass ? d->subclass->lookup("__missing__") : nullptr) {
      return call(*missing, CallArgs{{obj, key}, {}});
    }
    if (!d->default_factory.is_none()) {
      Value made = call(d->default_factory, CallArgs{});
      d->set(key, made);
      return made;
    }
    raise_key_error(key);
  }
  if (obj.is_str()) {
    const std::string& s = obj.as_str();
    if (!is_ascii(s)) {  // indices count characters, not UTF-8 bytes
      std::u32string chars = utf8_decode(s);
      std::string out;
      if (auto* sl = key.as<SliceObj>()) {
        for (auto i : slice_indices(*this, *sl, chars.size())) out += utf8_encode(chars[i]);
        return Value::string(out);
      }
      return Value::string(utf8_encode(chars[static_cast<std::size_t>(normalize_index(*this, key.as_int(), chars.size(), "string"))]));
    }
    if (auto* sl = key.as<SliceObj>()) {
      std::string out;
      for (auto i : slice_indices(*this, *sl, s.size())) out += s[i];
      return Value::string(out);
    }
    return Value::string(std::string(1, s[static_cast<std::size_t>(normalize_index(*this, key.as_int(), s.size(), "string"))]));
  }
  if (auto* b = obj.as<BytesObj>()) {  // an item is an int, a slice is bytes
    if (auto* sl = key.as<SliceObj>()) {
      std::string out;
      for (auto i : slice_indices(*this, *sl, b->data.size())) out += b->data[i];
      return Value::object(std::make_shared<BytesObj>(std::move(out)));
    }
    return Value::integer(static_cast<unsigned char>(b->data[static_cast<std::size_t>(normalize_index(*this, key.as_int(), b->data.size(), "index"))]));
  }
  if (obj.as<TensorObj>()) return tensor_getitem(obj, key);
  if (auto* inst = obj.as<InstanceObj>()) {
    if (inst->cls->lookup("__getitem__")) {
      CallArgs a;
      a.positional.push_back(key);
      return call(get_attr(obj, "__getitem__"), std::move(a));
    }
    if (inst->cls->has_unknown_base) return unknown(inst->cls->name + "[...] from a base outside the project");
  }
  if (auto* cls = obj.as<ClassObj>()) {
    if (const Value* subscript = metaclass_method(obj, "__getitem__")) return call(*subscript, CallArgs{{obj, key}, {}});
    if (const Value* hook = cls->lookup("__class_getitem__"); hook && hook->as<ClassMethodObj>()) {
      return call(hook->as<ClassMethodObj>()->func, CallArgs{{obj, key}, {}});
    }
    return obj;  // typing generics: List[int], Optional[X]
  }
  raise("TypeError", fmt::format("'{}' object is not subscriptable", type_name(obj)));
}

void Interpreter::set_item(const Value& obj, const Value& key, Value value) {
  if (auto* l = obj.as<ListObj>()) {
    if (auto* s = key.as<SliceObj>()) {
      auto idx = slice_indices(*this, *s, l->items.size());
      std::vector<Value> repl = iterate(value);
      if (idx.empty() || (s->step.is_none() || s->step.as_int() == 1)) {
        std::size_t start = idx.empty() ? (s->start.is_none() ? 0 : static_cast<std::size_t>(std::max<std::int64_t>(0, s->start.as_int()))) : idx.front();
        start = std::min(start, l->items.size());
        l->items.erase(l->items.begin() + static_cast<std::ptrdiff_t>(start), l->items.begin() + static_cast<std::ptrdiff_t>(start + idx.size()));
        l->items.insert(l->items.begin() + static_cast<std::ptrdiff_t>(start), repl.begin(), repl.end());
        return;
      }
      if (repl.size() != idx.size()) raise("ValueError", "attempt to assign sequence of wrong size to extended slice");
      for (std::size_t k = 0; k < idx.size(); ++k) l->items[idx[k]] = repl[k];
      return;
    }
    l->items[static_cast<std::size_t>(normalize_index(*this, key.as_int(), l->items.size(), "list assignment"))] = std::move(value);
    return;
  }
  if (auto* d = obj.as<DictObj>()) return d->set(key, std::move(value));
  if (obj.as<TensorObj>() || is_unknown(obj)) return;  // value writes keep the shape
  if (auto* inst = obj.as<InstanceObj>()) {
    if (inst->cls->lookup("__setitem__")) {
      CallArgs a;
      a.positional = {key, std::move(value)};
      call(get_attr(obj, "__setitem__"), std::move(a));
      return;
    }
  }
  raise("TypeError", fmt::format("'{}' object does not support item assignment", type_name(obj)));
}

void Interpreter::del_item(const Value& obj, const Value& key) {
  if (auto* l = obj.as<ListObj>()) {
    if (auto* s = key.as<SliceObj>()) {
      auto idx = slice_indices(*this, *s, l->items.size());
      std::sort(idx.rbegin(), idx.rend());
      for (auto i : idx) l->items.erase(l->items.begin() + static_cast<std::ptrdiff_t>(i));
      return;
    }
    l->items.erase(l->items.begin() + normalize_index(*this, key.as_int(), l->items.size(), "list assignment"));
    return;
  }
  if (auto* d = obj.as<DictObj>()) {
    if (!d->erase(key)) raise_key_error(key);
    return;
  }
  if (auto* inst = obj.as<InstanceObj>(); inst && inst->cls->lookup("__delitem__")) {
    CallArgs a;
    a.positional.push_back(key);
    call(get_attr(obj, "__delitem__"), std::move(a));
    return;
  }
  if (is_unknown(obj)) return;
  raise("TypeError", fmt::format("'{}' object does not support item deletion", type_name(obj)));
}

// ---- truth, length, iteration -------------------------------------------------------------

Value Interpreter::length(const Value& v) {
  if (auto* l = v.as<ListObj>()) return Value::integer(static_cast<std::int64_t>(l->items.size()));
  if (auto* t = v.as<TupleObj>()) return Value::integer(static_cast<std::int64_t>(t->items.size()));
  if (auto* d = v.as<DictObj>()) return Value::integer(static_cast<std::int64_t>(d->items.size()));
  if (auto* s = v.as<SetObj>()) return Value::integer(static_cast<std::int64_t>(s->items.size()));
  if (v.is_str()) return Value::integer(static_cast<std::int64_t>(is_ascii(v.as_str()) ? v.as_str().size() : utf8_decode(v.as_str()).size()));
  if (auto* b = v.as<BytesObj>()) return Value::integer(static_cast<std::int64_t>(b->data.size()));
  if (auto* it = v.as<IteratorObj>(); it && !it->next) return Value::integer(static_cast<std::int64_t>(it->items.size() - it->pos));
  if (auto* t = v.as<TensorObj>()) {
    if (t->shape && !t->shape->empty() && (*t->shape)[0] != kUnknownDim) return Value::integer((*t->shape)[0]);
    return unknown("len() of a tensor of unknown shape");
  }
  if (const Value* len = metaclass_method(v, "__len__")) return call(*len, CallArgs{{v}, {}});
  if (auto* inst = v.as<InstanceObj>()) {
    if (inst->cls->lookup("__len__")) return call(get_attr(v, "__len__"), CallArgs{});
    if (inst->cls->has_unknown_base) return unknown("len() of an object from outside the project");
  }
  if (is_unknown(v)) return v;
  raise("TypeError", fmt::format("object of type '{}' has no len()", type_name(v)));
}

bool Interpreter::truthy(const Value& v) {
  switch (v.tag()) {
    case Value::Tag::none: return false;
    case Value::Tag::boolean: case Value::Tag::integer: return v.as_bool();
    case Value::Tag::floating: return v.as_float() != 0.0;
    case Value::Tag::string: return !v.as_str().empty();
    case Value::Tag::object: break;
  }
  if (is_unknown(v)) {
    note_unknown(v, "truth value of an unresolved value");
    return false;
  }
  switch (v.obj()->kind) {
    case ObjKind::list: case ObjKind::tuple: case ObjKind::dict: case ObjKind::set: case ObjKind::bytes: return length(v).as_int() != 0;
    case ObjKind::instance: {
      auto* inst = v.as<InstanceObj>();
      if (inst->cls->lookup("__bool__")) return truthy(call(get_attr(v, "__bool__"), CallArgs{}));
      if (inst->cls->lookup("__len__")) return length(v).as_int() != 0;
      return true;
    }
    case ObjKind::tensor: {
      auto* t = v.as<TensorObj>();
      if (t->values && t->values->size() == 1) return (*t->values)[0] != 0;
      note_unresolved(here(), "truth value of a tensor");
      return false;
    }
    default: return true;
  }
}

std::vector<Value> Interpreter::iterate(const Value& v) {
  // iteration materialises a copy, and is charged for it
  if (auto* l = v.as<ListObj>()) { charge_items(l->items.size(), "iterating a list"); return l->items; }
  if (auto* t = v.as<TupleObj>()) { charge_items(t->items.size(), "iterating a tuple"); return t->items; }
  if (auto* s = v.as<SetObj>()) { charge_items(s->items.size(), "iterating a set"); return s->items; }
  if (auto* d = v.as<DictObj>()) {
    charge_items(d->items.size(), "iterating a dict");
    std::vector<Value> keys;
    for (auto& kv : d->items) keys.push_back(kv.first);
    return keys;
  }
  if (v.is_str()) {
    charge_items(v.as_str().size() * 2, "iterating a string");  // each character is a string too
    std::vector<Value> chars;
    if (is_ascii(v.as_str())) {
      for (char c : v.as_str()) chars.push_back(Value::string(std::string(1, c)));
    } else {
      for (char32_t c : utf8_decode(v.as_str())) chars.push_back(Value::string(utf8_encode(c)));
    }
    return chars;
  }
  if (auto* b = v.as<BytesObj>()) {
    charge_items(b->data.size(), "iterating bytes");
    std::vector<Value> out;
    for (char c : b->data) out.push_back(Value::integer(static_cast<unsigned char>(c)));
    return out;
  }
  if (auto* it = v.as<IteratorObj>(); it && !it->next) {
    std::vector<Value> rest(it->items.begin() + static_cast<std::ptrdiff_t>(it->pos), it->items.end());
    it->pos = it->items.size();
    return rest;
  }
  if (v.as<GeneratorObj>() || v.as<IteratorObj>()) {
    // Drained one item at a time. An endless one ends the analysis: sequences are bounded by
    // max_sequence, and this one has no length to refuse up front.
    std::vector<Value> out;
    while (std::optional<Value> item = next_item(v)) {
      if (out.size() >= static_cast<std::size_t>(limits_.max_sequence)) {
        throw AnalysisAbort{fmt::format("an iterator yields more than {} items (limit max_sequence)", limits_.max_sequence), here()};
      }
      charge_items(1, "iterating an iterator");
      out.push_back(std::move(*item));
    }
    return out;
  }
  if (auto* t = v.as<TensorObj>()) {
    Value len = length(v);
    if (is_unknown(len)) {
      note_unknown(len, "iteration over a tensor");
      return {};
    }
    std::vector<Value> rows;
    charge_items(static_cast<std::uint64_t>(std::max<std::int64_t>(len.as_int(), 0)), "iterating a tensor");
    for (std::int64_t i = 0; i < len.as_int(); ++i) rows.push_back(tensor_getitem(v, Value::integer(i)));
    (void)t;
    return rows;
  }
  if (const Value* members = metaclass_method(v, "__iter__")) return iterate(call(*members, CallArgs{{v}, {}}));
  if (auto* inst = v.as<InstanceObj>()) {
    // Iterators drain through __next__ until StopIteration; an __iter__ returning self must not
    // recurse into iterate().
    auto drain = [&](const Value& fn, const char* stop, bool indexed) {
      std::vector<Value> out;
      for (std::int64_t i = 0;; ++i) {
        try {
          out.push_back(indexed ? call(fn, CallArgs{{Value::integer(i)}, {}}) : call(fn, CallArgs{}));
        } catch (PyError& e) {
          if (e.type == stop) break;
          throw;
        }
      }
      return out;
    };
    if (inst->cls->lookup("__iter__")) {
      Value it = call(get_attr(v, "__iter__"), CallArgs{});
      auto* it_inst = it.as<InstanceObj>();
      if (it_inst && it_inst->cls->lookup("__next__")) return drain(get_attr(it, "__next__"), "StopIteration", false);
      if (it_inst == inst) raise("TypeError", fmt::format("iter() returned non-iterator of type '{}'", type_name(v)));
      return iterate(it);
    }
    if (inst->cls->lookup("__getitem__") && inst->cls->lookup("__len__")) {
      std::vector<Value> out;
      std::int64_t n = length(v).as_int();
      for (std::int64_t i = 0; i < n; ++i) out.push_back(get_item(v, Value::integer(i)));
      return out;
    }
    if (inst->cls->lookup("__getitem__")) return drain(get_attr(v, "__getitem__"), "IndexError", true);
  }
  if (is_unknown(v)) {
    note_unknown(v, "iteration over an unresolved value");
    return {};
  }
  raise("TypeError", fmt::format("'{}' object is not iterable", type_name(v)));
}

// ---- operators ----------------------------------------------------------------------------

// Python's floor division and modulo of int64s; the caller has excluded INT64_MIN / -1, whose
// quotient does not fit.
static std::int64_t floor_div(std::int64_t a, std::int64_t b) {
  std::int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}

static std::int64_t py_mod(std::int64_t a, std::int64_t b) {
  std::int64_t r = a % b;
  if (r != 0 && ((r < 0) != (b < 0))) r += b;
  return r;
}

// The arithmetic operators of int op int, decoded once per operation: comparing the operator
// text against each candidate in turn was a measurable share of every loop iteration.
enum class IntOp { add, sub, mul, true_div, floor_div, mod, pow, lshift, rshift, bit_and, bit_or, bit_xor, other };

static IntOp int_op_of(const std::string& op) {
  if (op.size() == 1) {
    switch (op[0]) {
      case '+': return IntOp::add;
      case '-': return IntOp::sub;
      case '*': return IntOp::mul;
      case '/': return IntOp::true_div;
      case '%': return IntOp::mod;
      case '&': return IntOp::bit_and;
      case '|': return IntOp::bit_or;
      case '^': return IntOp::bit_xor;
      default: return IntOp::other;
    }
  }
  if (op == "//") return IntOp::floor_div;
  if (op == "**") return IntOp::pow;
  if (op == "<<") return IntOp::lshift;
  if (op == ">>") return IntOp::rshift;
  return IntOp::other;
}

// int op int on the int64 fast path; nullopt when the result leaves int64 (or the operator
// is not one of these).
static std::optional<std::int64_t> small_int_op(IntOp op, std::int64_t x, std::int64_t y) {
  std::int64_t r = 0;
  switch (op) {
    case IntOp::add: return __builtin_add_overflow(x, y, &r) ? std::nullopt : std::optional(r);
    case IntOp::sub: return __builtin_sub_overflow(x, y, &r) ? std::nullopt : std::optional(r);
    case IntOp::mul: return __builtin_mul_overflow(x, y, &r) ? std::nullopt : std::optional(r);
    case IntOp::floor_div: case IntOp::mod:
      if (x == std::numeric_limits<std::int64_t>::min() && y == -1) return std::nullopt;
      return op == IntOp::floor_div ? floor_div(x, y) : py_mod(x, y);
    case IntOp::lshift:
      if (x == 0) return 0;
      if (y >= 63) return std::nullopt;
      r = static_cast<std::int64_t>(static_cast<std::uint64_t>(x) << y);
      return (r >> y) == x ? std::optional(r) : std::nullopt;
    case IntOp::rshift: return y >= 63 ? (x < 0 ? -1 : 0) : x >> y;
    case IntOp::pow: {
      std::int64_t base = x;
      r = 1;
      for (std::int64_t e = y; e > 0; e >>= 1) {
        if ((e & 1) && __builtin_mul_overflow(r, base, &r)) return std::nullopt;
        if (e > 1 && __builtin_mul_overflow(base, base, &base)) return std::nullopt;
      }
      return r;
    }
    default: return std::nullopt;
  }
}

// An int result of more than max_int_bits stops the analysis: model code never needs one, and
// hostile code would otherwise spend memory and time without bound (2**(10**9)).
void Interpreter::check_int_bits(std::uint64_t bits) {
  if (bits > static_cast<std::uint64_t>(limits_.max_int_bits)) {
    throw AnalysisAbort{fmt::format("an int of more than {} bits (limit max_int_bits)", limits_.max_int_bits), here()};
  }
}

// How many times `seq * n` repeats a sequence of `size` items: 0 for n <= 0 or an empty
// sequence ('' * 10**18 is instant); an int beyond int64 raises OverflowError, as in CPython.
static std::uint64_t repeat_count(const Value& n, std::size_t size) {
  if (n.is_big()) throw NativeRaise{"OverflowError", "cannot fit 'int' into an index-sized integer"};
  return n.as_int() <= 0 || size == 0 ? 0 : static_cast<std::uint64_t>(n.as_int());
}

// `text * n` for str and bytes, charged before it is built.
std::string Interpreter::repeated(const std::string& text, const Value& n, const char* what) {
  std::uint64_t count = repeat_count(n, text.size()), bytes = 0;
  if (__builtin_mul_overflow(count, text.size(), &bytes)) bytes = std::numeric_limits<std::uint64_t>::max();
  charge(bytes, what);
  std::string out;
  out.reserve(bytes);
  for (std::uint64_t i = 0; i < count; ++i) out += text;
  return out;
}

void Interpreter::charge_items(std::uint64_t items, const char* what) {
  std::uint64_t bytes = 0;
  if (__builtin_mul_overflow(items, sizeof(Value), &bytes)) bytes = std::numeric_limits<std::uint64_t>::max();
  charge(bytes, what);
}

Value Interpreter::int_binary(const std::string& op, const Value& a, const Value& b) {
  bool bools = a.is_bool() && b.is_bool();
  const IntOp code = int_op_of(op);
  if (code == IntOp::true_div) {
    if (b.as_float() == 0 && !b.is_big()) raise("ZeroDivisionError", "division by zero");
    auto r = BigInt::true_divide(a.as_big(), b.as_big());
    if (!r) raise("OverflowError", "integer division result too large for a float");
    return Value::floating(*r);
  }
  if ((code == IntOp::floor_div || code == IntOp::mod) && !b.is_big() && b.as_int() == 0) raise("ZeroDivisionError", code == IntOp::mod ? "integer modulo by zero" : "integer division or modulo by zero");
  if ((code == IntOp::lshift || code == IntOp::rshift) && (b.is_big() ? b.as_big().negative() : b.as_int() < 0)) raise("ValueError", "negative shift count");
  if (code == IntOp::pow && (b.is_big() ? b.as_big().negative() : b.as_int() < 0)) {
    if (a.as_float() == 0) raise("ZeroDivisionError", "0.0 cannot be raised to a negative power");
    return Value::floating(std::pow(a.as_float(), b.as_float()));
  }
  if (!a.is_big() && !b.is_big()) {
    std::int64_t x = a.as_int(), y = b.as_int();
    if (code == IntOp::bit_and) return bools ? Value::boolean(x & y) : Value::integer(x & y);
    if (code == IntOp::bit_or) return bools ? Value::boolean(x | y) : Value::integer(x | y);
    if (code == IntOp::bit_xor) return bools ? Value::boolean(x ^ y) : Value::integer(x ^ y);
    if (auto r = small_int_op(code, x, y)) return Value::integer(*r);
  }
  BigInt x = a.as_big(), y = b.as_big();
  std::uint64_t xb = x.bit_length(), yb = y.bit_length();
  if (code == IntOp::add || code == IntOp::sub) { check_int_bits(std::max(xb, yb) + 1); return Value::integer(code == IntOp::add ? x + y : x - y); }
  if (code == IntOp::mul) { check_int_bits(xb + yb); charge((xb + yb) / 8, "an int"); return Value::integer(x * y); }
  if (code == IntOp::floor_div || code == IntOp::mod) {
    BigInt q, r;
    BigInt::divmod(x, y, &q, &r);
    return Value::integer(code == IntOp::floor_div ? std::move(q) : std::move(r));
  }
  if (code == IntOp::bit_and) return Value::integer(x & y);
  if (code == IntOp::bit_or) return Value::integer(x | y);
  if (code == IntOp::bit_xor) return Value::integer(x ^ y);
  if (code == IntOp::rshift) return Value::integer(b.is_big() ? BigInt(x.negative() ? -1 : 0) : x.shifted_right(static_cast<std::size_t>(b.as_int())));
  if (code == IntOp::lshift) {
    if (x.is_zero()) return Value::integer(0);
    if (b.is_big()) check_int_bits(std::numeric_limits<std::uint64_t>::max());
    check_int_bits(xb + static_cast<std::uint64_t>(b.as_int()));
    charge((xb + static_cast<std::uint64_t>(b.as_int())) / 8, "an int");
    return Value::integer(x.shifted_left(static_cast<std::size_t>(b.as_int())));
  }
  if (code == IntOp::pow) {
    // 0, 1 and -1 stay small whatever the exponent; anything else grows with it
    if (xb <= 1) return Value::integer(x.is_zero() ? BigInt(y.is_zero() ? 1 : 0) : x.negative() && (b.as_big() & BigInt(1)).is_zero() ? BigInt(1) : x);
    if (b.is_big()) check_int_bits(std::numeric_limits<std::uint64_t>::max());
    auto e = static_cast<std::uint64_t>(b.as_int());
    if (e > static_cast<std::uint64_t>(limits_.max_int_bits)) check_int_bits(e);
    check_int_bits((xb - 1) * e + 1);
    charge(xb * e / 8, "an int");
    BigInt r(1), base = x;
    for (; e > 0; e >>= 1) {
      if (e & 1) r = r * base;
      if (e > 1) base = base * base;
    }
    return Value::integer(std::move(r));
  }
  raise("TypeError", fmt::format("unsupported operand type(s) for {}: '{}' and '{}'", op, type_name(a), type_name(b)));
}

Value Interpreter::binary(const std::string& op, const Value& a, const Value& b) {
  Value out = binary_op(op, a, b);
  std::uint64_t t = a.taint() | b.taint();
  return t ? out.with_taint(t) : out;
}

// The class whose operator methods an operand offers: an instance's, or a dict subclass's
// (Counter's - and +).
static ClassObj* operator_class(const Value& v) {
  if (auto* inst = v.as<InstanceObj>()) return inst->cls;
  if (auto* d = v.as<DictObj>()) return d->subclass;
  return nullptr;
}

Value Interpreter::binary_op(const std::string& op, const Value& a, const Value& b) {
  if (is_unknown(a)) return a;
  if (is_unknown(b)) return b;
  if (a.as<TensorObj>() || b.as<TensorObj>()) return tensor_binary(op, a, b);
  if (a.is_number() && b.is_number()) {
    if (a.is_int() && b.is_int()) return int_binary(op, a, b);
    if ((a.is_big() && std::isinf(a.as_float())) || (b.is_big() && std::isinf(b.as_float()))) raise("OverflowError", "int too large to convert to float");
    double x = a.as_float(), y = b.as_float();
    if (op == "+") return Value::floating(x + y);
    if (op == "-") return Value::floating(x - y);
    if (op == "*") return Value::floating(x * y);
    if (op == "/") { if (y == 0) raise("ZeroDivisionError", "float division by zero"); return Value::floating(x / y); }
    if (op == "//") { if (y == 0) raise("ZeroDivisionError", "float floor division by zero"); return Value::floating(std::floor(x / y)); }
    if (op == "%") { if (y == 0) raise("ZeroDivisionError", "float modulo"); double r = std::fmod(x, y); if (r != 0 && ((r < 0) != (y < 0))) r += y; return Value::floating(r); }
    if (op == "**") return Value::floating(std::pow(x, y));
  }
  if (a.is_str()) {
    if (op == "+" && b.is_str()) {
      charge(a.as_str().size() + b.as_str().size(), "a string");
      return Value::string(a.as_str() + b.as_str());
    }
    if (op == "*" && b.is_int()) return Value::string(repeated(a.as_str(), b, "a repeated string"));
    if (op == "%") return Value::string(percent_format(*this, a.as_str(), b));
    if (op == "+" && !b.as<InstanceObj>()) raise("TypeError", fmt::format("can only concatenate str (not \"{}\") to str", type_name(b)));
  }
  auto seq = [&](const Value& v) -> const std::vector<Value>* {
    if (auto* l = v.as<ListObj>()) return &l->items;
    if (auto* t = v.as<TupleObj>()) return &t->items;
    return nullptr;
  };
  if (const auto* sa = seq(a)) {
    bool is_list = a.as<ListObj>() != nullptr;
    if (op == "+") {
      const auto* sb = seq(b);
      if (!sb || (b.as<ListObj>() != nullptr) != is_list) raise("TypeError", fmt::format("can only concatenate {} (not \"{}\") to {}", type_name(a), type_name(b), type_name(a)));
      charge_items(sa->size() + sb->size(), "a concatenated sequence");
      std::vector<Value> out = *sa;
      out.insert(out.end(), sb->begin(), sb->end());
      return is_list ? make_list(std::move(out)) : make_tuple(std::move(out));
    }
    if (op == "*" && b.is_int()) {
      std::uint64_t count = repeat_count(b, sa->size()), items = 0;
      if (__builtin_mul_overflow(count, sa->size(), &items) || items > static_cast<std::uint64_t>(limits_.max_sequence)) raise("MemoryError", fmt::format("a sequence of more than {} items (limit max_sequence)", limits_.max_sequence));
      charge_items(items, "a repeated sequence");
      std::vector<Value> out;
      out.reserve(items);
      for (std::uint64_t i = 0; i < count; ++i) out.insert(out.end(), sa->begin(), sa->end());
      return is_list ? make_list(std::move(out)) : make_tuple(std::move(out));
    }
  }
  if (auto* ba = a.as<BytesObj>()) {
    if (auto* bb = b.as<BytesObj>(); bb && op == "+") {
      charge(ba->data.size() + bb->data.size(), "bytes");
      return Value::object(std::make_shared<BytesObj>(ba->data + bb->data));
    }
    if (op == "*" && b.is_int()) return Value::object(std::make_shared<BytesObj>(repeated(ba->data, b, "repeated bytes")));
  }
  if (a.is_int() && (seq(b) || b.is_str() || b.as<BytesObj>()) && op == "*") return binary(op, b, a);
  if (auto* da = a.as<DictObj>(); da && op == "|" && !(da->subclass && da->subclass->lookup("__or__"))) {
    if (auto* db = b.as<DictObj>()) {
      auto out = std::make_shared<DictObj>(*da);
      for (auto& kv : db->items) out->set(kv.first, kv.second);
      return Value::object(out);
    }
  }
  if (auto* sa = a.as<SetObj>()) {
    if (auto* sb = b.as<SetObj>()) {
      auto out = std::make_shared<SetObj>();
      if (op == "|") { out->items = sa->items; for (auto& v : sb->items) out->add(v); }
      else if (op == "&") { for (auto& v : sa->items) if (sb->contains(v)) out->add(v); }
      else if (op == "-") { for (auto& v : sa->items) if (!sb->contains(v)) out->add(v); }
      else if (op == "^") {
        for (auto& v : sa->items) if (!sb->contains(v)) out->add(v);
        for (auto& v : sb->items) if (!sa->contains(v)) out->add(v);
      }
      out->frozen = sa->frozen;  // the left operand decides: frozenset | set is a frozenset
      return Value::object(out);
    }
  }
  static const std::map<std::string, std::pair<std::string, std::string>> dunder = {
      {"+", {"__add__", "__radd__"}}, {"-", {"__sub__", "__rsub__"}}, {"*", {"__mul__", "__rmul__"}},
      {"/", {"__truediv__", "__rtruediv__"}}, {"//", {"__floordiv__", "__rfloordiv__"}}, {"%", {"__mod__", "__rmod__"}},
      {"|", {"__or__", "__ror__"}}, {"&", {"__and__", "__rand__"}}, {"^", {"__xor__", "__rxor__"}}, {"@", {"__matmul__", "__rmatmul__"}}};
  auto it = dunder.find(op);
  if (it != dunder.end()) {
    if (ClassObj* ca = operator_class(a); ca && ca->lookup(it->second.first)) {
      CallArgs args;
      args.positional.push_back(b);
      return call(get_attr(a, it->second.first), std::move(args));
    }
    if (ClassObj* cb = operator_class(b); cb && cb->lookup(it->second.second)) {
      CallArgs args;
      args.positional.push_back(a);
      return call(get_attr(b, it->second.second), std::move(args));
    }
  }
  if (auto* ia = a.as<InstanceObj>(); ia && ia->cls->has_unknown_base) return unknown("operator on an object from outside the project");
  raise("TypeError", fmt::format("unsupported operand type(s) for {}: '{}' and '{}'", op, type_name(a), type_name(b)));
}

// A rich comparison a class defines (__lt__, ...), tried on the left operand, then reflected on the
// right one, as CPython does; nullopt when neither answers.
static std::optional<Value> rich_compare(Interpreter& in, const std::string& op, const Value& a, const Value& b) {
  static const std::map<std::string, std::pair<const char*, const char*>> methods = {
      {"<", {"__lt__", "__gt__"}}, {"<=", {"__le__", "__ge__"}}, {">", {"__gt__", "__lt__"}}, {">=", {"__ge__", "__le__"}}};
  auto it = methods.find(op);
  if (it == methods.end()) return std::nullopt;
  for (auto [self, other, method] : {std::tuple{a, b, it->second.first}, std::tuple{b, a, it->second.second}}) {
    auto* inst = self.as<InstanceObj>();
    if (!inst || !inst->cls->lookup(method)) continue;
    Value r = in.call(in.get_attr(self, method), CallArgs{{other}, {}});
    if (!(r.is_str() && r.as_str() == "NotImplemented")) return r;
  }
  return std::nullopt;
}

static int compare_order(Interpreter& in, const Value& a, const Value& b) {
  if (a.is_number() && b.is_number()) {
    double x = a.as_float(), y = b.as_float();
    if (a.is_int() && b.is_int()) return a.as_big().compare(b.as_big());
    return x < y ? -1 : x > y ? 1 : 0;
  }
  if (a.is_str() && b.is_str()) return a.as_str().compare(b.as_str()) < 0 ? -1 : a.as_str() == b.as_str() ? 0 : 1;
  auto seq = [](const Value& v) -> const std::vector<Value>* {
    if (auto* l = v.as<ListObj>()) return &l->items;
    if (auto* t = v.as<TupleObj>()) return &t->items;
    return nullptr;
  };
  const auto* sa = seq(a);
  const auto* sb = seq(b);
  if (sa && sb) {
    for (std::size_t i = 0; i < sa->size() && i < sb->size(); ++i) {
      if (!values_equal((*sa)[i], (*sb)[i])) return compare_order(in, (*sa)[i], (*sb)[i]);
    }
    return sa->size() < sb->size() ? -1 : sa->size() > sb->size() ? 1 : 0;
  }
  in.raise("TypeError", fmt::format("'<' not supported between instances of '{}' and '{}'", type_name(a), type_name(b)));
}

static bool identical(const Value& a, const Value& b) {
  if (a.tag() != b.tag()) return false;
  switch (a.tag()) {
    case Value::Tag::none: return true;
    case Value::Tag::boolean: case Value::Tag::integer: return a.as_big().compare(b.as_big()) == 0;
    case Value::Tag::floating: return a.as_float() == b.as_float();
    case Value::Tag::string: return a.as_str() == b.as_str();
    case Value::Tag::object: return a.obj() == b.obj();
  }
  return false;
}

Value Interpreter::compare(const std::string& op, const Value& a, const Value& b) {
  if (observing && (a.taint() != 0) != (b.taint() != 0)) {
    const Value& tainted = a.taint() ? a : b;
    const Value& other = a.taint() ? b : a;
    if (other.as<TupleObj>() || other.as<ListObj>() || other.as<SetObj>()) {
      for (auto& item : iterate(other)) observing->comparisons.emplace_back(tainted.taint(), item, op);
    } else {
      observing->comparisons.emplace_back(tainted.taint(), other, op);
    }
  }
  Value out = compare_op(op, a, b);
  std::uint64_t t = a.taint() | b.taint();
  return t ? out.with_taint(t) : out;
}

Value Interpreter::compare_op(const std::string& op, const Value& a, const Value& b) {
  if (op == "is" || op == "is not") {
    if (is_unknown(a)) return a;
    if (is_unknown(b)) return b;
    bool same = identical(a, b);
    return Value::boolean(op == "is" ? same : !same);
  }
  if (op == "in" || op == "not in") {
    if (is_unknown(a)) return a;
    if (is_unknown(b)) return b;
    bool found = false;
    if (b.is_str()) {
      if (!a.is_str()) raise("TypeError", "'in <string>' requires string as left operand");
      found = b.as_str().find(a.as_str()) != std::string::npos;
    } else if (auto* d = b.as<DictObj>()) {
      found = d->find(a) != nullptr;
    } else if (auto* haystack = b.as<BytesObj>(); haystack && a.as<BytesObj>()) {
      found = haystack->data.find(a.as<BytesObj>()->data) != std::string::npos;
    } else if (const Value* contains = metaclass_method(b, "__contains__")) {
      found = truthy(call(*contains, CallArgs{{b, a}, {}}));
    } else if (auto* inst = b.as<InstanceObj>(); inst && inst->cls->lookup("__contains__")) {
      CallArgs args;
      args.positional.push_back(a);
      found = truthy(call(get_attr(b, "__contains__"), std::move(args)));
    } else {
      for (auto& v : iterate(b)) {
        if (values_equal(v, a) || identical(v, a)) { found = true; break; }
      }
    }
    return Value::boolean(op == "in" ? found : !found);
  }
  if (is_unknown(a)) return a;
  if (is_unknown(b)) return b;
  if (a.as<TensorObj>() || b.as<TensorObj>()) return tensor_binary(op, a, b);
  if (op == "==" || op == "!=") {
    bool eq;
    if (auto* ia = a.as<InstanceObj>(); ia && ia->cls->lookup("__eq__")) {
      CallArgs args;
      args.positional.push_back(b);
      Value r = call(get_attr(a, "__eq__"), std::move(args));
      bool not_implemented = r.is_str() && r.as_str() == "NotImplemented";
      eq = not_implemented ? identical(a, b) : truthy(r);
    } else {
      eq = values_equal(a, b) || identical(a, b);
    }
    return Value::boolean(op == "==" ? eq : !eq);
  }
  if (a.as<InstanceObj>() || b.as<InstanceObj>()) {
    if (auto r = rich_compare(*this, op, a, b)) return *r;
    for (const Value* v : {&a, &b}) {
      if (auto* inst = v->as<InstanceObj>(); inst && inst->cls->has_unknown_base) return unknown("comparison with an object from outside the project");
    }
    raise("TypeError", fmt::format("'{}' not supported between instances of '{}' and '{}'", op, type_name(a), type_name(b)));
  }
  if (auto* sa = a.as<SetObj>(); sa && b.as<SetObj>()) {  // subset and superset
    auto* sb = b.as<SetObj>();
    auto subset = [](const SetObj& x, const SetObj& y) {
      return std::all_of(x.items.begin(), x.items.end(), [&y](const Value& v) { return y.contains(v); });
    };
    if (op == "<=" || op == "<") return Value::boolean(subset(*sa, *sb) && (op == "<=" || sa->items.size() < sb->items.size()));
    return Value::boolean(subset(*sb, *sa) && (op == ">=" || sb->items.size() < sa->items.size()));
  }
  int c = compare_order(*this, a, b);
  if (op == "<") return Value::boolean(c < 0);
  if (op == "<=") return Value::boolean(c <= 0);
  if (op == ">") return Value::boolean(c > 0);
  if (op == ">=") return Value::boolean(c >= 0);
  raise("TypeError", "unsupported comparison " + op);
}

bool Interpreter::isinstance(const Value& v, const Value& cls) {
  if (auto* t = cls.as<TupleObj>()) {
    for (auto& c : t->items) {
      if (isinstance(v, c)) return true;
    }
    return false;
  }
  auto* c = cls.as<ClassObj>();
  if (!c) return false;
  ClassObj* vc = class_of(v);
  if (!vc) return false;
  if (vc->is_subclass_of(c)) return true;
  // Debian's torch: bool is an int, Parameter is a Tensor; both follow from the MROs.
  // A metaclass may also count classes outside the MRO (ABCMeta: register(), __subclasshook__).
  if (const Value* check = metaclass_attr(c, "__instancecheck__")) return truthy(call(*check, CallArgs{{cls, v}, {}}));
  if (metaclass_attr(c, "__subclasscheck__")) return issubclass(vc, cls);
  return false;
}

bool Interpreter::issubclass(ClassObj* sub, const Value& cls) {
  auto* c = cls.as<ClassObj>();
  if (!c) return false;
  if (sub->is_subclass_of(c)) return true;
  const Value* check = metaclass_attr(c, "__subclasscheck__");
  return check && truthy(call(*check, CallArgs{{cls, Value::object(ObjPtr(ObjPtr(), sub))}, {}}));
}

// CPython's hash of a number (Python/pyhash.c): the value modulo the prime 2**61 - 1, so that
// equal numbers hash alike (hash(1) == hash(1.0) == hash(True)), as dict and set keys need.
static std::int64_t numeric_hash(const Value& v) {
  constexpr int kBits = 61;
  constexpr std::uint64_t kModulus = (std::uint64_t{1} << kBits) - 1;
  auto signed_hash = [](std::uint64_t h, bool negative) {
    auto out = negative ? -static_cast<std::int64_t>(h) : static_cast<std::int64_t>(h);
    return out == -1 ? -2 : out;  // -1 is CPython's error value
  };
  if (v.is_int()) {
    BigInt magnitude = v.as_big(), quotient, remainder;
    bool negative = magnitude.negative();
    BigInt::divmod(negative ? -magnitude : magnitude, BigInt(static_cast<std::int64_t>(kModulus)), &quotient, &remainder);
    return signed_hash(static_cast<std::uint64_t>(*remainder.to_int64()), negative);
  }
  double x = v.as_float();
  if (std::isinf(x)) return x > 0 ? 314159 : -314159;
  if (std::isnan(x)) return 0;
  int exponent = 0;
  double mantissa = std::frexp(std::fabs(x), &exponent);
  std::uint64_t h = 0;
  while (mantissa != 0) {  // 28 bits of the mantissa at a time, rotating the partial hash
    h = ((h << 28) & kModulus) | h >> (kBits - 28);
    mantissa *= 268435456.0;
    exponent -= 28;
    auto digit = static_cast<std::uint64_t>(mantissa);
    mantissa -= static_cast<double>(digit);
    h += digit;
    if (h >= kModulus) h -= kModulus;
  }
  exponent = exponent >= 0 ? exponent % kBits : kBits - 1 - ((-1 - exponent) % kBits);
  h = ((h << exponent) & kModulus) | h >> (kBits - exponent);
  return signed_hash(h, x < 0);
}

Value Interpreter::hash(const Value& v) {
  if (v.as<ListObj>() || v.as<DictObj>() || (v.as<SetObj>() && !v.as<SetObj>()->frozen)) {
    raise("TypeError", fmt::format("unhashable type: '{}'", type_name(v)));
  }
  if (auto* inst = v.as<InstanceObj>()) {
    const Value* own = inst->cls->lookup("__hash__");
    if (own && own->is_none()) raise("TypeError", fmt::format("unhashable type: '{}'", inst->cls->name));
    if (own && !own->as<BuiltinObj>()) return call(get_attr(v, "__hash__"), CallArgs{});
    return Value::integer(static_cast<std::int64_t>(reinterpret_cast<std::uintptr_t>(inst) >> 4));
  }
  if (v.is_number()) return Value::integer(numeric_hash(v));
  if (auto* b = v.as<BytesObj>()) return Value::integer(static_cast<std::int64_t>(std::hash<std::string>{}(b->data)));
  if (auto* s = v.as<SetObj>()) {  // a frozenset: equal sets in any order hash alike
    std::uint64_t h = 0;
    for (const Value& item : s->items) h += static_cast<std::uint64_t>(hash(item).as_int());
    return Value::integer(static_cast<std::int64_t>(h));
  }
  return Value::integer(static_cast<std::int64_t>(std::hash<std::string>{}(repr(v))));
}

void Interpreter::set_add(SetObj& s, const Value& v) {
  auto* inst = v.as<InstanceObj>();
  if (!inst || !inst->cls->lookup("__eq__")) return s.add(v);
  hash(v);  // raises for an unhashable class
  for (auto& item : s.items) {
    if (truthy(compare("==", item, v))) return;
  }
  s.items.push_back(v);
}

bool Interpreter::is_module(const Value& v) const {
  auto* inst = v.as<InstanceObj>();
  return inst && inst->module != nullptr;
}

}  // namespace ckg::interp
