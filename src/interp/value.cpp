// Value helpers: equality, repr/str, and the small containers.
#include "interp/value.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

namespace ckg::interp {

Value make_tuple(std::vector<Value> items) { return Value::object(std::make_shared<TupleObj>(std::move(items))); }
Value make_list(std::vector<Value> items) { return Value::object(std::make_shared<ListObj>(std::move(items))); }
Value make_unknown(std::string reason, parse::Location where, bool may_hold_state) {
  return Value::object(std::make_shared<UnknownObj>(std::move(reason), std::move(where), may_hold_state));
}
bool is_unknown(const Value& v) { return v.as<UnknownObj>() != nullptr; }

Value Value::integer(BigInt b) {
  if (auto small = b.to_int64()) return integer(*small);
  Value v;
  v.tag_ = Tag::integer;
  v.i_ = b.negative() ? -1 : 1;
  v.big_ = std::make_shared<const BigInt>(std::move(b));
  return v;
}

void release_values(std::vector<Value>& values) {
  static thread_local std::vector<Value>* pending = nullptr;
  if (pending) {
    for (auto& v : values) {
      if (v.is_obj()) pending->push_back(std::move(v));
    }
    values.clear();
    return;
  }
  std::vector<Value> queue = std::move(values);
  values.clear();
  pending = &queue;
  while (!queue.empty()) {
    Value last = std::move(queue.back());
    queue.pop_back();
  }  // `last` dies at the end of each turn; what it held joins the queue
  pending = nullptr;
}

InstanceObj::~InstanceObj() {
  release_values(attrs.mutable_items());
  if (module) {
    release_values(module->parameters.mutable_items());
    release_values(module->buffers.mutable_items());
    release_values(module->modules.mutable_items());
  }
}

// Containers being walked, innermost last, and the levels entered since the outermost began
// (walks of values are per thread).
static thread_local std::vector<const Object*> walking;
static thread_local std::size_t entered = 0;

NestingGuard::NestingGuard(const Object* container) {
  if (walking.size() >= kMaxValueNesting) throw NativeRaise{"RecursionError", "maximum recursion depth exceeded while walking a nested value"};
  // a list holding another twice, nested 100 times, has 2**100 paths: the walk is bounded too
  entered = walking.empty() ? 0 : entered + 1;
  if (entered > kMaxValueWalk) throw NativeRaise{"MemoryError", "a value with too many nested items to walk"};
  cycle_ = container && std::find(walking.begin(), walking.end(), container) != walking.end();
  walking.push_back(container);
}

NestingGuard::~NestingGuard() { walking.pop_back(); }

// Python compares ints and floats exactly (2**53 + 1 != 2.0**53).
static bool int_equals_float(const Value& i, double f) {
  if (std::trunc(f) != f) return false;  // nan too
  auto whole = BigInt::from_double(f);
  return whole && whole->compare(i.as_big()) == 0;
}

static bool sequence_equal(const std::vector<Value>& a, const std::vector<Value>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (!values_equal(a[i], b[i])) return false;
  }
  return true;
}

bool values_equal(const Value& a, const Value& b) {
  if (a.is_number() && b.is_number()) {
    if (a.is_float() && b.is_float()) return a.as_float() == b.as_float();
    if (a.is_float()) return int_equals_float(b, a.as_float());
    if (b.is_float()) return int_equals_float(a, b.as_float());
    if (a.is_big() || b.is_big()) return a.as_big().compare(b.as_big()) == 0;
    return a.as_int() == b.as_int();
  }
  if (a.tag() != b.tag()) return false;
  switch (a.tag()) {
    case Value::Tag::none: return true;
    case Value::Tag::string: return a.as_str() == b.as_str();
    case Value::Tag::object: break;
    default: return false;
  }
  if (a.obj() == b.obj()) return true;
  NestingGuard guard(nullptr);
  if (auto* ta = a.as<TupleObj>()) {
    auto* tb = b.as<TupleObj>();
    return tb && sequence_equal(ta->items, tb->items);
  }
  if (auto* la = a.as<ListObj>()) {
    auto* lb = b.as<ListObj>();
    return lb && sequence_equal(la->items, lb->items);
  }
  if (auto* da = a.as<DtypeObj>()) {
    auto* db = b.as<DtypeObj>();
    return db && da->name == db->name;
  }
  if (auto* da = a.as<DictObj>()) {
    auto* db = b.as<DictObj>();
    if (!db || da->items.size() != db->items.size()) return false;
    // Two OrderedDicts are equal only in the same order; with a plain dict, order is ignored.
    if (da->ordered_dict && db->ordered_dict) {
      for (std::size_t i = 0; i < da->items.size(); ++i) {
        if (!values_equal(da->items[i].first, db->items[i].first) || !values_equal(da->items[i].second, db->items[i].second)) return false;
      }
      return true;
    }
    for (auto& [k, v] : da->items) {
      Value* other = db->find(k);
      if (!other || !values_equal(v, *other)) return false;
    }
    return true;
  }
  if (auto* ba = a.as<BytesObj>()) {
    auto* bb = b.as<BytesObj>();
    return bb && ba->data == bb->data;
  }
  if (auto* sa = a.as<SetObj>()) {  // a set equals a frozenset of the same items
    auto* sb = b.as<SetObj>();
    return sb && sa->items.size() == sb->items.size() &&
           std::all_of(sa->items.begin(), sa->items.end(), [sb](const Value& v) { return sb->contains(v); });
  }
  return false;
}

Value* DictObj::find(const Value& key) {
  for (auto& kv : items) {
    if (values_equal(kv.first, key)) return &kv.second;
  }
  return nullptr;
}

// The attributes of the instance a __dict__ writes through to, for a string key.
static OrderedMap<Value>* written_through(const DictObj& d, const Value& key) {
  auto* inst = d.attrs_of && d.attrs_of->kind == ObjKind::instance ? static_cast<InstanceObj*>(d.attrs_of.get()) : nullptr;
  return inst && key.is_str() ? &inst->attrs : nullptr;
}

void DictObj::set(const Value& key, Value value) {
  if (auto* attrs = written_through(*this, key)) attrs->set(key.as_str(), value);
  if (Value* slot = find(key)) {
    *slot = std::move(value);
    return;
  }
  items.emplace_back(key, std::move(value));
}

bool DictObj::erase(const Value& key) {
  if (auto* attrs = written_through(*this, key)) attrs->erase(key.as_str());
  auto it = std::find_if(items.begin(), items.end(), [&](auto& kv) { return values_equal(kv.first, key); });
  if (it == items.end()) return false;
  items.erase(it);
  return true;
}

bool SetObj::contains(const Value& v) const {
  return std::any_of(items.begin(), items.end(), [&](const Value& x) { return values_equal(x, v); });
}

void SetObj::add(const Value& v) {
  if (!contains(v)) items.push_back(v);
}

const Value* CallArgs::keyword(const std::string& name) const {
  for (auto& kv : keywords) {
    if (kv.first == name) return &kv.second;
  }
  return nullptr;
}

bool DtypeObj::is_floating() const {
  return name == "float32" || name == "float64" || name == "float16" || name == "bfloat16";
}

const Value* ClassObj::lookup(const std::string& attr) const {
  for (const ClassObj* c : mro) {
    if (const Value* v = c->attrs.find(attr)) return v;
  }
  return nullptr;
}

bool ClassObj::is_subclass_of(const ClassObj* other) const {
  return std::find(mro.begin(), mro.end(), other) != mro.end();
}

bool ModuleState::is_persistent(const std::string& buffer) const {
  return std::find(non_persistent.begin(), non_persistent.end(), buffer) == non_persistent.end();
}

std::string type_name(const Value& v) {
  switch (v.tag()) {
    case Value::Tag::none: return "NoneType";
    case Value::Tag::boolean: return "bool";
    case Value::Tag::integer: return "int";
    case Value::Tag::floating: return "float";
    case Value::Tag::string: return "str";
    case Value::Tag::object: break;
  }
  switch (v.obj()->kind) {
    case ObjKind::tuple: return "tuple";
    case ObjKind::list: return "list";
    case ObjKind::dict: return "dict";
    case ObjKind::set: return static_cast<const SetObj*>(v.obj().get())->frozen ? "frozenset" : "set";
    case ObjKind::function: return "function";
    case ObjKind::builtin: return "builtin_function_or_method";
    case ObjKind::bound_method: return "method";
    case ObjKind::class_: return "type";
    case ObjKind::instance: return v.as<InstanceObj>()->cls->name;
    case ObjKind::module_ns: return "module";
    case ObjKind::tensor: return v.as<TensorObj>()->is_parameter ? "Parameter" : "Tensor";
    case ObjKind::unknown: return "unknown";
    case ObjKind::partial: return "functools.partial";
    case ObjKind::dtype: return "torch.dtype";
    case ObjKind::slice: return "slice";
    case ObjKind::property: return "property";
    case ObjKind::staticmethod: return "staticmethod";
    case ObjKind::classmethod: return "classmethod";
    case ObjKind::super_proxy: return "super";
    case ObjKind::lazy_import: return "module";
    case ObjKind::iterator: return "iterator";
    case ObjKind::bytes: return "bytes";
    case ObjKind::generator: return "generator";
  }
  return "object";
}

static std::string float_repr(double f) {
  if (std::isinf(f)) return f > 0 ? "inf" : "-inf";
  if (std::isnan(f)) return "nan";
  // Python prints the shortest repr that round-trips; fmt's {} does the same.
  std::string s = fmt::format("{}", f);
  if (s.find_first_of(".eEn") == std::string::npos) s += ".0";
  return s;
}

std::u32string utf8_decode(std::string_view s) {
  std::u32string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size();) {
    auto b = static_cast<unsigned char>(s[i]);
    std::size_t extra = b >= 0xF0 && b < 0xF8 ? 3 : b >= 0xE0 ? 2 : b >= 0xC0 ? 1 : 0;
    if (b >= 0xF8 || i + extra >= s.size()) extra = 0;  // a truncated sequence
    char32_t cp = extra == 0 ? b : b & (0x3F >> extra);
    for (std::size_t k = 1; k <= extra; ++k) cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3F);
    out += cp;
    i += extra + 1;
  }
  return out;
}

std::string utf8_encode(char32_t cp) {
  std::string out;
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
  return out;
}

std::string ascii_escaped(std::string_view text) {
  std::string out;
  for (char32_t cp : utf8_decode(text)) {
    if (cp < 0x80) out += static_cast<char>(cp);
    else if (cp <= 0xFF) out += fmt::format("\\x{:02x}", static_cast<std::uint32_t>(cp));
    else if (cp <= 0xFFFF) out += fmt::format("\\u{:04x}", static_cast<std::uint32_t>(cp));
    else out += fmt::format("\\U{:08x}", static_cast<std::uint32_t>(cp));
  }
  return out;
}

static std::string quote(const std::string& s) {
  char q = (s.find('\'') != std::string::npos && s.find('"') == std::string::npos) ? '"' : '\'';
  std::string out(1, q);
  for (char c : s) {
    switch (c) {
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c == q) {
          out += '\\';
          out += c;
        } else if (static_cast<unsigned char>(c) < 0x20) {
          out += fmt::format("\\x{:02x}", static_cast<unsigned char>(c));
        } else {
          out += c;
        }
    }
  }
  out += q;
  return out;
}

// b'...': printable ASCII as itself, the rest as escapes, quoted as str's repr is.
static std::string bytes_repr(const std::string& data) {
  char q = (data.find('\'') != std::string::npos && data.find('"') == std::string::npos) ? '"' : '\'';
  std::string out = std::string("b") + q;
  for (char c : data) {
    auto u = static_cast<unsigned char>(c);
    if (c == '\\' || c == q) out += std::string("\\") + c;
    else if (c == '\n') out += "\\n";
    else if (c == '\r') out += "\\r";
    else if (c == '\t') out += "\\t";
    else if (u < 0x20 || u >= 0x7F) out += fmt::format("\\x{:02x}", u);
    else out += c;
  }
  return out + q;
}

static std::string join_repr(const std::vector<Value>& items) {
  std::string out;
  for (size_t i = 0; i < items.size(); ++i) out += (i ? ", " : "") + repr(items[i]);
  return out;
}

std::string repr(const Value& v) {
  switch (v.tag()) {
    case Value::Tag::none: return "None";
    case Value::Tag::boolean: return v.as_bool() ? "True" : "False";
    case Value::Tag::integer: return v.is_big() ? v.as_big().to_string() : std::to_string(v.as_int());
    case Value::Tag::floating: return float_repr(v.as_float());
    case Value::Tag::string: return quote(v.as_str());
    case Value::Tag::object: break;
  }
  NestingGuard guard(v.obj().get());
  if (auto* t = v.as<TupleObj>()) return t->items.size() == 1 ? "(" + repr(t->items[0]) + ",)" : "(" + join_repr(t->items) + ")";
  if (auto* l = v.as<ListObj>()) return guard.cycle() ? "[...]" : "[" + join_repr(l->items) + "]";
  if (auto* d = v.as<DictObj>()) {
    if (guard.cycle()) return "{...}";
    std::string out = "{";
    for (size_t i = 0; i < d->items.size(); ++i) out += (i ? ", " : "") + repr(d->items[i].first) + ": " + repr(d->items[i].second);
    return out + "}";
  }
  if (auto* s = v.as<SetObj>()) {
    std::string body = s->items.empty() ? std::string() : "{" + join_repr(s->items) + "}";
    if (s->frozen) return "frozenset(" + body + ")";
    return s->items.empty() ? "set()" : body;
  }
  if (auto* d = v.as<DtypeObj>()) return "torch." + d->name;
  if (auto* b = v.as<BytesObj>()) return bytes_repr(b->data);
  if (auto* c = v.as<ClassObj>()) return "<class '" + c->qualname + "'>";
  if (auto* f = v.as<FunctionObj>()) return "<function " + f->qualname + ">";
  if (auto* u = v.as<UnknownObj>()) return "<unknown: " + u->reason + ">";
  if (auto* m = v.as<ModuleNs>()) return "<module '" + m->name + "'>";
  if (auto* i = v.as<InstanceObj>()) return "<" + i->cls->name + " object>";
  if (auto* t = v.as<TensorObj>()) {
    std::string dims;
    if (t->shape) {
      for (size_t i = 0; i < t->shape->size(); ++i) dims += (i ? ", " : "") + ((*t->shape)[i] == kUnknownDim ? std::string("?") : std::to_string((*t->shape)[i]));
    } else {
      dims = "...";
    }
    return "tensor(shape=[" + dims + "], dtype=" + t->dtype + ")";
  }
  return "<" + type_name(v) + ">";
}

std::string str(const Value& v) {
  if (v.is_str()) return v.as_str();
  return repr(v);
}

}  // namespace ckg::interp
