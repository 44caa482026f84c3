// Runtime values of the abstract Python interpreter.
//
// Scalars are held inline; everything with identity (lists, dicts, classes, instances,
// tensors, nn.Modules) is a shared Object, so aliasing behaves as in Python: a tied
// weight is one TensorObj reachable from two modules.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include <tree_sitter/api.h>

#include "interp/bigint.h"
#include "interp/cycles.h"
#include "interp/derivation.h"
#include "parse/source_file.h"
#include "manifest/key_manifest.h"

namespace ckg::interp {

struct Object;
struct ClassObj;
using ObjPtr = std::shared_ptr<Object>;

// A Python exception raised below the interpreter, by value helpers that have no location (an
// int too large for a size, a value nested too deeply to print); Interpreter::eval raises it as
// a Python exception at the node being evaluated.
struct NativeRaise {
  std::string type;
  std::string message;
};

class Value {
 public:
  enum class Tag : std::uint8_t { none, boolean, integer, floating, string, object };

  Value() = default;
  static Value none() { return Value(); }
  static Value boolean(bool b) { Value v; v.tag_ = Tag::boolean; v.i_ = b; return v; }
  static Value integer(std::int64_t i) { Value v; v.tag_ = Tag::integer; v.i_ = i; return v; }
  static Value integer(BigInt b);  // inline when it fits int64
  static Value floating(double f) { Value v; v.tag_ = Tag::floating; v.f_ = f; return v; }
  static Value string(std::string s) { Value v; v.tag_ = Tag::string; v.s_ = std::make_shared<const std::string>(std::move(s)); return v; }
  static Value object(ObjPtr o) { Value v; v.tag_ = Tag::object; v.o_ = std::move(o); return v; }

  Tag tag() const { return tag_; }
  bool is_none() const { return tag_ == Tag::none; }
  bool is_bool() const { return tag_ == Tag::boolean; }
  bool is_int() const { return tag_ == Tag::integer || tag_ == Tag::boolean; }  // bool is an int
  bool is_float() const { return tag_ == Tag::floating; }
  bool is_number() const { return is_int() || is_float(); }
  bool is_str() const { return tag_ == Tag::string; }
  bool is_obj() const { return tag_ == Tag::object; }

  bool is_big() const { return big_ != nullptr; }  // an int outside int64

  bool as_bool() const { return i_ != 0; }
  // An int as int64; one outside it raises OverflowError (NativeRaise), as CPython does where an
  // int becomes a size, an index or a count.
  std::int64_t as_int() const {
    if (big_) throw NativeRaise{"OverflowError", "Python int too large to convert to C int64"};
    return i_;
  }
  BigInt as_big() const { return big_ ? *big_ : BigInt(i_); }  // any int
  // A big int out of double's range is inf here; arithmetic raises OverflowError before that.
  double as_float() const { return tag_ == Tag::floating ? f_ : big_ ? big_->to_double() : static_cast<double>(i_); }
  const std::string& as_str() const { return *s_; }
  const ObjPtr& obj() const { return o_; }
  template <class T> T* as() const;  // null when not an object of type T

  // Which explored constructor parameters (bit i = slot i) this value was computed from; used
  // by branch enumeration to see which conditions depend on which parameters.
  std::uint64_t taint() const { return taint_; }
  Value with_taint(std::uint64_t t) const {
    Value v = *this;
    v.taint_ |= t;
    return v;
  }
  // How the value is computed from explored parameters (interp/derivation.h). Set only where
  // the value is exactly the derivation's result; other operations make values without one.
  const Derivation* derivation() const { return derivation_.get(); }
  Value with_derivation(std::optional<Derivation> d) const {
    Value v = *this;
    v.derivation_ = d ? std::make_shared<const Derivation>(std::move(*d)) : nullptr;
    return v;
  }

 private:
  Tag tag_ = Tag::none;
  std::uint64_t taint_ = 0;
  std::shared_ptr<const Derivation> derivation_;
  std::int64_t i_ = 0;  // for a big int: its sign (as_bool)
  double f_ = 0;
  std::shared_ptr<const BigInt> big_;
  std::shared_ptr<const std::string> s_;
  ObjPtr o_;
};

enum class ObjKind : std::uint8_t {
  tuple, list, dict, set, function, builtin, bound_method, class_, instance, module_ns,
  tensor, unknown, partial, dtype, slice, property, staticmethod, classmethod, super_proxy,
  lazy_import, iterator, bytes, generator
};

struct Object : Tracked, std::enable_shared_from_this<Object> {
  explicit Object(ObjKind k) : Tracked(Tracked::Kind::object), kind(k) {}
  virtual ~Object() = default;
  const ObjKind kind;
};

// Destroying a value nested 100,000 deep (`l = [l]` in a loop, nn.Sequential(nn.Sequential(...)))
// by plain recursion overflows the stack. Containers hand their items here as they die; the
// outermost such destructor destroys them one at a time.
void release_values(std::vector<Value>& values);
template <class K>
void release_values(std::vector<std::pair<K, Value>>& entries) {
  std::vector<Value> values;
  values.reserve(entries.size());
  for (auto& e : entries) values.push_back(std::move(e.second));
  entries.clear();
  release_values(values);
}

template <class T>
T* Value::as() const {
  if (tag_ != Tag::object || o_->kind != T::kKind) return nullptr;
  return static_cast<T*>(o_.get());
}

// Insertion-ordered string-keyed map: scopes, attributes and module registries. Most hold a
// handful of names, so lookups scan the vector; a hash index is built only past kIndexFrom
// entries (building one per function call dominated the interpreter's allocations).
template <class V>
class OrderedMap {
 public:
  V* find(const std::string& k) {
    std::size_t i = position(k);
    return i == npos ? nullptr : &items_[i].second;
  }
  const V* find(const std::string& k) const {
    std::size_t i = position(k);
    return i == npos ? nullptr : &items_[i].second;
  }
  bool contains(const std::string& k) const { return position(k) != npos; }
  // Assigning an existing key keeps its position, as Python dicts do.
  void set(const std::string& k, V v) {
    std::size_t i = position(k);
    if (i != npos) {
      items_[i].second = std::move(v);
      return;
    }
    items_.emplace_back(k, std::move(v));
    if (!index_.empty()) index_.emplace(k, items_.size() - 1);
    else if (items_.size() > kIndexFrom) rebuild();
  }
  bool erase(const std::string& k) {
    std::size_t i = position(k);
    if (i == npos) return false;
    items_.erase(items_.begin() + static_cast<std::ptrdiff_t>(i));
    rebuild();
    return true;
  }
  void insert_at(std::size_t pos, const std::string& k, V v) {
    erase(k);
    items_.insert(items_.begin() + static_cast<std::ptrdiff_t>(std::min(pos, items_.size())), {k, std::move(v)});
    rebuild();
  }
  void clear() {
    items_.clear();
    index_.clear();
  }
  const std::vector<std::pair<std::string, V>>& items() const { return items_; }
  std::vector<std::pair<std::string, V>>& mutable_items() { return items_; }
  std::size_t size() const { return items_.size(); }

 private:
  static constexpr std::size_t kIndexFrom = 12;
  static constexpr std::size_t npos = static_cast<std::size_t>(-1);

  std::size_t position(const std::string& k) const {
    if (!index_.empty()) {
      auto it = index_.find(k);
      return it == index_.end() ? npos : it->second;
    }
    // Names in one scope rarely share a length and a first letter, so both are checked before
    // the out-of-line compare: variable lookup runs for every name in every loop iteration.
    for (std::size_t i = 0; i < items_.size(); ++i) {
      const std::string& name = items_[i].first;
      if (name.size() == k.size() && (k.empty() || name[0] == k[0]) && name == k) return i;
    }
    return npos;
  }
  void rebuild() {
    index_.clear();
    if (items_.size() <= kIndexFrom) return;
    for (std::size_t i = 0; i < items_.size(); ++i) index_.emplace(items_[i].first, i);
  }
  std::vector<std::pair<std::string, V>> items_;
  std::unordered_map<std::string, std::size_t> index_;
};

struct TupleObj : Object {
  static constexpr ObjKind kKind = ObjKind::tuple;
  TupleObj() : Object(kKind) {}
  explicit TupleObj(std::vector<Value> v) : Object(kKind), items(std::move(v)) {}
  ~TupleObj() override { release_values(items); }
  std::vector<Value> items;
  ClassObj* named = nullptr;  // a namedtuple's class, if any
};

struct ListObj : Object {
  static constexpr ObjKind kKind = ObjKind::list;
  ListObj() : Object(kKind) {}
  explicit ListObj(std::vector<Value> v) : Object(kKind), items(std::move(v)) {}
  ~ListObj() override { release_values(items); }
  std::vector<Value> items;
};

// Python dict with arbitrary hashable keys; ordered, linear lookup (model code keeps them small).
struct DictObj : Object {
  static constexpr ObjKind kKind = ObjKind::dict;
  DictObj() : Object(kKind) {}
  // A copy is a plain dict, whatever `attrs_of` the original writes through to.
  DictObj(const DictObj& other)
      : Object(kKind), items(other.items), ordered_dict(other.ordered_dict), default_factory(other.default_factory),
        subclass(other.subclass), subclass_holder(other.subclass_holder), attrs(other.attrs) {}
  ~DictObj() override { release_values(items); }
  std::vector<std::pair<Value, Value>> items;
  bool ordered_dict = false;  // collections.OrderedDict
  Value default_factory;      // collections.defaultdict: called for a missing key (None: a plain dict)
  // A project class deriving from dict (`class EasyDict(dict)`): its instances are dicts that
  // also look attributes up through the class and keep their own `attrs`. Null for a plain dict.
  ClassObj* subclass = nullptr;
  ObjPtr subclass_holder;  // keeps the class alive
  OrderedMap<Value> attrs;
  // The instance this is the __dict__ of: setting and deleting string keys write through to its
  // attributes (`self.__dict__.update(kwargs)`). Null for other dicts.
  ObjPtr attrs_of;
  Value* find(const Value& key);
  void set(const Value& key, Value value);
  bool erase(const Value& key);
};

// Python bytes: immutable raw bytes (str.encode, b'' literals).
struct BytesObj : Object {
  static constexpr ObjKind kKind = ObjKind::bytes;
  explicit BytesObj(std::string d) : Object(kKind), data(std::move(d)) {}
  std::string data;
};

struct SetObj : Object {
  static constexpr ObjKind kKind = ObjKind::set;
  SetObj() : Object(kKind) {}
  std::vector<Value> items;
  bool frozen = false;  // a frozenset: hashable, no mutating methods
  bool contains(const Value& v) const;
  void add(const Value& v);
};

// Dimension sizes of an abstract tensor; kUnknownDim where the analyzer could not tell.
inline constexpr std::int64_t kUnknownDim = -1;

struct TensorObj : Object {
  static constexpr ObjKind kKind = ObjKind::tensor;
  TensorObj() : Object(kKind) {}
  std::optional<std::vector<std::int64_t>> shape;  // nullopt: even the rank is unknown
  std::string dtype = "float32";
  bool is_parameter = false;
  bool requires_grad = false;
  std::optional<std::vector<double>> values;  // small constant tensors built from literals
};

struct UnknownObj : Object {
  static constexpr ObjKind kKind = ObjKind::unknown;
  UnknownObj(std::string why, parse::Location at, bool state = true)
      : Object(kKind), reason(std::move(why)), where(std::move(at)), may_hold_state(state) {}
  std::string reason;
  parse::Location where;
  // False for values known never to be a Module or a Parameter (a number from Tensor.item(), a
  // torch.nn.functional function, an optimizer): kept as a plain attribute, such a value
  // cannot add or remove state_dict keys.
  bool may_hold_state = true;
};

struct DtypeObj : Object {
  static constexpr ObjKind kKind = ObjKind::dtype;
  explicit DtypeObj(std::string n) : Object(kKind), name(std::move(n)) {}
  std::string name;
  bool is_floating() const;
};

struct SliceObj : Object {
  static constexpr ObjKind kKind = ObjKind::slice;
  SliceObj() : Object(kKind) {}
  Value start, stop, step;
};

struct Env;
struct ModuleNs;
class Interpreter;

// Arguments of one call, after *args/**kwargs expansion.
struct CallArgs {
  std::vector<Value> positional;
  std::vector<std::pair<std::string, Value>> keywords;
  const Value* keyword(const std::string& name) const;
};

struct Param {
  enum class Kind { positional, var_positional, keyword_only, var_keyword };
  std::string name;
  Kind kind = Kind::positional;
  bool positional_only = false;  // before a `/`: never bound by keyword
  std::optional<Value> default_value;
};

struct FunctionObj : Object {
  static constexpr ObjKind kKind = ObjKind::function;
  FunctionObj() : Object(kKind) {}
  std::string name;
  std::string qualname;
  std::shared_ptr<const parse::SourceFile> file;
  TSNode node{};  // function_definition or lambda
  std::vector<Param> params;
  std::shared_ptr<Env> closure;
  ModuleNs* globals = nullptr;
  ClassObj* defining_class = nullptr;  // for zero-argument super()
  std::string private_class;           // see Frame::private_class
  std::optional<bool> is_generator;    // the body yields (calls return a generator); set on first call
  // contextlib.contextmanager's wrapper: a call returns an instance of this class (native,
  // kept alive by the interpreter) around the generator.
  ClassObj* context_manager = nullptr;
  OrderedMap<Value> attrs;             // attributes set on the function (decorators often do)
  // (legacy keyword, its replacement): a call passing the first gets the second as None instead
  // (torchvision's pretrained= -> weights=, see library_models.cpp)
  std::vector<std::pair<std::string, std::string>> legacy_keywords;
};

using NativeFn = std::function<Value(Interpreter&, CallArgs&)>;

struct BuiltinObj : Object {
  static constexpr ObjKind kKind = ObjKind::builtin;
  BuiltinObj(std::string n, NativeFn f) : Object(kKind), name(std::move(n)), fn(std::move(f)) {}
  std::string name;
  NativeFn fn;
};

struct BoundMethodObj : Object {
  static constexpr ObjKind kKind = ObjKind::bound_method;
  BoundMethodObj(Value s, Value f) : Object(kKind), self(std::move(s)), func(std::move(f)) {}
  Value self;
  Value func;
};

struct PartialObj : Object {
  static constexpr ObjKind kKind = ObjKind::partial;
  PartialObj() : Object(kKind) {}
  Value func;
  CallArgs bound;
};

// Wrappers created by @property, @staticmethod and @classmethod.
struct PropertyObj : Object {
  static constexpr ObjKind kKind = ObjKind::property;
  explicit PropertyObj(Value g) : Object(kKind), getter(std::move(g)) {}
  Value getter;
  Value setter;   // None: assignment raises AttributeError
  Value deleter;  // None: del raises AttributeError
  // False for functools.cached_property, a non-data descriptor: the instance's own attribute
  // shadows it and assignment stores one.
  bool data = true;
};
struct StaticMethodObj : Object {
  static constexpr ObjKind kKind = ObjKind::staticmethod;
  explicit StaticMethodObj(Value f) : Object(kKind), func(std::move(f)) {}
  Value func;
};
struct ClassMethodObj : Object {
  static constexpr ObjKind kKind = ObjKind::classmethod;
  explicit ClassMethodObj(Value f) : Object(kKind), func(std::move(f)) {}
  Value func;
};

struct DataclassField {
  std::string name;
  std::optional<Value> default_value;
  Value default_factory;  // None when absent
};

struct ClassObj : Object {
  static constexpr ObjKind kKind = ObjKind::class_;
  ClassObj() : Object(kKind) {}
  std::string name;
  std::string qualname;  // module-qualified, e.g. torch.nn.Linear
  std::string scope;     // enclosing classes ("Outer."): __qualname__ is scope + name
  std::vector<ClassObj*> mro;  // starts with this class
  std::vector<Value> bases;
  OrderedMap<Value> attrs;
  bool derives_from_module = false;  // torch.nn.Module in the MRO
  bool has_unknown_base = false;     // a base the analyzer could not resolve
  bool is_dataclass = false;
  bool is_enum = false;
  std::vector<DataclassField> dataclass_fields;
  std::vector<std::string> namedtuple_fields;
  Value metaclass;  // a class deriving from type; None: type itself
  NativeFn native_new;  // builtin classes construct natively (int, list, OrderedDict, ...)
  const Value* lookup(const std::string& name) const;  // through the MRO
  bool is_subclass_of(const ClassObj* other) const;
};

// The registries torch.nn.Module keeps, with torch's ordering rules.
struct ModuleState {
  OrderedMap<Value> parameters;  // TensorObj (parameter) or None
  OrderedMap<Value> buffers;     // TensorObj or None
  std::vector<std::string> non_persistent;
  OrderedMap<Value> modules;     // module InstanceObj or None
  // Where in project code each name was registered (first registration), for diagnostics.
  std::unordered_map<std::string, manifest::SourceRange> origins;
  std::vector<manifest::SourceRange> created_at;  // see manifest::ModuleEntry
  bool is_persistent(const std::string& buffer) const;
};

struct InstanceObj : Object {
  static constexpr ObjKind kKind = ObjKind::instance;
  explicit InstanceObj(ClassObj* c) : Object(kKind), cls(c) {}
  ~InstanceObj() override;
  ClassObj* cls;
  ObjPtr cls_holder;  // keeps the class alive
  OrderedMap<Value> attrs;
  std::unique_ptr<ModuleState> module;  // set when cls derives from torch.nn.Module
  std::vector<Value> exception_args;    // for exception instances
};

// A Python module's namespace.
struct ModuleNs : Object {
  static constexpr ObjKind kKind = ObjKind::module_ns;
  ModuleNs() : Object(kKind) {}
  std::string name;
  std::shared_ptr<const parse::SourceFile> file;  // null for native modules (torch, math, ...)
  std::shared_ptr<Env> globals;
  bool executed = false;
  bool is_package = false;
  bool is_project = false;  // source lives in the project (not a native model)
  bool opaque = false;      // outside the project and not modelled: every attribute is unknown
  bool watched = false;     // its executed statements are recorded (Interpreter::watch)
};

// `from .x import y` is bound lazily: resolved the first time the name is read.
struct LazyImportObj : Object {
  static constexpr ObjKind kKind = ObjKind::lazy_import;
  LazyImportObj(std::string m, std::string a, parse::Location at)
      : Object(kKind), module(std::move(m)), attribute(std::move(a)), where(std::move(at)) {}
  std::string module;
  std::string attribute;  // empty: the module itself
  parse::Location where;
  bool resolving = false;  // cycle guard
};

struct SuperObj : Object {
  static constexpr ObjKind kKind = ObjKind::super_proxy;
  SuperObj(ClassObj* c, Value s) : Object(kKind), after(c), self(std::move(s)) {}
  ClassObj* after;  // lookups start after this class in self's MRO
  Value self;
};

// An iterator: either materialised (iter() of a list, a dict view), its items and the position
// reached, or lazy (zip, map, itertools.count ...), `next` computing each item from `items`.
struct IteratorObj : Object {
  static constexpr ObjKind kKind = ObjKind::iterator;
  // The next item of a lazy iterator, nullopt once exhausted. A plain function, so that all the
  // state it works on is in `items` and `pos`, where the cycle collector sees it.
  using NextFn = std::optional<Value> (*)(Interpreter& in, IteratorObj& self);
  explicit IteratorObj(std::vector<Value> v) : Object(kKind), items(std::move(v)) {}
  IteratorObj(std::vector<Value> state, NextFn fn) : Object(kKind), items(std::move(state)), next(fn) {}
  ~IteratorObj() override { release_values(items); }
  std::vector<Value> items;  // lazy: the inputs and the state `next` works on
  std::size_t pos = 0;
  NextFn next = nullptr;
};

// Lexical scope: function locals, class bodies and module globals.
struct Env : Tracked, std::enable_shared_from_this<Env> {
  Env() : Tracked(Tracked::Kind::env) {}
  OrderedMap<Value> vars;  // ordered: class bodies define dataclass fields and enum members in order
  std::shared_ptr<Env> parent;  // enclosing function scope (not class scopes)
  bool comprehension = false;   // a comprehension's own scope: `:=` binds in the enclosing one
  ModuleNs* module = nullptr;
  std::vector<std::string> declared_global;
  std::vector<std::string> declared_nonlocal;
};

// One level of a recursive walk over values (repr, str, ==): knows whether `container` is
// already being walked further out (a cycle, printed `[...]` as CPython does), and raises
// RecursionError (NativeRaise) past kMaxValueNesting levels, as CPython's recursion limit does,
// and MemoryError past kMaxValueWalk containers in one walk.
inline constexpr std::size_t kMaxValueNesting = 1000;
inline constexpr std::size_t kMaxValueWalk = 10'000'000;  // containers one walk may enter
class NestingGuard {
 public:
  explicit NestingGuard(const Object* container);
  ~NestingGuard();
  NestingGuard(const NestingGuard&) = delete;
  NestingGuard& operator=(const NestingGuard&) = delete;
  bool cycle() const { return cycle_; }

 private:
  bool cycle_ = false;
};

// Helpers for values.
Value make_tuple(std::vector<Value> items);
Value make_list(std::vector<Value> items);
Value make_unknown(std::string reason, parse::Location where, bool may_hold_state = true);
bool is_unknown(const Value& v);
bool values_equal(const Value& a, const Value& b);  // Python ==, for concrete values
std::string type_name(const Value& v);
std::string repr(const Value& v);  // Python repr, used for witnesses, f-strings and messages
std::string str(const Value& v);   // Python str()
// str values hold UTF-8. Decoding maps a malformed byte to the code point of the same value.
std::u32string utf8_decode(std::string_view s);
std::string utf8_encode(char32_t cp);
std::string ascii_escaped(std::string_view text);  // ascii(): non-ASCII as \x, \u and \U escapes

}  // namespace ckg::interp
