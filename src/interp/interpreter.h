// The abstract interpreter: evaluates the Python subset that builds nn.Modules.
//
// Internal header shared by the interpreter's translation units; the public entry point is
// interp/predict.h. Evaluation walks tree-sitter nodes directly. Python-level exceptions
// are C++ exceptions (PyError) so try/except and "raise means invalid configuration"
// work; gaps in the interpreter's knowledge become Unknown values and `unresolved` notes
// instead of failures.
#pragma once

#include <chrono>
#include <map>
#include <set>
#include <tuple>
#include <unordered_map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "index/project_index.h"
#include "interp/predict.h"
#include "interp/value.h"
#include "manifest/key_manifest.h"

namespace ckg::interp {

// A Python exception in flight. `exc` is the exception instance.
struct PyError {
  Value exc;
  std::string type;
  std::string message;
  parse::Location where;
  // The innermost statement of the user's code when it was raised: where a failure inside the
  // embedded torch.nn catalogue is reported (the layer call, not the catalogue's line).
  parse::Location in_project;
  // As Python's traceback ends: "ValueError: bad value", or the type alone without a message.
  std::string described() const { return message.empty() ? type : type + ": " + message; }
};

// The interpreter cannot go on at all (budget exhausted): aborts the whole prediction.
struct AnalysisAbort {
  std::string reason;
  parse::Location where;
};

// One activation: a function call, a class body or a module's top level.
struct Frame {
  std::shared_ptr<const parse::SourceFile> file;
  std::shared_ptr<Env> env;
  ModuleNs* module = nullptr;
  FunctionObj* function = nullptr;
  Value first_arg;  // `self` / `cls` for zero-argument super()
  Value return_value;
  bool is_class_body = false;
  // The innermost enclosing class, for private name mangling (`self.__x` is `self._C__x`), and
  // in class bodies the dotted path of enclosing classes ("Outer.Inner."), for __qualname__.
  std::string private_class;
  std::string class_scope;
  std::vector<std::string> annotated;  // class bodies: annotated names in order (dataclass fields)
  TSNode statement{};                  // the statement being executed, for locations
  TSNode call{};                       // the call this frame is making, for creation chains
};

// The source text of a node of the frame's file, as a string (names, operators).
inline std::string node_string(const Frame& f, TSNode n) { return std::string(f.file->node_text(n)); }

enum class Flow { normal, return_, break_, continue_ };

// A condition that depended on explored constructor parameters, and which way it went.
struct Decision {
  std::string site;      // file:byte-offset of the condition, identifies it across runs
  std::string text;      // the condition's source text
  std::optional<Derivation> derivation;  // the tested value in terms of one parameter, when known
  std::uint64_t taint = 0;
  bool outcome = false;
};

// What branch enumeration observes during one run of the constructor.
struct Observation {
  std::vector<Decision> decisions;
  // (taint of the compared value, the untainted value it was compared against, operator)
  std::vector<std::tuple<std::uint64_t, Value, std::string>> comparisons;
};

using Limits = InterpreterLimits;
struct GeneratorObj;

class Interpreter {
  // First, so destroyed last: when the last interpreter goes, its cycles are collected.
  InterpreterLifetime lifetime_;

 public:
  explicit Interpreter(index::ProjectIndex& index, Limits limits = interpreter_limits());
  ~Interpreter();

  // ---- modules -------------------------------------------------------------------------
  // The namespace of a project file, executed on first use. Null when the file cannot load.
  ModuleNs* load_project_file(const std::string& path, std::string* error);
  // Imports a dotted module: native models (torch, math, ...), project files, or an opaque
  // stand-in for anything outside the project.
  Value import_module(const std::string& dotted, const parse::Location& at);
  Value resolve_lazy(const Value& v);

  // ---- object protocol -------------------------------------------------------------------
  Value call(const Value& callee, CallArgs args);
  Value get_attr(const Value& obj, const std::string& name);   // raises AttributeError
  Value get_attr_plain(const Value& obj, const std::string& name);  // without taint propagation
  // object.__getattribute__: the lookup a class's own __getattribute__ replaces.
  Value generic_get_attr(const Value& obj, const std::string& name);
  // The value a descriptor (a property, an object with __get__) gives for `self` (None: accessed
  // on the class `owner`).
  Value descriptor_get(const Value& attr, const Value& self, const Value& owner, const std::string& name);
  // object.__setattr__: data descriptors (properties), then __slots__, then the instance's dict.
  void generic_set_attr(const Value& obj, const std::string& name, Value value);
  // hasattr(): a bool, or an Unknown when the attribute's existence is not known.
  Value has_attr(const Value& obj, const std::string& name);
  void set_attr(const Value& obj, const std::string& name, Value value);
  void del_attr(const Value& obj, const std::string& name);
  Value get_item(const Value& obj, const Value& key);
  Value get_item_plain(const Value& obj, const Value& key);
  void set_item(const Value& obj, const Value& key, Value value);
  void del_item(const Value& obj, const Value& key);
  // Python str() (as_repr false) or repr() of a value, calling instances' __str__ / __repr__.
  std::string display(const Value& v, bool as_repr);
  // Truth value; an Unknown is noted as unresolved and taken as false.
  bool truthy(const Value& v);
  std::vector<Value> iterate(const Value& v);  // finite iteration of an iterable, materialised
  // ---- one item at a time (generators.cpp) ------------------------------------------------
  // Where laziness shows (generators, iterators, for-loops that break, infinite iterables),
  // iteration goes item by item: iter(v), then next_item() until nullopt.
  Value iter(const Value& v);
  std::optional<Value> next_item(const Value& iterator);
  // Whether a for-loop or comprehension over `v` must step it one item at a time: generators,
  // iterators and instances with __iter__; sequences are copied and walked (the fast path).
  static bool steps_lazily(const Value& v);
  // Calls `body(item)` for each item of `iterable` until it returns false: for-loops and
  // comprehensions. Sequences are copied and walked, as fast as before generators were lazy.
  template <class Body>
  void for_each_item(const Value& iterable, Body&& body) {
    if (!steps_lazily(iterable)) {
      for (auto& item : iterate(iterable)) {
        if (!body(item)) return;
      }
      return;
    }
    Value it = iter(iterable);
    while (std::optional<Value> item = next_item(it)) {
      if (!body(*item)) return;
    }
  }
  // `yield v` and `yield from v`, evaluated in the generator's frame `f`: what the generator
  // receives when it is resumed (send()'s value; a throw()n exception is raised here instead).
  Value yield_value(Frame& f, Value v);
  Value yield_from(Frame& f, const Value& iterable);
  // Runs a generator until its next yield: the yielded value, or nullopt when it returns
  // (its return value is then in its frame's return_value). `thrown` is raised at the yield
  // it is suspended at instead of resuming it with `sent`.
  std::optional<Value> resume(GeneratorObj& g, Value sent, const PyError* thrown = nullptr);
  // generator.close(): GeneratorExit at the yield; false if the generator ignored it and yielded.
  bool close(GeneratorObj& g);
  // Closes every generator left suspended, as CPython does when a script ends: their finally
  // blocks run. Exceptions they raise are dropped, as CPython only prints them.
  void close_generators();
  Value binary(const std::string& op, const Value& a, const Value& b);
  Value compare(const std::string& op, const Value& a, const Value& b);
  bool isinstance(const Value& v, const Value& cls);
  // object.__new__: a bare instance of `cls` (nn.Module's registries included), not initialised.
  Value allocate(ClassObj* cls, const ObjPtr& holder);
  // type.__call__: calling the class `cls` (kept alive by `holder`), __new__ then __init__.
  Value instantiate(ClassObj* cls, const ObjPtr& holder, CallArgs& args);
  bool issubclass(ClassObj* sub, const Value& cls);  // honours a metaclass's __subclasscheck__
  // hash() of a value whose class may define __hash__; raises TypeError for unhashable values.
  Value hash(const Value& v);
  // Adds to a set, comparing with a class's own __eq__ where it has one.
  void set_add(SetObj& s, const Value& v);
  ClassObj* class_of(const Value& v);
  Value length(const Value& v);

  // ---- branch enumeration ------------------------------------------------------------------
  Observation* observing = nullptr;  // set while branches are being explored
  // Parameters whose default values carry a taint while branches are explored.
  std::unordered_map<const Param*, std::uint64_t> default_taint;
  // Records the decision taken at `condition` when its value depends on explored parameters.
  void observe_decision(const Frame& f, TSNode condition, const Value& value, bool outcome);

  // ---- errors and notes ------------------------------------------------------------------
  [[noreturn]] void raise(const std::string& type, const std::string& message);
  // KeyError(key): the exception's argument is the key itself, its message the key's repr.
  [[noreturn]] void raise_key_error(const Value& key);
  // StopIteration(value): how a generator's return value reaches next() and send().
  [[noreturn]] void raise_stop_iteration(const Value& value);
  // The PyError that `raise exc` raises (exc: an exception instance, or a class to instantiate).
  PyError exception_from(Value exc);
  // An Unknown located at the current line; `may_hold_state`: see UnknownObj.
  Value unknown(const std::string& reason, bool may_hold_state = true);
  void note_unresolved(const parse::Location& where, const std::string& reason);
  void note_unknown(const Value& v, const std::string& context);  // notes an Unknown's origin
  parse::Location here() const;
  // A yes/no fact about the process that will build the model (has a torch.distributed process
  // group been initialised?), which no source can tell. Answered from `runtime_answers` (false
  // when absent) and noted as unresolved; ProjectSession::predict rebuilds under the other
  // answers and withdraws the notes when every answer gives the same state_dict. While a module's
  // top level runs (once per session, so never rebuilt) the answer is an Unknown instead.
  Value ask_runtime(const std::string& question);
  std::map<std::string, bool> runtime_answers;
  // The questions asked by the current request, in order, with the note each one left.
  const std::vector<std::pair<std::string, manifest::Unresolved>>& runtime_questions() const { return runtime_questions_; }
  // The statement of project code (not the torch.nn catalogue) the interpreter is inside.
  parse::Location project_location() const;
  manifest::SourceRange project_statement() const;
  // The calls of project code in progress, outermost first: how the module being created now
  // came to be built.
  std::vector<manifest::SourceRange> creation_chain() const;

  // ---- coverage of watched files -----------------------------------------------------------
  // Statements executed in `path` (a project file) are recorded from now on: the change
  // analysis asks which edited lines a model's construction ran.
  void watch(const std::string& path);
  // Watched statements run by the current request, and while each watched module loaded.
  const std::set<manifest::SourceRange>& executed() const { return executed_; }
  const std::set<manifest::SourceRange>& executed_at_load(const std::string& path) const;
  const std::vector<manifest::Unresolved>& unresolved() const { return unresolved_; }
  // Starts a new prediction in the same project: notes and the step budget start afresh;
  // loaded modules are kept.
  void begin_request() {
    unresolved_.clear();
    runtime_questions_.clear();
    executed_.clear();
    steps_ = 0;
    allocated_ = 0;
    deadline_ = std::chrono::steady_clock::now() + std::chrono::seconds(limits_.max_seconds);
  }

  // ---- execution (eval.cpp / exec.cpp) ----------------------------------------------------
  Value eval(Frame& f, TSNode node);
  Flow exec_block(Frame& f, TSNode block);
  Flow exec_stmt(Frame& f, TSNode stmt);
  Value call_function(FunctionObj& fn, CallArgs& args);
  // A generator expression: its first iterable is evaluated now, the rest as it is iterated.
  Value make_generator_expression(Frame& f, TSNode node);
  Value make_function(Frame& f, TSNode def_node, const std::string& name);
  Value make_class(Frame& f, TSNode class_node);
  // type.__new__: a class from a name, bases and namespace. Runs __set_name__ on the namespace's
  // descriptors and the nearest base's __init_subclass__ with the class keywords, as CPython does.
  struct ClassSpec {
    std::string name;
    std::string scope;  // enclosing classes, see Frame::class_scope
    std::vector<Value> bases;
    bool has_unknown_base = false;
    Value metaclass;  // None: type
    std::vector<std::pair<std::string, Value>> ns;
    std::vector<std::string> annotated;
    std::vector<std::pair<std::string, Value>> keywords;
  };
  Value new_class(ClassSpec spec);
  // An attribute of `cls`'s metaclass other than type's own (a metaclass's __call__,
  // __instancecheck__, ...); null when type's behaviour applies.
  const Value* metaclass_attr(const ClassObj* cls, const std::string& name) const;
  // Private name mangling inside a class body or method: `__x` is `_Class__x` (attributes,
  // names, parameters and keywords alike).
  static std::string mangle(const Frame& f, std::string name);
  // mangle() of a name in the source, copying it once: most names are not `__private`.
  static std::string mangled(const Frame& f, std::string_view name) {
    return name.size() > 2 && name[0] == '_' && name[1] == '_' ? mangle(f, std::string(name)) : std::string(name);
  }
  void assign(Frame& f, TSNode target, Value value);
  Value lookup_name(Frame& f, const std::string& name, TSNode at);

  // ---- torch model (torch_model.cpp / module_object.cpp) -----------------------------------
  ClassObj* module_class() const { return module_class_; }
  ClassObj* tensor_class() const { return tensor_class_; }
  ClassObj* parameter_class() const { return parameter_class_; }
  bool is_module(const Value& v) const;
  void set_tensor_classes(ClassObj* tensor, ClassObj* parameter) { tensor_class_ = tensor; parameter_class_ = parameter; }
  Value new_tensor(std::optional<std::vector<std::int64_t>> shape, std::string dtype);
  Value tensor_attr(const Value& tensor, const std::string& name);
  Value tensor_binary(const std::string& op, const Value& a, const Value& b);
  Value tensor_getitem(const Value& tensor, const Value& key);
  void module_setattr(InstanceObj& m, const std::string& name, Value value);
  std::optional<Value> module_getattr(const Value& self, InstanceObj& m, const std::string& name);
  bool module_delattr(InstanceObj& m, const std::string& name);
  manifest::KeyManifest state_dict_keys(const Value& module);
  // Project code that changes how checkpoints load into `module` (hooks, overrides).
  std::vector<manifest::SourceRange> load_customizations(const Value& module);
  // load_state_dict(strict=True) of an abstract checkpoint (raises what a hook raises).
  struct LoadOutcome {
    std::vector<std::string> missing, unexpected, messages;
    std::optional<std::string> pytorch_error;
  };
  LoadOutcome simulate_load(const Value& module, const manifest::KeyManifest& checkpoint);

  // ---- registration helpers for native models ---------------------------------------------
  ClassObj* new_native_class(const std::string& qualname, std::vector<ClassObj*> bases);
  void add_method(ClassObj* cls, const std::string& name, NativeFn fn);
  ModuleNs* new_native_module(const std::string& dotted);
  void set_global(ModuleNs* m, const std::string& name, Value v);
  Value builtin(const std::string& name, NativeFn fn);
  // The builtin exception class `name` (under `base_name`, else Exception), made on first use.
  ClassObj* exception_class(const std::string& name, const std::string& base_name = "");
  Env& builtins() { return *builtins_; }
  const Limits& limits() const { return limits_; }
  void step();  // counts one unit of work against the budget
  // Counts an allocation of `bytes` (or of `items` Values) against max_alloc_bytes before it is
  // made; `what` names it in the error that stops the analysis.
  void charge(std::uint64_t bytes, const char* what);
  void charge_items(std::uint64_t items, const char* what);
  void check_int_bits(std::uint64_t bits);  // stops the analysis past max_int_bits
  index::ProjectIndex& project() { return index_; }

  // The classes of built-in types, for isinstance() and method lookup on plain values.
  struct TypeClasses {
    ClassObj *object = nullptr, *type = nullptr, *none_type = nullptr, *bool_ = nullptr, *int_ = nullptr,
             *float_ = nullptr, *str = nullptr, *tuple = nullptr, *list = nullptr, *dict = nullptr,
             *ordered_dict = nullptr, *set = nullptr, *frozenset = nullptr, *function = nullptr, *module = nullptr,
             *dtype = nullptr, *partial = nullptr, *slice = nullptr, *iterator = nullptr,
             *base_exception = nullptr, *property = nullptr, *builtin_function = nullptr,
             *bytes = nullptr, *generator = nullptr;
  } types;

  // A script (run_script), not a project module: an exception a top-level statement does not
  // catch ends it, as in CPython.
  bool script_mode = false;
  // Where print() writes; null: print() is a no-op (the conformance suite reads it).
  std::string* print_sink = nullptr;

  // The exceptions except clauses are handling, innermost last: a bare `raise` re-raises the
  // last, and one raised while it is handled gets it as its __context__.
  std::vector<PyError> handled_exceptions;

  // Frames currently executing, innermost last (for locations). A running generator's frames
  // sit on top of its resumer's, as in a CPython traceback.
  std::vector<Frame*> frames;
  TSNode current_node{};
  // See eval(): the frame whose expression is being evaluated, and how deeply it nests.
  struct ExpressionNesting {
    const Frame* frame = nullptr;
    int depth = 0;
  };

 private:
  Value binary_op(const std::string& op, const Value& a, const Value& b);
  Value int_binary(const std::string& op, const Value& a, const Value& b);
  std::string repeated(const std::string& text, const Value& n, const char* what);
  Value eval_node(Frame& f, TSNode node);
  Flow exec_node(Frame& f, TSNode stmt);
  Value compare_op(const std::string& op, const Value& a, const Value& b);
  void install_builtins();
  void install_torch();
  void compute_mro(ClassObj* cls);
  ClassObj* dict_base(ClassObj* cls) const;  // see instantiate
  std::string layer_cache_key(ClassObj* cls, const CallArgs& args);
  void relocate_origins(const Value& module, const manifest::SourceRange& at, const std::vector<manifest::SourceRange>& chain);

  index::ProjectIndex& index_;
  Limits limits_;
  std::int64_t steps_ = 0;
  std::uint64_t allocated_ = 0;
  std::chrono::steady_clock::time_point deadline_ = std::chrono::steady_clock::now() + std::chrono::seconds(limits_.max_seconds);
  int depth_ = 0;
  ExpressionNesting expression_nesting_;
  // The generator whose body is running on the current fiber (null: the thread's own stack),
  // and the generators started and not finished, by start order (closed when the interpreter
  // ends, so that no fiber stack outlives it).
  GeneratorObj* running_generator_ = nullptr;
  std::uint64_t generators_started_ = 0;
  std::map<std::uint64_t, GeneratorObj*> suspended_generators_;
  static void run_generator_body(void* generator);
  void run_generator_expression(GeneratorObj& g);  // eval.cpp
  // Suspends the running generator `g` with `v` yielded; see yield_value.
  Value suspend_generator(GeneratorObj& g, Value v);
  // Closes `g` whatever its body does (destruction, interpreter end); never throws.
  void unwind_generator(GeneratorObj& g) noexcept;
  int loading_modules_ = 0;  // > 0 while a module's top level executes
  std::shared_ptr<Env> builtins_;
  std::map<std::string, ObjPtr> modules_;  // dotted name -> ModuleNs (native and project)
  std::vector<ObjPtr> keep_alive_;         // native classes and builtins
  std::map<std::string, ClassObj*> exception_classes_;
  ClassObj* module_class_ = nullptr;
  ClassObj* registry_view_class_ = nullptr;  // Module._modules / _parameters / _buffers
  ClassObj* tensor_class_ = nullptr;
  ClassObj* parameter_class_ = nullptr;
  std::vector<manifest::Unresolved> unresolved_;
  std::vector<std::pair<std::string, manifest::Unresolved>> runtime_questions_;
  std::set<std::string> watched_;  // absolute, normalised paths
  std::set<manifest::SourceRange> executed_;
  std::map<std::string, std::set<manifest::SourceRange>> executed_at_load_;
  void record_execution(const Frame& f, TSNode stmt);
  // torch.nn catalogue layers built from plain arguments, by class and arguments: a layer's
  // constructor is a pure function of them, and real models build the same layer many times.
  std::unordered_map<std::string, Value> layer_cache_;

  friend struct Natives;
  friend struct GeneratorObj;
};

// RAII guard that pushes a frame for the duration of a call.
struct FrameScope {
  FrameScope(Interpreter& in, Frame& f) : interp(in) { interp.frames.push_back(&f); }
  ~FrameScope() { interp.frames.pop_back(); }
  Interpreter& interp;
};

// Python slice semantics: the indices a slice selects from a sequence of `size` items.
std::vector<std::size_t> slice_indices(Interpreter& in, const SliceObj& s, std::size_t size);
// Argument access for native functions: positional index or keyword name, else the default.
const Value* native_arg(const CallArgs& a, std::size_t index, const char* name);
Value native_arg_or(const CallArgs& a, std::size_t index, const char* name, Value fallback);
const Value& native_required(Interpreter& in, const CallArgs& a, std::size_t index, const char* name);

// Runs a match statement (match.cpp).
Flow exec_match(Interpreter& in, Frame& f, TSNode stmt);

// copy.deepcopy of a value (builtins.cpp).
Value deep_copy_value(Interpreter& in, const Value& v);

// Installs the Python builtins and standard-library models (builtins.cpp).
void install_python_builtins(Interpreter& in);
// Replaces what installed libraries define that cannot be followed statically, once `ns` has
// loaded (library_models.cpp).
void apply_library_models(Interpreter& in, ModuleNs& ns);
// Installs the library models that stand in for whole packages.
void install_library_models(Interpreter& in);
// Installs dir(), globals() and sys.modules (reflection.cpp).
void install_reflection(Interpreter& in);
// Installs the torch model: torch, torch.nn (natives + the embedded catalogue), tensors (torch_model.cpp).
void install_torch_model(Interpreter& in);

}  // namespace ckg::interp
