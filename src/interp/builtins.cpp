// Python builtins and the standard-library modules model code uses, as native functions.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <numeric>

#include <fmt/format.h>

#include "interp/format.h"
#include "interp/generators.h"
#include "interp/interpreter.h"
#include "interp/modules/modules.h"

namespace ckg::interp {

const Value* native_arg(const CallArgs& a, std::size_t index, const char* name) {
  if (index < a.positional.size()) return &a.positional[index];
  return name ? a.keyword(name) : nullptr;
}

Value native_arg_or(const CallArgs& a, std::size_t index, const char* name, Value fallback) {
  const Value* v = native_arg(a, index, name);
  return v ? *v : fallback;
}

const Value& native_required(Interpreter& in, const CallArgs& a, std::size_t index, const char* name) {
  const Value* v = native_arg(a, index, name);
  if (!v) in.raise("TypeError", fmt::format("missing required argument '{}'", name ? name : std::to_string(index).c_str()));
  return *v;
}

namespace {

using Fn = NativeFn;

Value self_of(Interpreter& in, CallArgs& a) { return native_required(in, a, 0, nullptr); }

std::int64_t to_int(Interpreter& in, const Value& v) {
  if (v.is_int()) return v.as_int();
  if (v.is_float()) in.raise("TypeError", "'float' object cannot be interpreted as an integer");
  in.raise("TypeError", fmt::format("an integer is required, not '{}'", type_name(v)));
}

Value any_unknown(const CallArgs& a) {
  for (auto& v : a.positional) {
    if (is_unknown(v)) return v;
  }
  for (auto& kv : a.keywords) {
    if (is_unknown(kv.second)) return kv.second;
  }
  return Value::none();
}

// zip(..., strict=True): the error CPython raises at the first argument found exhausted early
// (or, when the first argument ends first, at the first one that goes on).
void check_zip_strict(Interpreter& in, const std::vector<std::vector<Value>>& seqs, std::size_t n) {
  auto earlier = [](std::size_t k) { return k == 1 ? std::string("argument 1") : fmt::format("arguments 1-{}", k); };
  std::size_t first_done = 0;
  while (first_done < seqs.size() && seqs[first_done].size() != n) ++first_done;
  if (first_done > 0) in.raise("ValueError", fmt::format("zip() argument {} is shorter than {}", first_done + 1, earlier(first_done)));
  for (std::size_t k = 1; k < seqs.size(); ++k) {
    if (seqs[k].size() > n) in.raise("ValueError", fmt::format("zip() argument {} is longer than {}", k + 1, earlier(k)));
  }
}

Value make_range(Interpreter& in, CallArgs& a) {
  if (Value u = any_unknown(a); is_unknown(u)) return u;
  std::int64_t start = 0, stop, step = 1;
  if (a.positional.size() == 1) stop = to_int(in, a.positional[0]);
  else {
    start = to_int(in, native_required(in, a, 0, nullptr));
    stop = to_int(in, native_required(in, a, 1, nullptr));
    if (a.positional.size() > 2) step = to_int(in, a.positional[2]);
  }
  if (step == 0) in.raise("ValueError", "range() arg 3 must not be zero");
  // the length in 128 bits: stop - start overflows int64 for range(-2**63, 2**63 - 1)
  __int128 span = step > 0 ? static_cast<__int128>(stop) - start : static_cast<__int128>(start) - stop;
  __int128 magnitude = step > 0 ? step : -static_cast<__int128>(step);
  __int128 count = span <= 0 ? 0 : (span + magnitude - 1) / magnitude;
  if (count > in.limits().max_sequence) in.raise("MemoryError", fmt::format("a range of more than {} items (limit max_sequence)", in.limits().max_sequence));
  in.charge_items(static_cast<std::uint64_t>(count), "a range");
  std::vector<Value> out;
  out.reserve(static_cast<std::size_t>(count));
  for (__int128 k = 0; k < count; ++k) out.push_back(Value::integer(static_cast<std::int64_t>(start + k * step)));
  return make_list(std::move(out));
}

// The lazy iterators zip, enumerate, map and filter return; their inputs are iterators in
// IteratorObj::items, so that a generator passed in runs only as far as they are consumed.
// zip: items are the iterators; pos becomes 1 when one of them runs out.
std::optional<Value> zip_next(Interpreter& in, IteratorObj& self) {
  if (self.items.empty() || self.pos != 0) return std::nullopt;
  std::vector<Value> row;
  for (auto& it : self.items) {
    std::optional<Value> v = in.next_item(it);
    if (!v) {
      self.pos = 1;
      return std::nullopt;
    }
    row.push_back(std::move(*v));
  }
  return make_tuple(std::move(row));
}

// enumerate: items are {next index, iterator}.
std::optional<Value> enumerate_next(Interpreter& in, IteratorObj& self) {
  std::optional<Value> v = in.next_item(self.items[1]);
  if (!v) return std::nullopt;
  Value index = self.items[0];
  self.items[0] = in.binary("+", index, Value::integer(1));
  return make_tuple({std::move(index), std::move(*v)});
}

// map: items are {function, iterators...}.
std::optional<Value> map_next(Interpreter& in, IteratorObj& self) {
  CallArgs args;
  for (std::size_t k = 1; k < self.items.size(); ++k) {
    std::optional<Value> v = in.next_item(self.items[k]);
    if (!v) return std::nullopt;
    args.positional.push_back(std::move(*v));
  }
  if (args.positional.empty()) return std::nullopt;
  return in.call(self.items[0], std::move(args));
}

// filter: items are {predicate or None, iterator}.
std::optional<Value> filter_next(Interpreter& in, IteratorObj& self) {
  while (std::optional<Value> v = in.next_item(self.items[1])) {
    const Value& fn = self.items[0];
    if (fn.is_none() ? in.truthy(*v) : in.truthy(in.call(fn, CallArgs{{*v}, {}}))) return v;
  }
  return std::nullopt;
}

// iter(callable, sentinel): items are {callable, sentinel}; pos becomes 1 at the sentinel.
std::optional<Value> call_until_next(Interpreter& in, IteratorObj& self) {
  if (self.pos != 0) return std::nullopt;
  Value v = in.call(self.items[0], CallArgs{});
  if (values_equal(v, self.items[1])) {
    self.pos = 1;
    return std::nullopt;
  }
  return v;
}

// A lazy iterator over `state` (IteratorObj::items) and the iterators of `iterables` after it.
Value lazy_iterator(Interpreter& in, std::vector<Value> state, const std::vector<Value>& iterables, IteratorObj::NextFn next) {
  for (const Value& v : iterables) state.push_back(in.iter(v));
  return Value::object(std::make_shared<IteratorObj>(std::move(state), next));
}

Value min_max(Interpreter& in, CallArgs& a, bool want_max) {
  std::vector<Value> items = a.positional.size() == 1 ? in.iterate(a.positional[0]) : a.positional;
  if (Value u = any_unknown(a); is_unknown(u)) return u;
  const Value* key = a.keyword("key");
  if (items.empty()) {
    if (const Value* d = a.keyword("default")) return *d;
    in.raise("ValueError", std::string(want_max ? "max" : "min") + "() arg is an empty sequence");
  }
  Value best = items[0];
  Value best_key = key ? in.call(*key, CallArgs{{best}, {}}) : best;
  for (std::size_t i = 1; i < items.size(); ++i) {
    Value k = key ? in.call(*key, CallArgs{{items[i]}, {}}) : items[i];
    if (is_unknown(k)) return k;
    bool better = in.truthy(in.compare(want_max ? ">" : "<", k, best_key));
    if (better) best = items[i], best_key = k;
  }
  return best;
}

// type(name, bases, namespace, **keywords) and type.__new__: the arguments from `first` on.
Value new_class_from(Interpreter& in, const Value& metaclass, CallArgs& a, std::size_t first) {
  const Value& name = native_required(in, a, first, "name");
  auto* bases = native_required(in, a, first + 1, "bases").as<TupleObj>();
  auto* ns = native_required(in, a, first + 2, "dict").as<DictObj>();
  if (!name.is_str() || !bases || !ns) in.raise("TypeError", "type() argument types must be (str, tuple, dict)");
  Interpreter::ClassSpec spec;
  spec.name = name.as_str();
  spec.metaclass = metaclass;
  for (auto& b : bases->items) {
    if (b.as<ClassObj>()) spec.bases.push_back(b);
    else spec.has_unknown_base = true;
  }
  for (auto& [k, v] : ns->items) {
    if (k.is_str()) spec.ns.emplace_back(k.as_str(), v);
    if (auto* annotations = v.as<DictObj>(); annotations && k.is_str() && k.as_str() == "__annotations__") {
      for (auto& field : annotations->items) {
        if (field.first.is_str()) spec.annotated.push_back(field.first.as_str());
      }
    }
  }
  spec.keywords = a.keywords;
  return in.new_class(std::move(spec));
}

// The builtin property type: property(fget, fset, fdel), the .getter/.setter/.deleter
// decorators (each a copy with one accessor replaced) and the accessors as attributes.
void install_property(Interpreter& in, ClassObj* cls) {
  cls->native_new = [](Interpreter&, CallArgs& a) {
    auto p = std::make_shared<PropertyObj>(native_arg_or(a, 0, "fget", Value::none()));
    p->setter = native_arg_or(a, 1, "fset", Value::none());
    p->deleter = native_arg_or(a, 2, "fdel", Value::none());
    return Value::object(p);
  };
  auto property_of = [](Interpreter& i, CallArgs& a) -> PropertyObj& {
    auto* p = native_required(i, a, 0, "self").as<PropertyObj>();
    if (!p) i.raise("TypeError", "descriptor requires a 'property' object");
    return *p;
  };
  for (auto [name, accessor] : {std::pair{"getter", &PropertyObj::getter}, {"setter", &PropertyObj::setter}, {"deleter", &PropertyObj::deleter}}) {
    in.add_method(cls, name, [property_of, accessor = accessor](Interpreter& i, CallArgs& a) {
      auto copy = std::make_shared<PropertyObj>(property_of(i, a));
      (*copy).*accessor = native_required(i, a, 1, "func");
      return Value::object(copy);
    });
  }
  for (auto [name, accessor] : {std::pair{"fget", &PropertyObj::getter}, {"fset", &PropertyObj::setter}, {"fdel", &PropertyObj::deleter}}) {
    cls->attrs.set(name, Value::object(std::make_shared<PropertyObj>(in.builtin(std::string("property.") + name, [property_of, accessor = accessor](Interpreter& i, CallArgs& a) {
      return property_of(i, a).*accessor;
    }))));
  }
}

Value sorted_of(Interpreter& in, std::vector<Value> items, const Value* key, bool reverse) {
  std::vector<std::pair<Value, Value>> keyed;
  for (auto& v : items) keyed.emplace_back(key && !key->is_none() ? in.call(*key, CallArgs{{v}, {}}) : v, v);
  // reverse=True keeps equal items in their original order, as CPython's sort does.
  std::stable_sort(keyed.begin(), keyed.end(), [&](auto& x, auto& y) {
    return reverse ? in.truthy(in.compare("<", y.first, x.first)) : in.truthy(in.compare("<", x.first, y.first));
  });
  std::vector<Value> out;
  for (auto& kv : keyed) out.push_back(kv.second);
  return make_list(std::move(out));
}

// copy.deepcopy's memo: the copy made of each object already copied (cycles, sharing).
using DeepCopyMemo = std::unordered_map<const Object*, Value>;

Value deep_copy(Interpreter& in, const Value& v, DeepCopyMemo& memo) {
  if (!v.is_obj()) return v;
  if (auto hit = memo.find(v.obj().get()); hit != memo.end()) return hit->second;
  in.step();  // copying is work model code asked for
  NestingGuard guard(v.obj().get());
  switch (v.obj()->kind) {
    case ObjKind::list: {
      auto out = std::make_shared<ListObj>();
      Value ov = Value::object(out);
      memo.emplace(v.obj().get(), ov);
      for (auto& x : v.as<ListObj>()->items) out->items.push_back(deep_copy(in, x, memo));
      return ov;
    }
    case ObjKind::tuple: {
      std::vector<Value> items;
      for (auto& x : v.as<TupleObj>()->items) items.push_back(deep_copy(in, x, memo));
      return make_tuple(std::move(items));
    }
    case ObjKind::dict: {
      auto* d = v.as<DictObj>();
      auto out = std::make_shared<DictObj>();
      out->ordered_dict = d->ordered_dict;
      out->subclass = d->subclass;
      out->subclass_holder = d->subclass_holder;
      Value ov = Value::object(out);
      memo.emplace(v.obj().get(), ov);
      for (auto& kv : d->items) out->items.emplace_back(kv.first, deep_copy(in, kv.second, memo));
      for (auto& [name, x] : d->attrs.items()) out->attrs.set(name, deep_copy(in, x, memo));
      return ov;
    }
    case ObjKind::tensor: {
      auto out = std::make_shared<TensorObj>(*v.as<TensorObj>());
      Value ov = Value::object(out);
      memo.emplace(v.obj().get(), ov);
      return ov;
    }
    case ObjKind::instance: {
      auto* src = v.as<InstanceObj>();
      auto out = std::make_shared<InstanceObj>(src->cls);
      out->cls_holder = src->cls_holder;
      Value ov = Value::object(out);
      memo.emplace(v.obj().get(), ov);
      for (auto& [k, x] : src->attrs.items()) out->attrs.set(k, deep_copy(in, x, memo));
      out->exception_args = src->exception_args;
      if (src->module) {
        out->module = std::make_unique<ModuleState>();
        for (auto& [k, x] : src->module->parameters.items()) out->module->parameters.set(k, deep_copy(in, x, memo));
        for (auto& [k, x] : src->module->buffers.items()) out->module->buffers.set(k, deep_copy(in, x, memo));
        for (auto& [k, x] : src->module->modules.items()) out->module->modules.set(k, deep_copy(in, x, memo));
        out->module->non_persistent = src->module->non_persistent;
      }
      return ov;
    }
    default: return v;  // classes, functions, modules and dtypes are shared
  }
}

std::vector<std::string> split_string(const std::string& s, const Value& sep, std::int64_t maxsplit) {
  std::vector<std::string> out;
  if (sep.is_none()) {
    std::size_t i = 0;
    while (i < s.size()) {
      while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) ++i;
      if (i >= s.size()) break;
      if (maxsplit >= 0 && static_cast<std::int64_t>(out.size()) == maxsplit) { out.push_back(s.substr(i)); return out; }
      std::size_t j = i;
      while (j < s.size() && !std::isspace(static_cast<unsigned char>(s[j]))) ++j;
      out.push_back(s.substr(i, j - i));
      i = j;
    }
    return out;
  }
  const std::string& d = sep.as_str();
  std::size_t start = 0;
  while (true) {
    if (maxsplit >= 0 && static_cast<std::int64_t>(out.size()) == maxsplit) break;
    std::size_t pos = s.find(d, start);
    if (pos == std::string::npos || d.empty()) break;
    out.push_back(s.substr(start, pos - start));
    start = pos + d.size();
  }
  out.push_back(s.substr(start));
  return out;
}

std::string strip_chars(const std::string& s, const Value& chars, bool left, bool right) {
  auto is_strip = [&](char c) {
    return chars.is_none() ? std::isspace(static_cast<unsigned char>(c)) != 0 : chars.as_str().find(c) != std::string::npos;
  };
  std::size_t b = 0, e = s.size();
  if (left) while (b < e && is_strip(s[b])) ++b;
  if (right) while (e > b && is_strip(s[e - 1])) --e;
  return s.substr(b, e - b);
}

Value strings_to_list(const std::vector<std::string>& parts) {
  std::vector<Value> out;
  for (auto& p : parts) out.push_back(Value::string(p));
  return make_list(std::move(out));
}

// str.encode(encoding): the UTF-8 a str holds (ASCII text under 'ascii'); other encodings are
// not modelled.
Value encoded(Interpreter& in, const std::string& text, const Value& encoding) {
  std::string name = encoding.is_str() ? encoding.as_str() : std::string();
  std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  bool ascii = std::all_of(text.begin(), text.end(), [](char c) { return static_cast<unsigned char>(c) < 0x80; });
  if (name != "utf-8" && name != "utf8" && !(name == "ascii" && ascii)) return in.unknown("str.encode('" + name + "')", false);
  return Value::object(std::make_shared<BytesObj>(text));
}

// bytes(): from a str and its encoding, from a count of zero bytes, or from ints; and decode().
void install_bytes(Interpreter& in, ClassObj* cls) {
  cls->native_new = [](Interpreter& i, CallArgs& a) {
    if (a.positional.empty()) return Value::object(std::make_shared<BytesObj>(std::string()));
    const Value& src = a.positional[0];
    if (is_unknown(src)) return src;
    if (src.is_str()) {
      const Value* encoding = native_arg(a, 1, "encoding");
      if (!encoding) i.raise("TypeError", "string argument without an encoding");
      return encoded(i, src.as_str(), *encoding);
    }
    if (src.is_int()) {
      std::int64_t n = src.as_int();
      if (n < 0) i.raise("ValueError", "negative count");
      i.charge(static_cast<std::uint64_t>(n), "bytes");
      return Value::object(std::make_shared<BytesObj>(std::string(static_cast<std::size_t>(n), '\0')));
    }
    std::string data;
    for (const Value& v : i.iterate(src)) {
      if (!v.is_int()) i.raise("TypeError", fmt::format("'{}' object cannot be interpreted as an integer", type_name(v)));
      if (v.is_big() || v.as_int() < 0 || v.as_int() > 255) i.raise("ValueError", "bytes must be in range(0, 256)");
      data += static_cast<char>(v.as_int());
    }
    return Value::object(std::make_shared<BytesObj>(std::move(data)));
  };
  in.add_method(cls, "decode", [](Interpreter& i, CallArgs& a) {
    auto* b = native_required(i, a, 0, "self").as<BytesObj>();
    if (!b) i.raise("TypeError", "descriptor 'decode' requires a 'bytes' object");
    return Value::string(b->data);  // str holds UTF-8 as bytes do
  });
}

// str.isnumeric(): Unicode's numeric characters of the blocks model code may meet (digits,
// Latin-1 superscripts and fractions, number forms, enclosed and full-width numbers, Arabic and
// Devanagari digits); other scripts' numerals are not listed.
bool is_numeric_char(char32_t cp) {
  static constexpr std::pair<char32_t, char32_t> ranges[] = {
      {0x30, 0x39},     {0xB2, 0xB3},     {0xB9, 0xB9},     {0xBC, 0xBE},     {0x660, 0x669},   {0x6F0, 0x6F9},
      {0x966, 0x96F},   {0x2070, 0x2070}, {0x2074, 0x2079}, {0x2080, 0x2089}, {0x2150, 0x2182}, {0x2185, 0x2189},
      {0x2460, 0x249B}, {0x24EA, 0x24FF}, {0x2776, 0x2793}, {0x3007, 0x3007}, {0xFF10, 0xFF19}};
  return std::any_of(std::begin(ranges), std::end(ranges), [cp](const auto& r) { return cp >= r.first && cp <= r.second; });
}

void install_str_methods(Interpreter& in, ClassObj* cls) {
  auto s = [](Interpreter& i, CallArgs& a) -> const std::string& {
    const Value& v = native_required(i, a, 0, nullptr);
    if (!v.is_str()) i.raise("TypeError", "descriptor requires a 'str' object");
    return v.as_str();
  };
  in.add_method(cls, "format", [s](Interpreter& i, CallArgs& a) {
    std::string text = s(i, a);
    CallArgs rest = a;
    rest.positional.erase(rest.positional.begin());
    for (auto& v : rest.positional) if (is_unknown(v)) return v;
    for (auto& kv : rest.keywords) if (is_unknown(kv.second)) return kv.second;
    return Value::string(format_string(i, text, rest));
  });
  in.add_method(cls, "join", [s](Interpreter& i, CallArgs& a) {
    std::string sep = s(i, a), out;
    auto items = i.iterate(native_required(i, a, 1, nullptr));
    std::uint64_t size = 0;
    for (const Value& item : items) {
      if (is_unknown(item)) return item;
      if (!item.is_str()) i.raise("TypeError", "sequence item: expected str instance");
      size += item.as_str().size() + sep.size();
    }
    i.charge(size, "a joined string");
    out.reserve(size);
    for (std::size_t k = 0; k < items.size(); ++k) out += (k ? sep : "") + items[k].as_str();
    return Value::string(out);
  });
  in.add_method(cls, "split", [s](Interpreter& i, CallArgs& a) {
    return strings_to_list(split_string(s(i, a), native_arg_or(a, 1, "sep", Value::none()),
                                        native_arg_or(a, 2, "maxsplit", Value::integer(-1)).as_int()));
  });
  in.add_method(cls, "rsplit", [s](Interpreter& i, CallArgs& a) {
    std::string text = s(i, a);
    Value sep = native_arg_or(a, 1, "sep", Value::none());
    std::int64_t maxsplit = native_arg_or(a, 2, "maxsplit", Value::integer(-1)).as_int();
    if (maxsplit < 0 || sep.is_none()) return strings_to_list(split_string(text, sep, maxsplit));
    std::vector<std::string> parts;
    std::string rest = text;
    const std::string& d = sep.as_str();
    while (static_cast<std::int64_t>(parts.size()) < maxsplit) {
      std::size_t pos = rest.rfind(d);
      if (pos == std::string::npos) break;
      parts.insert(parts.begin(), rest.substr(pos + d.size()));
      rest = rest.substr(0, pos);
    }
    parts.insert(parts.begin(), rest);
    return strings_to_list(parts);
  });
  for (auto [name, l, r] : {std::tuple{"strip", true, true}, {"lstrip", true, false}, {"rstrip", false, true}}) {
    bool left = l, right = r;
    in.add_method(cls, name, [s, left, right](Interpreter& i, CallArgs& a) {
      return Value::string(strip_chars(s(i, a), native_arg_or(a, 1, "chars", Value::none()), left, right));
    });
  }
  in.add_method(cls, "startswith", [s](Interpreter& i, CallArgs& a) {
    std::string text = s(i, a);
    if (const Value* start = native_arg(a, 2, nullptr); start && start->is_int()) {
      auto n = static_cast<std::int64_t>(text.size());
      std::int64_t b = std::clamp<std::int64_t>(start->as_int() < 0 ? start->as_int() + n : start->as_int(), 0, n);
      text = text.substr(static_cast<std::size_t>(b));
    }
    Value p = native_required(i, a, 1, nullptr);
    std::vector<Value> prefixes = p.as<TupleObj>() ? p.as<TupleObj>()->items : std::vector<Value>{p};
    for (auto& x : prefixes) if (x.is_str() && text.rfind(x.as_str(), 0) == 0) return Value::boolean(true);
    return Value::boolean(false);
  });
  in.add_method(cls, "endswith", [s](Interpreter& i, CallArgs& a) {
    const std::string& text = s(i, a);
    Value p = native_required(i, a, 1, nullptr);
    std::vector<Value> suffixes = p.as<TupleObj>() ? p.as<TupleObj>()->items : std::vector<Value>{p};
    for (auto& x : suffixes) {
      if (x.is_str() && text.size() >= x.as_str().size() && text.compare(text.size() - x.as_str().size(), x.as_str().size(), x.as_str()) == 0) return Value::boolean(true);
    }
    return Value::boolean(false);
  });
  in.add_method(cls, "replace", [s](Interpreter& i, CallArgs& a) {
    std::string text = s(i, a);
    const std::string& from = native_required(i, a, 1, nullptr).as_str();
    const std::string& to = native_required(i, a, 2, nullptr).as_str();
    std::int64_t left = native_arg_or(a, 3, "count", Value::integer(-1)).as_int();
    // Charged before building: every replacement adds `to` (an empty pattern matches between
    // every two characters and at both ends).
    std::uint64_t hits = 0;
    if (from.empty()) hits = text.size() + 1;
    else for (std::size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + from.size())) ++hits;
    if (left >= 0) hits = std::min<std::uint64_t>(hits, static_cast<std::uint64_t>(left));
    i.charge(text.size() + hits * to.size(), "a replaced string");
    std::string out;
    if (from.empty()) {
      for (char c : text) {
        if (left != 0) out += to, --left;
        out += c;
      }
      return Value::string(left != 0 ? out + to : out);
    }
    std::size_t pos = 0, hit;
    while (left != 0 && (hit = text.find(from, pos)) != std::string::npos) out += text.substr(pos, hit - pos) + to, pos = hit + from.size(), --left;
    return Value::string(out + text.substr(pos));
  });
  in.add_method(cls, "lower", [s](Interpreter& i, CallArgs& a) {
    std::string t = s(i, a);
    std::transform(t.begin(), t.end(), t.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return Value::string(t);
  });
  in.add_method(cls, "upper", [s](Interpreter& i, CallArgs& a) {
    std::string t = s(i, a);
    std::transform(t.begin(), t.end(), t.begin(), [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
    return Value::string(t);
  });
  in.add_method(cls, "capitalize", [s](Interpreter& i, CallArgs& a) {
    std::string t = s(i, a);
    for (std::size_t k = 0; k < t.size(); ++k) t[k] = static_cast<char>(k ? std::tolower(static_cast<unsigned char>(t[k])) : std::toupper(static_cast<unsigned char>(t[k])));
    return Value::string(t);
  });
  // The [start, end) window of find/rfind/index/count/startswith, clamped as CPython's slices are.
  auto window = [](CallArgs& a, std::size_t first, const std::string& t) {
    auto n = static_cast<std::int64_t>(t.size());
    auto clamp = [n](std::int64_t v) { return std::clamp<std::int64_t>(v < 0 ? v + n : v, 0, n); };
    Value b = native_arg_or(a, first, nullptr, Value::none()), e = native_arg_or(a, first + 1, nullptr, Value::none());
    std::int64_t lo = b.is_none() ? 0 : clamp(b.as_int()), hi = e.is_none() ? n : clamp(e.as_int());
    return std::pair{lo, std::max(lo, hi)};
  };
  auto finder = [s, window](bool reverse, bool raise) {
    return [s, window, reverse, raise](Interpreter& i, CallArgs& a) {
      const std::string& t = s(i, a);
      const std::string& sub = native_required(i, a, 1, nullptr).as_str();
      auto [lo, hi] = window(a, 2, t);
      std::int64_t found = -1;
      if (static_cast<std::int64_t>(sub.size()) <= hi - lo) {
        std::string part = t.substr(static_cast<std::size_t>(lo), static_cast<std::size_t>(hi - lo));
        auto pos = reverse ? part.rfind(sub) : part.find(sub);
        if (pos != std::string::npos) found = lo + static_cast<std::int64_t>(pos);
      }
      if (found < 0 && raise) i.raise("ValueError", "substring not found");
      return Value::integer(found);
    };
  };
  in.add_method(cls, "find", finder(false, false));
  in.add_method(cls, "rfind", finder(true, false));
  in.add_method(cls, "index", finder(false, true));
  in.add_method(cls, "rindex", finder(true, true));
  in.add_method(cls, "count", [s, window](Interpreter& i, CallArgs& a) {
    const std::string& whole = s(i, a);
    auto [lo, hi] = window(a, 2, whole);
    std::string t = whole.substr(static_cast<std::size_t>(lo), static_cast<std::size_t>(hi - lo));
    const std::string& sub = native_required(i, a, 1, nullptr).as_str();
    if (sub.empty()) return Value::integer(static_cast<std::int64_t>(t.size()) + 1);
    std::int64_t n = 0;
    for (std::size_t pos = 0; (pos = t.find(sub, pos)) != std::string::npos; pos += sub.size()) ++n;
    return Value::integer(n);
  });
  in.add_method(cls, "removeprefix", [s](Interpreter& i, CallArgs& a) {
    const std::string& t = s(i, a);
    const std::string& p = native_required(i, a, 1, nullptr).as_str();
    return Value::string(t.rfind(p, 0) == 0 ? t.substr(p.size()) : t);
  });
  in.add_method(cls, "removesuffix", [s](Interpreter& i, CallArgs& a) {
    const std::string& t = s(i, a);
    const std::string& p = native_required(i, a, 1, nullptr).as_str();
    bool ends = !p.empty() && t.size() >= p.size() && t.compare(t.size() - p.size(), p.size(), p) == 0;
    return Value::string(ends ? t.substr(0, t.size() - p.size()) : t);
  });
  auto map_chars = [s](auto fn) {
    return [s, fn](Interpreter& i, CallArgs& a) {
      std::string t = s(i, a);
      bool prev_alpha = false;
      for (char& c : t) {
        auto u = static_cast<unsigned char>(c);
        c = static_cast<char>(fn(u, prev_alpha));
        prev_alpha = std::isalpha(u) != 0;
      }
      return Value::string(t);
    };
  };
  in.add_method(cls, "casefold", map_chars([](unsigned char c, bool) { return std::tolower(c); }));
  in.add_method(cls, "swapcase", map_chars([](unsigned char c, bool) { return std::isupper(c) ? std::tolower(c) : std::toupper(c); }));
  in.add_method(cls, "title", map_chars([](unsigned char c, bool prev_alpha) { return prev_alpha ? std::tolower(c) : std::toupper(c); }));
  auto pad = [s](char where) {
    return [s, where](Interpreter& i, CallArgs& a) {
      std::string t = s(i, a);
      auto w = static_cast<std::size_t>(std::max<std::int64_t>(0, native_required(i, a, 1, nullptr).as_int()));
      std::string fill = native_arg_or(a, 2, nullptr, Value::string(" ")).as_str();
      if (fill.size() != 1) i.raise("TypeError", "The fill character must be exactly one character long");
      if (t.size() >= w) return Value::string(t);
      std::size_t total = w - t.size(), left = where == '<' ? 0 : where == '>' ? total : total / 2 + (total & w & 1);
      return Value::string(std::string(left, fill[0]) + t + std::string(total - left, fill[0]));
    };
  };
  in.add_method(cls, "ljust", pad('<'));
  in.add_method(cls, "rjust", pad('>'));
  in.add_method(cls, "center", pad('^'));
  in.add_method(cls, "splitlines", [s](Interpreter& i, CallArgs& a) {
    const std::string& t = s(i, a);
    bool keep = i.truthy(native_arg_or(a, 1, "keepends", Value::boolean(false)));
    std::vector<std::string> lines;
    std::size_t start = 0;
    for (std::size_t k = 0; k < t.size(); ++k) {
      if (t[k] != '\n' && t[k] != '\r') continue;
      std::size_t end = k;
      if (t[k] == '\r' && k + 1 < t.size() && t[k + 1] == '\n') ++k;
      lines.push_back(t.substr(start, (keep ? k + 1 : end) - start));
      start = k + 1;
    }
    if (start < t.size()) lines.push_back(t.substr(start));
    return strings_to_list(lines);
  });
  auto all_chars = [s](auto pred) {
    return [s, pred](Interpreter& i, CallArgs& a) {
      const std::string& t = s(i, a);
      return Value::boolean(!t.empty() && std::all_of(t.begin(), t.end(), [&](char c) { return pred(static_cast<unsigned char>(c)); }));
    };
  };
  in.add_method(cls, "isdigit", all_chars([](unsigned char c) { return std::isdigit(c) != 0; }));
  in.add_method(cls, "isnumeric", [s](Interpreter& i, CallArgs& a) {
    std::u32string t = utf8_decode(s(i, a));
    return Value::boolean(!t.empty() && std::all_of(t.begin(), t.end(), is_numeric_char));
  });
  in.add_method(cls, "isdecimal", all_chars([](unsigned char c) { return std::isdigit(c) != 0; }));
  in.add_method(cls, "isalpha", all_chars([](unsigned char c) { return std::isalpha(c) != 0; }));
  in.add_method(cls, "isalnum", all_chars([](unsigned char c) { return std::isalnum(c) != 0; }));
  in.add_method(cls, "isspace", all_chars([](unsigned char c) { return std::isspace(c) != 0; }));
  auto cased = [s](bool upper) {
    return [s, upper](Interpreter& i, CallArgs& a) {
      const std::string& t = s(i, a);
      bool any = false;
      for (unsigned char c : t) {
        if (upper ? std::islower(c) : std::isupper(c)) return Value::boolean(false);
        any = any || std::isalpha(c);
      }
      return Value::boolean(any);
    };
  };
  in.add_method(cls, "isupper", cased(true));
  in.add_method(cls, "islower", cased(false));
  in.add_method(cls, "isidentifier", [s](Interpreter& i, CallArgs& a) {
    const std::string& t = s(i, a);
    bool ok = !t.empty() && !std::isdigit(static_cast<unsigned char>(t[0])) &&
              std::all_of(t.begin(), t.end(), [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || (c & 0x80); });
    return Value::boolean(ok);
  });
  in.add_method(cls, "zfill", [s](Interpreter& i, CallArgs& a) {
    std::string t = s(i, a);
    std::int64_t w = native_required(i, a, 1, nullptr).as_int();
    if (w <= static_cast<std::int64_t>(t.size())) return Value::string(t);
    i.charge(static_cast<std::uint64_t>(w), "a zero-filled string");
    std::size_t digits_at = !t.empty() && (t[0] == '-' || t[0] == '+') ? 1 : 0;  // after the sign, as Python does
    t.insert(digits_at, static_cast<std::size_t>(w) - t.size(), '0');
    return Value::string(t);
  });
  in.add_method(cls, "partition", [s](Interpreter& i, CallArgs& a) {
    const std::string& t = s(i, a);
    const std::string& sep = native_required(i, a, 1, nullptr).as_str();
    auto pos = t.find(sep);
    if (pos == std::string::npos) return make_tuple({Value::string(t), Value::string(""), Value::string("")});
    return make_tuple({Value::string(t.substr(0, pos)), Value::string(sep), Value::string(t.substr(pos + sep.size()))});
  });
  in.add_method(cls, "rpartition", [s](Interpreter& i, CallArgs& a) {
    const std::string& t = s(i, a);
    const std::string& sep = native_required(i, a, 1, nullptr).as_str();
    auto pos = t.rfind(sep);
    if (pos == std::string::npos) return make_tuple({Value::string(""), Value::string(""), Value::string(t)});
    return make_tuple({Value::string(t.substr(0, pos)), Value::string(sep), Value::string(t.substr(pos + sep.size()))});
  });
  in.add_method(cls, "encode", [s](Interpreter& i, CallArgs& a) { return encoded(i, s(i, a), native_arg_or(a, 1, "encoding", Value::string("utf-8"))); });
  in.add_method(cls, "translate", [s](Interpreter& i, CallArgs& a) {
    const Value& table = native_required(i, a, 1, "table");
    std::string out;
    for (char32_t cp : utf8_decode(s(i, a))) {
      // a character the table lacks (a LookupError) stays as it is
      Value mapped;
      try {
        mapped = i.get_item(table, Value::integer(static_cast<std::int64_t>(cp)));
      } catch (PyError& e) {
        if (e.type != "KeyError" && e.type != "IndexError") throw;
        out += utf8_encode(cp);
        continue;
      }
      if (mapped.is_str()) out += mapped.as_str();
      else if (mapped.is_int()) out += utf8_encode(static_cast<char32_t>(mapped.as_int()));
      else if (!mapped.is_none()) i.raise("TypeError", "character mapping must return integer, None or str");
    }
    return Value::string(out);
  });
  // str.maketrans(x[, y[, z]]): a static method building the {ordinal: replacement} table.
  cls->attrs.set("maketrans", Value::object(std::make_shared<StaticMethodObj>(in.builtin("str.maketrans", [](Interpreter& i, CallArgs& a) {
    auto table = std::make_shared<DictObj>();
    auto ordinal = [](char32_t cp) { return Value::integer(static_cast<std::int64_t>(cp)); };
    const Value& x = native_required(i, a, 0, "x");
    if (const Value* y = native_arg(a, 1, "y")) {
      std::u32string from = utf8_decode(x.as_str()), to = utf8_decode(y->as_str());
      if (from.size() != to.size()) i.raise("ValueError", "the first two maketrans arguments must have equal length");
      for (std::size_t k = 0; k < from.size(); ++k) table->set(ordinal(from[k]), ordinal(to[k]));
      if (const Value* z = native_arg(a, 2, "z")) {
        for (char32_t cp : utf8_decode(z->as_str())) table->set(ordinal(cp), Value::none());
      }
      return Value::object(table);
    }
    auto* d = x.as<DictObj>();
    if (!d) i.raise("TypeError", "if you give only one argument to maketrans it must be a dict");
    for (auto& kv : d->items) table->set(kv.first.is_str() ? ordinal(utf8_decode(kv.first.as_str()).at(0)) : kv.first, kv.second);
    return Value::object(table);
  }))));
}

// float.as_integer_ratio(): the exact fraction, in lowest terms (the denominator a power of two).
Value float_ratio(Interpreter& in, double d) {
  if (std::isinf(d)) in.raise("OverflowError", "cannot convert Infinity to integer ratio");
  if (std::isnan(d)) in.raise("ValueError", "cannot convert NaN to integer ratio");
  int exponent = 0;
  double mantissa = std::frexp(d, &exponent);
  while (mantissa != std::floor(mantissa)) mantissa *= 2, --exponent;  // at most 53 + 1074 doublings
  BigInt numerator = *BigInt::from_double(mantissa), denominator(1);
  if (exponent > 0) numerator = numerator.shifted_left(static_cast<std::size_t>(exponent));
  else denominator = denominator.shifted_left(static_cast<std::size_t>(-exponent));
  return make_tuple({Value::integer(std::move(numerator)), Value::integer(std::move(denominator))});
}

// The numeric tower's attributes and methods on int (and so bool) and float.
void install_number_methods(Interpreter& in, ClassObj* int_cls, ClassObj* float_cls) {
  auto attribute = [&in](ClassObj* cls, const std::string& name, Fn getter) {
    cls->attrs.set(name, Value::object(std::make_shared<PropertyObj>(in.builtin(cls->name + "." + name, std::move(getter)))));
  };
  auto as_int = [](Interpreter& i, CallArgs& a) { return Value::integer(self_of(i, a).as_big()); };
  attribute(int_cls, "real", as_int);
  attribute(int_cls, "numerator", as_int);
  attribute(int_cls, "imag", [](Interpreter&, CallArgs&) { return Value::integer(0); });
  attribute(int_cls, "denominator", [](Interpreter&, CallArgs&) { return Value::integer(1); });
  in.add_method(int_cls, "conjugate", as_int);
  in.add_method(int_cls, "as_integer_ratio", [](Interpreter& i, CallArgs& a) { return make_tuple({Value::integer(self_of(i, a).as_big()), Value::integer(1)}); });
  in.add_method(int_cls, "bit_length", [](Interpreter& i, CallArgs& a) {
    return Value::integer(static_cast<std::int64_t>(self_of(i, a).as_big().bit_length()));
  });
  auto as_float = [](Interpreter& i, CallArgs& a) { return Value::floating(self_of(i, a).as_float()); };
  attribute(float_cls, "real", as_float);
  attribute(float_cls, "imag", [](Interpreter&, CallArgs&) { return Value::floating(0); });
  in.add_method(float_cls, "conjugate", as_float);
  in.add_method(float_cls, "is_integer", [](Interpreter& i, CallArgs& a) {
    double d = self_of(i, a).as_float();
    return Value::boolean(std::floor(d) == d);
  });
  in.add_method(float_cls, "as_integer_ratio", [](Interpreter& i, CallArgs& a) { return float_ratio(i, self_of(i, a).as_float()); });
}

// round(x, ndigits) for a float: the decimal nearest to x's exact binary value, ties to even
// (printf's "%.*f" rounds so), as CPython's correctly rounded round() does.
double round_float(double x, std::int64_t ndigits) {
  constexpr std::int64_t kAllDigits = 323;  // past this a double has no more digits to round
  if (!std::isfinite(x) || ndigits > kAllDigits) return x;
  if (ndigits >= 0) {
    std::string text(static_cast<std::size_t>(kAllDigits + 330), '\0');
    std::snprintf(text.data(), text.size(), "%.*f", static_cast<int>(ndigits), x);
    return std::strtod(text.c_str(), nullptr);
  }
  if (ndigits < -kAllDigits) return std::copysign(0.0, x);
  double unit = std::pow(10.0, static_cast<double>(-ndigits)), scaled = x / unit;
  double r = std::nearbyint(scaled);  // ties to even
  return std::copysign(r * unit, x);
}

// pow(base, exp, mod) for ints: square-and-multiply, every step reduced modulo `mod`.
Value modular_power(Interpreter& in, BigInt base, BigInt exp, const BigInt& mod) {
  if (mod.is_zero()) in.raise("ValueError", "pow() 3rd argument cannot be 0");
  if (exp.negative()) return in.unknown("pow() of a modular inverse");
  BigInt result(1), quotient, remainder;
  auto reduce = [&](const BigInt& v) {
    BigInt::divmod(v, mod, &quotient, &remainder);
    return remainder;
  };
  base = reduce(base);
  for (; !exp.is_zero(); exp = exp.shifted_right(1)) {
    in.step();
    if (!(exp & BigInt(1)).is_zero()) result = reduce(result * base);
    base = reduce(base * base);
  }
  return Value::integer(reduce(result));
}

std::vector<Value>& list_items(Interpreter& in, CallArgs& a) {
  auto* l = native_required(in, a, 0, nullptr).as<ListObj>();
  if (!l) in.raise("TypeError", "descriptor requires a 'list' object");
  return l->items;
}

void install_list_methods(Interpreter& in, ClassObj* cls) {
  in.add_method(cls, "append", [](Interpreter& i, CallArgs& a) { list_items(i, a).push_back(native_required(i, a, 1, nullptr)); return Value::none(); });
  in.add_method(cls, "extend", [](Interpreter& i, CallArgs& a) {
    auto more = i.iterate(native_required(i, a, 1, nullptr));
    auto& items = list_items(i, a);
    items.insert(items.end(), more.begin(), more.end());
    return Value::none();
  });
  in.add_method(cls, "insert", [](Interpreter& i, CallArgs& a) {
    auto& items = list_items(i, a);
    std::int64_t idx = native_required(i, a, 1, nullptr).as_int(), n = static_cast<std::int64_t>(items.size());
    if (idx < 0) idx = std::max<std::int64_t>(0, idx + n);
    idx = std::min(idx, n);
    items.insert(items.begin() + idx, native_required(i, a, 2, nullptr));
    return Value::none();
  });
  in.add_method(cls, "pop", [](Interpreter& i, CallArgs& a) {
    auto& items = list_items(i, a);
    if (items.empty()) i.raise("IndexError", "pop from empty list");
    std::int64_t idx = native_arg_or(a, 1, nullptr, Value::integer(-1)).as_int(), n = static_cast<std::int64_t>(items.size());
    if (idx < 0) idx += n;
    if (idx < 0 || idx >= n) i.raise("IndexError", "pop index out of range");
    Value v = items[static_cast<std::size_t>(idx)];
    items.erase(items.begin() + idx);
    return v;
  });
  in.add_method(cls, "remove", [](Interpreter& i, CallArgs& a) {
    auto& items = list_items(i, a);
    const Value& x = native_required(i, a, 1, nullptr);
    auto it = std::find_if(items.begin(), items.end(), [&](const Value& v) { return values_equal(v, x); });
    if (it == items.end()) i.raise("ValueError", "list.remove(x): x not in list");
    items.erase(it);
    return Value::none();
  });
  in.add_method(cls, "index", [](Interpreter& i, CallArgs& a) {
    auto& items = list_items(i, a);
    const Value& x = native_required(i, a, 1, nullptr);
    auto n = static_cast<std::int64_t>(items.size());
    auto clamp = [n](std::int64_t v) { return std::clamp<std::int64_t>(v < 0 ? v + n : v, 0, n); };
    std::int64_t lo = clamp(native_arg_or(a, 2, nullptr, Value::integer(0)).as_int());
    std::int64_t hi = clamp(native_arg_or(a, 3, nullptr, Value::integer(n)).as_int());
    for (std::int64_t k = lo; k < hi; ++k) if (values_equal(items[static_cast<std::size_t>(k)], x)) return Value::integer(k);
    i.raise("ValueError", fmt::format("{} is not in list", i.display(x, true)));
  });
  in.add_method(cls, "count", [](Interpreter& i, CallArgs& a) {
    auto& items = list_items(i, a);
    const Value& x = native_required(i, a, 1, nullptr);
    return Value::integer(std::count_if(items.begin(), items.end(), [&](const Value& v) { return values_equal(v, x); }));
  });
  in.add_method(cls, "copy", [](Interpreter& i, CallArgs& a) { return make_list(list_items(i, a)); });
  in.add_method(cls, "clear", [](Interpreter& i, CallArgs& a) { list_items(i, a).clear(); return Value::none(); });
  in.add_method(cls, "reverse", [](Interpreter& i, CallArgs& a) { auto& it = list_items(i, a); std::reverse(it.begin(), it.end()); return Value::none(); });
  in.add_method(cls, "sort", [](Interpreter& i, CallArgs& a) {
    auto& items = list_items(i, a);
    Value sorted = sorted_of(i, items, a.keyword("key"), a.keyword("reverse") && i.truthy(*a.keyword("reverse")));
    items = sorted.as<ListObj>()->items;
    return Value::none();
  });
}

DictObj& dict_of(Interpreter& in, CallArgs& a) {
  auto* d = native_required(in, a, 0, nullptr).as<DictObj>();
  if (!d) in.raise("TypeError", "descriptor requires a 'dict' object");
  return *d;
}

void dict_update(Interpreter& in, DictObj& d, CallArgs& a, std::size_t first) {
  if (first < a.positional.size()) {
    const Value& src = a.positional[first];
    if (auto* od = src.as<DictObj>()) {
      for (auto& kv : od->items) d.set(kv.first, kv.second);
    } else {
      for (auto& pair : in.iterate(src)) {
        auto kv = in.iterate(pair);
        if (kv.size() != 2) in.raise("ValueError", "dictionary update sequence element has wrong length");
        d.set(kv[0], kv[1]);
      }
    }
  }
  for (auto& [k, v] : a.keywords) d.set(Value::string(k), v);
}

// dict.keys(), values() and items(): live views of the dict (kept as their `mapping`
// attribute), so they see later changes; keys and items views are also sets.
void install_dict_views(Interpreter& in, ClassObj* dict_cls) {
  enum Which { keys, values, items };
  auto mapping_of = [](Interpreter& i, CallArgs& a) -> DictObj& {
    const Value* m = nullptr;
    if (auto* view = native_required(i, a, 0, "self").as<InstanceObj>()) m = view->attrs.find("mapping");
    if (!m || !m->as<DictObj>()) i.raise("TypeError", "descriptor requires a dict view");
    return *m->as<DictObj>();
  };
  auto entries = [mapping_of](Interpreter& i, CallArgs& a, Which which) {
    std::vector<Value> out;
    for (auto& kv : mapping_of(i, a).items) out.push_back(which == keys ? kv.first : which == values ? kv.second : make_tuple({kv.first, kv.second}));
    return out;
  };
  auto as_set = [](Interpreter& i, std::vector<Value> members) {
    auto set = std::make_shared<SetObj>();
    for (auto& v : members) i.set_add(*set, v);
    return Value::object(set);
  };
  const std::string names[] = {"keys", "values", "items"};
  ClassObj* classes[3];
  for (Which which : {keys, values, items}) classes[which] = in.new_native_class("builtins.dict_" + names[which], {in.types.object});
  ClassObj *key_view = classes[keys], *item_view = classes[items];
  for (Which which : {keys, values, items}) {
    const std::string& name = names[which];
    ClassObj* view = classes[which];
    in.add_method(dict_cls, name, [view](Interpreter& i, CallArgs& a) {
      auto inst = std::make_shared<InstanceObj>(view);
      inst->attrs.set("mapping", native_required(i, a, 0, "self"));
      return Value::object(inst);
    });
    in.add_method(view, "__len__", [mapping_of](Interpreter& i, CallArgs& a) { return Value::integer(static_cast<std::int64_t>(mapping_of(i, a).items.size())); });
    in.add_method(view, "__iter__", [entries, which](Interpreter& i, CallArgs& a) { return Value::object(std::make_shared<IteratorObj>(entries(i, a, which))); });
    in.add_method(view, "__repr__", [mapping_of, entries, which, name](Interpreter& i, CallArgs& a) {
      return Value::string((mapping_of(i, a).ordered_dict ? "odict_" : "dict_") + name + "(" + i.display(make_list(entries(i, a, which)), true) + ")");
    });
    in.add_method(view, "__contains__", [mapping_of, which](Interpreter& i, CallArgs& a) {
      DictObj& d = mapping_of(i, a);
      const Value& x = native_required(i, a, 1, "x");
      if (which == keys) return Value::boolean(d.find(x) != nullptr);
      if (which == values) return Value::boolean(std::any_of(d.items.begin(), d.items.end(), [&x](const auto& kv) { return values_equal(kv.second, x); }));
      auto* pair = x.as<TupleObj>();
      const Value* found = pair && pair->items.size() == 2 ? d.find(pair->items[0]) : nullptr;
      return Value::boolean(found && values_equal(*found, pair->items[1]));
    });
    if (which == values) continue;
    // keys and items views compare and combine as sets, with any iterable on the other side
    in.add_method(view, "__eq__", [entries, as_set, which, key_view, item_view](Interpreter& i, CallArgs& a) {
      const Value& other = native_required(i, a, 1, "other");
      auto* other_view = other.as<InstanceObj>();
      bool set_like = other.as<SetObj>() || (other_view && (other_view->cls == key_view || other_view->cls == item_view));
      if (!set_like) return Value::string("NotImplemented");
      return Value::boolean(values_equal(as_set(i, entries(i, a, which)), as_set(i, i.iterate(other))));
    });
    in.add_method(view, "isdisjoint", [entries, which](Interpreter& i, CallArgs& a) {
      std::vector<Value> mine = entries(i, a, which);
      for (const Value& v : i.iterate(native_required(i, a, 1, "other"))) {
        if (std::any_of(mine.begin(), mine.end(), [&v](const Value& m) { return values_equal(m, v); })) return Value::boolean(false);
      }
      return Value::boolean(true);
    });
    for (auto [method, reflected, op] : {std::tuple{"__sub__", "__rsub__", "-"}, {"__and__", "__rand__", "&"}, {"__or__", "__ror__", "|"}, {"__xor__", "__rxor__", "^"}}) {
      const std::string symbol = op;
      for (bool swap : {false, true}) {
        in.add_method(view, swap ? reflected : method, [entries, as_set, which, symbol, swap](Interpreter& i, CallArgs& a) {
          Value mine = as_set(i, entries(i, a, which)), other = as_set(i, i.iterate(native_required(i, a, 1, "other")));
          return swap ? i.binary(symbol, other, mine) : i.binary(symbol, mine, other);
        });
      }
    }
  }
}

void install_dict_methods(Interpreter& in, ClassObj* cls) {
  in.add_method(cls, "get", [](Interpreter& i, CallArgs& a) {
    Value* v = dict_of(i, a).find(native_required(i, a, 1, nullptr));
    return v ? *v : native_arg_or(a, 2, nullptr, Value::none());
  });
  install_dict_views(in, cls);
  in.add_method(cls, "pop", [](Interpreter& i, CallArgs& a) {
    DictObj& d = dict_of(i, a);
    const Value& k = native_required(i, a, 1, nullptr);
    if (Value* v = d.find(k)) { Value out = *v; d.erase(k); return out; }
    if (const Value* dflt = native_arg(a, 2, nullptr)) return *dflt;
    i.raise_key_error(k);
  });
  in.add_method(cls, "popitem", [](Interpreter& i, CallArgs& a) {
    DictObj& d = dict_of(i, a);
    if (d.items.empty()) i.raise("KeyError", "popitem(): dictionary is empty");
    auto kv = d.items.back();
    d.items.pop_back();
    return make_tuple({kv.first, kv.second});
  });
  in.add_method(cls, "setdefault", [](Interpreter& i, CallArgs& a) {
    DictObj& d = dict_of(i, a);
    const Value& k = native_required(i, a, 1, nullptr);
    if (Value* v = d.find(k)) return *v;
    Value dflt = native_arg_or(a, 2, nullptr, Value::none());
    d.set(k, dflt);
    return dflt;
  });
  in.add_method(cls, "update", [](Interpreter& i, CallArgs& a) { dict_update(i, dict_of(i, a), a, 1); return Value::none(); });
  in.add_method(cls, "copy", [](Interpreter& i, CallArgs& a) {
    auto d = std::make_shared<DictObj>();  // a plain dict (or OrderedDict), even from a subclass
    d->ordered_dict = dict_of(i, a).ordered_dict;
    d->default_factory = dict_of(i, a).default_factory;
    d->items = dict_of(i, a).items;
    return Value::object(d);
  });
  // A dict subclass's instance is filled here, by its own __init__ or through super().__init__.
  in.add_method(cls, "__init__", [](Interpreter& i, CallArgs& a) {
    dict_update(i, dict_of(i, a), a, 1);
    return Value::none();
  });
  in.add_method(cls, "clear", [](Interpreter& i, CallArgs& a) { dict_of(i, a).items.clear(); return Value::none(); });
  cls->attrs.set("fromkeys", Value::object(std::make_shared<ClassMethodObj>(in.builtin("dict.fromkeys", [](Interpreter& i, CallArgs& a) {
    Value out = i.call(native_required(i, a, 0, "cls"), CallArgs{});  // an empty dict of the class it is called on
    Value value = native_arg_or(a, 2, "value", Value::none());
    for (auto& key : i.iterate(native_required(i, a, 1, "iterable"))) i.set_item(out, key, value);
    return out;
  }))));
}

// Methods of set and frozenset; `mutable` adds the ones that change the set.
void install_set_methods(Interpreter& in, ClassObj* cls, bool mutable_) {
  auto set_of = [](Interpreter& i, CallArgs& a) -> SetObj& {
    auto* s = native_required(i, a, 0, nullptr).as<SetObj>();
    if (!s) i.raise("TypeError", "descriptor requires a 'set' object");
    return *s;
  };
  // The named set operations take any iterables, one or several.
  for (auto [name, op] : {std::pair{"union", "|"}, {"intersection", "&"}, {"difference", "-"}, {"symmetric_difference", "^"}}) {
    std::string o = op;
    in.add_method(cls, name, [o](Interpreter& i, CallArgs& a) {
      Value out = native_required(i, a, 0, nullptr);
      for (std::size_t k = 1; k < a.positional.size(); ++k) {
        auto other = std::make_shared<SetObj>();
        for (auto& v : i.iterate(a.positional[k])) other->add(v);
        out = i.binary(o, out, Value::object(other));
      }
      if (a.positional.size() == 1) out = i.binary("|", out, Value::object(std::make_shared<SetObj>()));
      return out;
    });
  }
  in.add_method(cls, "copy", [](Interpreter& i, CallArgs& a) {
    return i.binary("|", native_required(i, a, 0, nullptr), Value::object(std::make_shared<SetObj>()));
  });
  in.add_method(cls, "issuperset", [](Interpreter& i, CallArgs& a) {
    auto* s = native_required(i, a, 0, nullptr).as<SetObj>();
    for (auto& v : i.iterate(native_required(i, a, 1, nullptr))) if (!s || !s->contains(v)) return Value::boolean(false);
    return Value::boolean(true);
  });
  in.add_method(cls, "isdisjoint", [](Interpreter& i, CallArgs& a) {
    auto* s = native_required(i, a, 0, nullptr).as<SetObj>();
    for (auto& v : i.iterate(native_required(i, a, 1, nullptr))) if (s && s->contains(v)) return Value::boolean(false);
    return Value::boolean(true);
  });
  in.add_method(cls, "issubset", [set_of](Interpreter& i, CallArgs& a) {
    SetObj& s = set_of(i, a);
    auto other = i.iterate(native_required(i, a, 1, nullptr));
    for (auto& v : s.items) {
      if (std::none_of(other.begin(), other.end(), [&](const Value& o) { return values_equal(o, v); })) return Value::boolean(false);
    }
    return Value::boolean(true);
  });
  if (!mutable_) return;
  in.add_method(cls, "remove", [set_of](Interpreter& i, CallArgs& a) {
    SetObj& s = set_of(i, a);
    const Value& x = native_required(i, a, 1, nullptr);
    auto it = std::find_if(s.items.begin(), s.items.end(), [&](const Value& v) { return values_equal(v, x); });
    if (it == s.items.end()) i.raise_key_error(x);
    s.items.erase(it);
    return Value::none();
  });
  in.add_method(cls, "pop", [set_of](Interpreter& i, CallArgs& a) {
    SetObj& s = set_of(i, a);
    if (s.items.empty()) i.raise("KeyError", "'pop from an empty set'");
    Value v = s.items.front();
    s.items.erase(s.items.begin());
    return v;
  });
  in.add_method(cls, "clear", [set_of](Interpreter& i, CallArgs& a) { set_of(i, a).items.clear(); return Value::none(); });
  in.add_method(cls, "add", [set_of](Interpreter& i, CallArgs& a) { i.set_add(set_of(i, a), native_required(i, a, 1, nullptr)); return Value::none(); });
  in.add_method(cls, "update", [set_of](Interpreter& i, CallArgs& a) {
    SetObj& s = set_of(i, a);
    for (std::size_t k = 1; k < a.positional.size(); ++k) for (auto& v : i.iterate(a.positional[k])) i.set_add(s, v);
    return Value::none();
  });
  in.add_method(cls, "discard", [set_of](Interpreter& i, CallArgs& a) {
    SetObj& s = set_of(i, a);
    const Value& x = native_required(i, a, 1, nullptr);
    s.items.erase(std::remove_if(s.items.begin(), s.items.end(), [&](const Value& v) { return values_equal(v, x); }), s.items.end());
    return Value::none();
  });
}

}  // namespace

std::string Interpreter::display(const Value& v, bool as_repr) {
  auto join = [&](const std::vector<Value>& items) {
    std::string out;
    for (std::size_t k = 0; k < items.size(); ++k) out += (k ? ", " : "") + display(items[k], true);
    return out;
  };
  // An instance, the dict of a dict subclass (Counter), or a class made by a metaclass (an enum)
  // shows as its class's own method says.
  auto* dict = v.as<DictObj>();
  auto* cls = v.as<ClassObj>();
  ClassObj* own = v.as<InstanceObj>() ? v.as<InstanceObj>()->cls : dict ? dict->subclass : cls ? cls->metaclass.as<ClassObj>() : nullptr;
  for (const char* name : {as_repr ? "__repr__" : "__str__", "__repr__"}) {
    const Value* method = own ? own->lookup(name) : nullptr;
    if (!method) continue;
    Value r = cls ? call(*method, CallArgs{{v}, {}}) : call(get_attr(v, name), CallArgs{});
    if (r.is_str()) return r.as_str();
  }
  if (auto* inst = v.as<InstanceObj>()) {
    if (types.base_exception && inst->cls->is_subclass_of(types.base_exception)) {
      const auto& args = inst->exception_args;
      if (as_repr) return inst->cls->name + "(" + join(args) + ")";
      if (args.empty()) return "";
      // KeyError shows its key as a repr, as CPython's KeyError.__str__ does.
      bool key_error = types.base_exception && exception_class("KeyError") && inst->cls->is_subclass_of(exception_class("KeyError"));
      return args.size() == 1 ? display(args[0], key_error) : "(" + join(args) + ")";
    }
  }
  if (!v.as<TupleObj>() && !v.as<ListObj>() && !(dict && !dict->ordered_dict)) return as_repr ? repr(v) : str(v);
  NestingGuard guard(v.obj().get());
  if (auto* t = v.as<TupleObj>()) {
    if (t->named && t->named->namedtuple_fields.size() == t->items.size()) {
      std::string out = t->named->name + "(";
      for (std::size_t k = 0; k < t->items.size(); ++k) out += (k ? ", " : "") + t->named->namedtuple_fields[k] + "=" + display(t->items[k], true);
      return out + ")";
    }
    return t->items.size() == 1 ? "(" + display(t->items[0], true) + ",)" : "(" + join(t->items) + ")";
  }
  if (auto* l = v.as<ListObj>()) return guard.cycle() ? "[...]" : "[" + join(l->items) + "]";
  if (guard.cycle()) return "{...}";
  std::string out = "{";
  for (std::size_t k = 0; k < dict->items.size(); ++k) out += (k ? ", " : "") + display(dict->items[k].first, true) + ": " + display(dict->items[k].second, true);
  return out + "}";
}

Value deep_copy_value(Interpreter& in, const Value& v) {
  DeepCopyMemo memo;
  return deep_copy(in, v, memo);
}

void install_python_builtins(Interpreter& in) {
  auto& types = in.types;
  types.object = in.new_native_class("builtins.object", {});
  types.type = in.new_native_class("builtins.type", {types.object});
  types.none_type = in.new_native_class("builtins.NoneType", {types.object});
  // The collections.abc classes come first so that isinstance(x, Sequence) and friends answer
  // as in CPython (torchvision's ConvNormActivation branches on it).
  ClassObj* abc_iterable = in.new_native_class("collections.abc.Iterable", {types.object});
  ClassObj* abc_sequence = in.new_native_class("collections.abc.Sequence", {abc_iterable});
  ClassObj* abc_mapping = in.new_native_class("collections.abc.Mapping", {abc_iterable});
  ClassObj* abc_callable = in.new_native_class("collections.abc.Callable", {types.object});
  types.int_ = in.new_native_class("builtins.int", {types.object});
  types.bool_ = in.new_native_class("builtins.bool", {types.int_});
  types.float_ = in.new_native_class("builtins.float", {types.object});
  types.str = in.new_native_class("builtins.str", {abc_sequence});
  types.tuple = in.new_native_class("builtins.tuple", {abc_sequence});
  types.list = in.new_native_class("builtins.list", {abc_sequence});
  types.dict = in.new_native_class("builtins.dict", {abc_mapping});
  types.ordered_dict = in.new_native_class("collections.OrderedDict", {types.dict});
  types.set = in.new_native_class("builtins.set", {abc_iterable});
  types.frozenset = in.new_native_class("builtins.frozenset", {abc_iterable});
  types.function = in.new_native_class("builtins.function", {abc_callable});
  types.builtin_function = in.new_native_class("builtins.builtin_function_or_method", {abc_callable});
  types.bytes = in.new_native_class("builtins.bytes", {abc_sequence});
  types.module = in.new_native_class("builtins.module", {types.object});
  types.dtype = in.new_native_class("torch.dtype", {types.object});
  types.partial = in.new_native_class("functools.partial", {types.object});
  types.slice = in.new_native_class("builtins.slice", {types.object});
  types.iterator = in.new_native_class("builtins.iterator", {types.object});
  types.base_exception = in.new_native_class("BaseException", {types.object});
  types.property = in.new_native_class("builtins.property", {types.object});
  install_property(in, types.property);

  Env& b = in.builtins();
  auto cls_value = [&](ClassObj* c) { return Value::object(ObjPtr(ObjPtr(), c)); };
  b.vars.set("object", cls_value(types.object));
  b.vars.set("type", cls_value(types.type));
  b.vars.set("int", cls_value(types.int_));
  b.vars.set("bool", cls_value(types.bool_));
  b.vars.set("float", cls_value(types.float_));
  b.vars.set("str", cls_value(types.str));
  b.vars.set("bytes", cls_value(types.bytes));
  b.vars.set("tuple", cls_value(types.tuple));
  b.vars.set("list", cls_value(types.list));
  b.vars.set("dict", cls_value(types.dict));
  b.vars.set("set", cls_value(types.set));
  b.vars.set("frozenset", cls_value(types.frozenset));
  b.vars.set("slice", cls_value(types.slice));
  b.vars.set("property", cls_value(types.property));
  b.vars.set("BaseException", cls_value(types.base_exception));
  for (const char* name : {"Exception", "ArithmeticError", "LookupError", "RuntimeError", "ImportError", "OSError", "Warning"}) {
    in.exception_class(name);
  }
  // exception_class() registers unknown names under Exception; give the common ones their real
  // bases. One class per name: the builtin `KeyError` is the class `{}['x']` raises.
  auto derived_exception = [&](const char* name, const char* base) { in.exception_class(name, base); };
  derived_exception("KeyError", "LookupError");
  derived_exception("IndexError", "LookupError");
  derived_exception("ZeroDivisionError", "ArithmeticError");
  derived_exception("OverflowError", "ArithmeticError");
  derived_exception("NotImplementedError", "RuntimeError");
  derived_exception("RecursionError", "RuntimeError");
  derived_exception("ModuleNotFoundError", "ImportError");
  derived_exception("FileNotFoundError", "OSError");
  derived_exception("UserWarning", "Warning");
  derived_exception("DeprecationWarning", "Warning");
  derived_exception("FutureWarning", "Warning");
  for (const char* name : {"TypeError", "ValueError", "AttributeError", "AssertionError", "NameError", "StopIteration",
                           "MemoryError", "KeyboardInterrupt", "SystemExit", "UnboundLocalError"}) {
    in.exception_class(name);
  }
  in.exception_class("GeneratorExit", "BaseException");  // `except Exception` must not stop close()
  install_generator_type(in);

  types.int_->native_new = [](Interpreter& i, CallArgs& a) {
    if (a.positional.empty()) return Value::integer(0);
    const Value& v = a.positional[0];
    if (is_unknown(v)) return v;
    if (v.is_bool()) return Value::integer(v.as_int());
    if (v.is_int()) return v;
    if (v.is_float()) {
      auto whole = BigInt::from_double(v.as_float());
      if (!whole) i.raise(std::isnan(v.as_float()) ? "ValueError" : "OverflowError", std::isnan(v.as_float()) ? "cannot convert float NaN to integer" : "cannot convert float infinity to integer");
      i.charge(whole->bit_length() / 8, "an int");
      return Value::integer(std::move(*whole));
    }
    if (v.is_str()) {
      std::int64_t base = native_arg_or(a, 1, "base", Value::integer(10)).as_int();
      std::string t = strip_chars(v.as_str(), Value::none(), true, true);
      bool negative = !t.empty() && t[0] == '-';
      std::string digits;
      for (std::size_t k = (!t.empty() && (t[0] == '-' || t[0] == '+')) ? 1 : 0; k < t.size(); ++k) {
        if (t[k] != '_' || k + 1 == t.size() || digits.empty()) digits += t[k];
      }
      // A 0x / 0o / 0b prefix is allowed in its own base, and picks the base under base 0.
      char marker = digits.size() > 2 && digits[0] == '0' ? static_cast<char>(std::tolower(static_cast<unsigned char>(digits[1]))) : 0;
      int prefixed = marker == 'x' ? 16 : marker == 'o' ? 8 : marker == 'b' ? 2 : 0;
      if (prefixed && (base == 0 || base == prefixed)) digits = digits.substr(2);
      int radix = base != 0 ? static_cast<int>(base) : prefixed ? prefixed : 10;
      // base 0 reads a literal: no leading zeros on a nonzero decimal
      bool leading_zero = base == 0 && !prefixed && digits.size() > 1 && digits[0] == '0' && digits.find_first_not_of("0_") != std::string::npos;
      i.check_int_bits(digits.size() * 3);
      if (auto n = BigInt::parse(digits, radix, negative); n && !leading_zero) return Value::integer(std::move(*n));
      i.raise("ValueError", fmt::format("invalid literal for int() with base {}: {}", base, repr(v)));
    }
    if (auto* t = v.as<TensorObj>(); t && t->values && t->values->size() == 1) return Value::integer(static_cast<std::int64_t>((*t->values)[0]));
    if (v.as<TensorObj>()) return i.unknown("int() of a tensor value");
    // An object converts itself through __int__, else __index__ (an IntEnum member does).
    for (const char* method : {"__int__", "__index__"}) {
      if (auto* inst = v.as<InstanceObj>(); inst && inst->cls->lookup(method)) return i.call(i.get_attr(v, method), CallArgs{});
    }
    i.raise("TypeError", "int() argument must be a string or a number, not '" + type_name(v) + "'");
  };
  types.float_->native_new = [](Interpreter& i, CallArgs& a) {
    if (a.positional.empty()) return Value::floating(0);
    const Value& v = a.positional[0];
    if (is_unknown(v)) return v;
    if (v.is_big() && std::isinf(v.as_float())) i.raise("OverflowError", "int too large to convert to float");
    if (v.is_number()) return Value::floating(v.as_float());
    if (v.is_str()) {
      std::string t = strip_chars(v.as_str(), Value::none(), true, true);
      if (t == "inf" || t == "+inf") return Value::floating(INFINITY);
      if (t == "-inf") return Value::floating(-INFINITY);
      if (t == "nan") return Value::floating(NAN);
      try { return Value::floating(std::stod(t)); } catch (...) {}
      i.raise("ValueError", "could not convert string to float: " + repr(v));
    }
    if (auto* t = v.as<TensorObj>(); t && t->values && t->values->size() == 1) return Value::floating((*t->values)[0]);
    if (v.as<TensorObj>()) return i.unknown("float() of a tensor value");
    i.raise("TypeError", "float() argument must be a string or a number");
  };
  types.bool_->native_new = [](Interpreter& i, CallArgs& a) {
    if (a.positional.empty()) return Value::boolean(false);
    if (is_unknown(a.positional[0])) return a.positional[0];
    return Value::boolean(i.truthy(a.positional[0]));
  };
  types.str->native_new = [](Interpreter& i, CallArgs& a) {
    if (a.positional.empty()) return Value::string("");
    if (is_unknown(a.positional[0])) return a.positional[0];
    return Value::string(i.display(a.positional[0], false));
  };
  types.tuple->native_new = [](Interpreter& i, CallArgs& a) {
    if (a.positional.empty()) return make_tuple({});
    if (is_unknown(a.positional[0])) return a.positional[0];
    return make_tuple(i.iterate(a.positional[0]));
  };
  types.list->native_new = [](Interpreter& i, CallArgs& a) {
    if (a.positional.empty()) return make_list({});
    if (is_unknown(a.positional[0])) return a.positional[0];
    return make_list(i.iterate(a.positional[0]));
  };
  auto new_dict = [](bool ordered) {
    return [ordered](Interpreter& i, CallArgs& a) {
      auto d = std::make_shared<DictObj>();
      d->ordered_dict = ordered;
      if (!a.positional.empty() && is_unknown(a.positional[0])) return a.positional[0];
      dict_update(i, *d, a, 0);
      return Value::object(d);
    };
  };
  types.dict->native_new = new_dict(false);
  types.ordered_dict->native_new = new_dict(true);
  auto new_set = [](bool frozen) {
    return [frozen](Interpreter& i, CallArgs& a) {
      auto s = std::make_shared<SetObj>();
      s->frozen = frozen;
      if (!a.positional.empty()) {
        if (is_unknown(a.positional[0])) return a.positional[0];
        for (auto& v : i.iterate(a.positional[0])) i.set_add(*s, v);
      }
      return Value::object(s);
    };
  };
  types.set->native_new = new_set(false);
  types.frozenset->native_new = new_set(true);
  // object's own methods, reached through super() and explicit object.__xxx__(self, ...) calls.
  in.add_method(types.object, "__init__", [](Interpreter&, CallArgs&) { return Value::none(); });
  in.add_method(types.object, "__getattribute__", [](Interpreter& i, CallArgs& a) {
    return i.generic_get_attr(native_required(i, a, 0, "self"), native_required(i, a, 1, "name").as_str());
  });
  in.add_method(types.object, "__setattr__", [](Interpreter& i, CallArgs& a) {
    // Bypasses a class's own __setattr__ (and nn.Module's registration), as in CPython.
    i.generic_set_attr(native_required(i, a, 0, "self"), native_required(i, a, 1, "name").as_str(), native_required(i, a, 2, "value"));
    return Value::none();
  });
  // object.__new__(cls) and type.__new__(mcs, name, bases, namespace) are static methods: a
  // __new__ of the project's own calls them through super() with the class first.
  auto static_method = [&](const std::string& name, NativeFn fn) { return Value::object(std::make_shared<StaticMethodObj>(in.builtin(name, std::move(fn)))); };
  types.object->attrs.set("__new__", static_method("object.__new__", [](Interpreter& i, CallArgs& a) {
    const Value& cls = native_required(i, a, 0, "cls");
    auto* c = cls.as<ClassObj>();
    if (!c) i.raise("TypeError", "object.__new__(X): X is not a type object");
    CallArgs bare;
    return c->native_new ? c->native_new(i, bare) : i.allocate(c, cls.obj());
  }));
  types.object->attrs.set("__init_subclass__", Value::object(std::make_shared<ClassMethodObj>(in.builtin("object.__init_subclass__", [](Interpreter& i, CallArgs& a) {
    auto* cls = native_required(i, a, 0, "cls").as<ClassObj>();
    // A base outside the project may take the keywords.
    if (!a.keywords.empty() && cls && !cls->has_unknown_base) i.raise("TypeError", cls->name + ".__init_subclass__() takes no keyword arguments");
    return Value::none();
  }))));
  types.type->attrs.set("__new__", static_method("type.__new__", [](Interpreter& i, CallArgs& a) {
    return new_class_from(i, native_required(i, a, 0, "mcs"), a, 1);
  }));
  in.add_method(types.type, "__init__", [](Interpreter&, CallArgs&) { return Value::none(); });
  in.add_method(types.type, "__call__", [](Interpreter& i, CallArgs& a) {
    const Value& cls = native_required(i, a, 0, "cls");
    auto* c = cls.as<ClassObj>();
    if (!c) i.raise("TypeError", "type.__call__(X): X is not a type object");
    CallArgs rest{std::vector<Value>(a.positional.begin() + 1, a.positional.end()), a.keywords};
    return i.instantiate(c, cls.obj(), rest);
  });
  types.object->native_new = [](Interpreter& i, CallArgs&) {
    auto inst = std::make_shared<InstanceObj>(i.types.object);
    return Value::object(inst);
  };
  types.slice->native_new = [](Interpreter&, CallArgs& a) {
    auto s = std::make_shared<SliceObj>();
    if (a.positional.size() == 1) s->stop = a.positional[0];
    else {
      if (a.positional.size() > 0) s->start = a.positional[0];
      if (a.positional.size() > 1) s->stop = a.positional[1];
      if (a.positional.size() > 2) s->step = a.positional[2];
    }
    return Value::object(s);
  };
  types.type->native_new = [](Interpreter& i, CallArgs& a) {
    if (a.positional.size() == 3) return new_class_from(i, Value::none(), a, 0);
    const Value& v = native_required(i, a, 0, nullptr);
    if (auto* c = v.as<ClassObj>(); c && !c->metaclass.is_none()) return c->metaclass;  // owning, unlike below
    ClassObj* c = i.class_of(v);
    if (!c) return i.unknown("type() of an unresolved value");
    return Value::object(ObjPtr(ObjPtr(), c));
  };
  // Module classes, exceptions and other natives are instantiated the normal way; object()
  // is only a sentinel factory.
  install_str_methods(in, types.str);
  install_list_methods(in, types.list);
  install_dict_methods(in, types.dict);
  install_set_methods(in, types.set, true);
  install_set_methods(in, types.frozenset, false);
  in.add_method(types.tuple, "index", [](Interpreter& i, CallArgs& a) {
    auto* t = native_required(i, a, 0, nullptr).as<TupleObj>();
    const Value& x = native_required(i, a, 1, nullptr);
    for (std::size_t k = 0; k < t->items.size(); ++k) if (values_equal(t->items[k], x)) return Value::integer(static_cast<std::int64_t>(k));
    i.raise("ValueError", "tuple.index(x): x not in tuple");
  });
  in.add_method(types.tuple, "count", [](Interpreter& i, CallArgs& a) {
    auto* t = native_required(i, a, 0, nullptr).as<TupleObj>();
    const Value& x = native_required(i, a, 1, nullptr);
    return Value::integer(std::count_if(t->items.begin(), t->items.end(), [&](const Value& v) { return values_equal(v, x); }));
  });
  install_number_methods(in, types.int_, types.float_);
  install_bytes(in, types.bytes);
  // BaseException.__init__ keeps its arguments as args: `super().__init__(message)` in a
  // project's exception replaces the constructor's arguments.
  in.add_method(types.base_exception, "__init__", [](Interpreter& i, CallArgs& a) {
    if (auto* inst = native_required(i, a, 0, "self").as<InstanceObj>()) inst->exception_args.assign(a.positional.begin() + 1, a.positional.end());
    return Value::none();
  });

  auto def = [&](const std::string& name, Fn fn) { b.vars.set(name, in.builtin(name, std::move(fn))); };
  def("print", [](Interpreter& i, CallArgs& a) {
    if (!i.print_sink) return Value::none();
    const Value* sep = a.keyword("sep");
    const Value* end = a.keyword("end");
    std::string line;
    for (std::size_t k = 0; k < a.positional.size(); ++k) {
      if (k) line += sep && sep->is_str() ? sep->as_str() : " ";
      line += i.display(a.positional[k], false);
    }
    *i.print_sink += line + (end && end->is_str() ? end->as_str() : "\n");
    return Value::none();
  });
  // The namespace of the innermost frame, as a new dict: a function's parameters first, in
  // their order, as CPython lists them.
  Fn locals = [](Interpreter& i, CallArgs&) {
    auto d = std::make_shared<DictObj>();
    if (!i.frames.empty()) {
      Frame& f = *i.frames.back();
      if (f.function) {
        for (auto& p : f.function->params) {
          if (const Value* v = f.env->vars.find(p.name)) d->set(Value::string(p.name), i.resolve_lazy(*v));
        }
      }
      for (auto& [k, v] : f.env->vars.items()) {
        if (!d->find(Value::string(k))) d->set(Value::string(k), i.resolve_lazy(v));
      }
    }
    return Value::object(d);
  };
  def("locals", locals);
  def("len", [](Interpreter& i, CallArgs& a) { return i.length(native_required(i, a, 0, nullptr)); });
  def("range", make_range);
  def("enumerate", [](Interpreter& i, CallArgs& a) {
    const Value& src = native_required(i, a, 0, "iterable");
    if (is_unknown(src)) return src;
    return lazy_iterator(i, {native_arg_or(a, 1, "start", Value::integer(0))}, {src}, enumerate_next);
  });
  def("zip", [](Interpreter& i, CallArgs& a) {
    if (Value u = any_unknown(a); is_unknown(u)) return u;
    const Value* strict = a.keyword("strict");
    if (!strict || !i.truthy(*strict)) return lazy_iterator(i, {}, a.positional, zip_next);
    // strict=True compares the lengths, which needs them all: its arguments are materialised
    std::vector<std::vector<Value>> seqs;
    for (auto& v : a.positional) seqs.push_back(i.iterate(v));
    std::vector<Value> out;
    std::size_t n = seqs.empty() ? 0 : SIZE_MAX;
    for (auto& s : seqs) n = std::min(n, s.size());
    check_zip_strict(i, seqs, n);
    for (std::size_t k = 0; k < n; ++k) {
      std::vector<Value> row;
      for (auto& s : seqs) row.push_back(s[k]);
      out.push_back(make_tuple(std::move(row)));
    }
    return i.iter(make_list(std::move(out)));
  });
  def("min", [](Interpreter& i, CallArgs& a) { return min_max(i, a, false); });
  def("max", [](Interpreter& i, CallArgs& a) { return min_max(i, a, true); });
  def("sum", [](Interpreter& i, CallArgs& a) {
    const Value& src = native_required(i, a, 0, nullptr);
    if (is_unknown(src)) return src;
    Value total = native_arg_or(a, 1, "start", Value::integer(0));
    for (auto& v : i.iterate(src)) total = i.binary("+", total, v);
    return total;
  });
  for (auto [name, prefix, radix] : {std::tuple{"hex", "0x", 16}, {"oct", "0o", 8}, {"bin", "0b", 2}}) {
    std::string p = prefix;
    int base = radix;
    def(name, [p, base](Interpreter& i, CallArgs& a) {
      const Value& v = native_required(i, a, 0, nullptr);
      if (is_unknown(v)) return v;
      if (!v.is_int() && !v.is_bool()) i.raise("TypeError", fmt::format("'{}' object cannot be interpreted as an integer", type_name(v)));
      std::string digits = v.as_big().to_string(base);
      return Value::string(digits[0] == '-' ? "-" + p + digits.substr(1) : p + digits);
    });
  }
  def("abs", [](Interpreter& i, CallArgs& a) {
    const Value& v = native_required(i, a, 0, nullptr);
    if (v.is_float()) return Value::floating(std::fabs(v.as_float()));
    if (v.is_int()) return Value::integer(v.as_big().negative() ? -v.as_big() : v.as_big());
    return v;
  });
  def("round", [](Interpreter& i, CallArgs& a) {
    const Value& v = native_required(i, a, 0, nullptr);
    if (is_unknown(v)) return v;
    const Value* nd = native_arg(a, 1, "ndigits");
    if (v.is_int()) {  // an int stays an int: round(1234, -2) == 1200, halves to even
      if (!nd || nd->is_none() || nd->as_int() >= 0) return Value::integer(v.as_big());
      if (-nd->as_int() > 4300) return Value::integer(0);  // beyond any int the budget allows
      BigInt unit(1), ten(10), quotient, remainder;
      for (std::int64_t k = 0; k < -nd->as_int(); ++k) unit = unit * ten;
      BigInt::divmod(v.as_big(), unit, &quotient, &remainder);
      // floor division leaves 0 <= remainder < unit: round up past the half, and at it to even
      const int half = (remainder + remainder).compare(unit);
      const bool odd = !(quotient & BigInt(1)).is_zero();
      if (half > 0 || (half == 0 && odd)) quotient = quotient + BigInt(1);
      return Value::integer(quotient * unit);
    }
    if (!nd || nd->is_none()) {
      double r = std::nearbyint(v.as_float());  // banker's rounding, as Python
      if (std::isnan(r)) i.raise("ValueError", "cannot convert float NaN to integer");
      if (std::isinf(r)) i.raise("OverflowError", "cannot convert float infinity to integer");
      return Value::integer(*BigInt::from_double(r));
    }
    return Value::floating(round_float(v.as_float(), nd->as_int()));
  });
  def("divmod", [](Interpreter& i, CallArgs& a) {
    return make_tuple({i.binary("//", a.positional.at(0), a.positional.at(1)), i.binary("%", a.positional.at(0), a.positional.at(1))});
  });
  def("pow", [](Interpreter& i, CallArgs& a) {
    const Value& base = native_required(i, a, 0, "base");
    const Value& exp = native_required(i, a, 1, "exp");
    const Value* mod = native_arg(a, 2, "mod");
    if (!mod || mod->is_none()) return i.binary("**", base, exp);
    for (const Value* v : {&base, &exp, mod}) {
      if (is_unknown(*v)) return *v;
      if (!v->is_int()) i.raise("TypeError", "pow() 3rd argument not allowed unless all arguments are integers");
    }
    return modular_power(i, base.as_big(), exp.as_big(), mod->as_big());
  });
  def("repr", [](Interpreter& i, CallArgs& a) { return Value::string(i.display(native_required(i, a, 0, nullptr), true)); });
  def("ascii", [](Interpreter& i, CallArgs& a) { return Value::string(ascii_escaped(i.display(native_required(i, a, 0, nullptr), true))); });
  def("format", [](Interpreter& i, CallArgs& a) {
    return Value::string(format_value(i, native_required(i, a, 0, nullptr), native_arg_or(a, 1, nullptr, Value::string("")).as_str()));
  });
  def("chr", [](Interpreter& i, CallArgs& a) {
    std::int64_t cp = native_required(i, a, 0, nullptr).as_int();
    if (cp < 0 || cp > 0x10FFFF) i.raise("ValueError", "chr() arg not in range(0x110000)");
    return Value::string(utf8_encode(static_cast<char32_t>(cp)));
  });
  def("ord", [](Interpreter& i, CallArgs& a) {
    const Value& c = native_required(i, a, 0, nullptr);
    if (!c.is_str()) i.raise("TypeError", fmt::format("ord() expected string of length 1, but {} found", type_name(c)));
    std::u32string chars = utf8_decode(c.as_str());
    if (chars.size() != 1) i.raise("TypeError", fmt::format("ord() expected a character, but string of length {} found", chars.size()));
    return Value::integer(static_cast<std::int64_t>(chars[0]));
  });
  def("isinstance", [](Interpreter& i, CallArgs& a) {
    const Value& v = native_required(i, a, 0, nullptr);
    const Value& c = native_required(i, a, 1, nullptr);
    if (is_unknown(v) || is_unknown(c)) return is_unknown(v) ? v : c;
    if (auto* t = c.as<TupleObj>()) {
      for (auto& x : t->items) if (is_unknown(x)) return x;
    }
    return Value::boolean(i.isinstance(v, c));
  });
  def("issubclass", [](Interpreter& i, CallArgs& a) {
    const Value& v = native_required(i, a, 0, nullptr);
    const Value& c = native_required(i, a, 1, nullptr);
    auto* vc = v.as<ClassObj>();
    if (!vc) return is_unknown(v) ? v : Value::boolean(false);
    std::vector<Value> targets = c.as<TupleObj>() ? c.as<TupleObj>()->items : std::vector<Value>{c};
    for (auto& t : targets) {
      if (is_unknown(t)) return t;
      if (i.issubclass(vc, t)) return Value::boolean(true);
    }
    return Value::boolean(false);
  });
  def("hasattr", [](Interpreter& i, CallArgs& a) {
    const Value& obj = native_required(i, a, 0, nullptr);
    if (is_unknown(obj)) return obj;
    const Value& name = native_required(i, a, 1, nullptr);
    if (is_unknown(name)) return name;
    return i.has_attr(obj, name.as_str());
  });
  def("getattr", [](Interpreter& i, CallArgs& a) {
    const Value& obj = native_required(i, a, 0, nullptr);
    const Value& name = native_required(i, a, 1, nullptr);
    if (is_unknown(name)) return name;
    if (const Value* dflt = native_arg(a, 2, nullptr)) {
      try {
        return i.get_attr(obj, name.as_str());
      } catch (PyError& e) {
        if (e.type != "AttributeError") throw;
        return *dflt;
      }
    }
    return i.get_attr(obj, name.as_str());
  });
  def("setattr", [](Interpreter& i, CallArgs& a) {
    const Value& name = native_required(i, a, 1, nullptr);
    if (is_unknown(name)) {
      i.note_unknown(name, "setattr with an unresolved name");
      return Value::none();
    }
    i.set_attr(native_required(i, a, 0, nullptr), name.as_str(), native_required(i, a, 2, nullptr));
    return Value::none();
  });
  def("delattr", [](Interpreter& i, CallArgs& a) {
    i.del_attr(native_required(i, a, 0, nullptr), native_required(i, a, 1, nullptr).as_str());
    return Value::none();
  });
  def("callable", [](Interpreter& i, CallArgs& a) {
    const Value& v = native_required(i, a, 0, nullptr);
    if (!v.is_obj()) return Value::boolean(false);
    switch (v.obj()->kind) {
      case ObjKind::function: case ObjKind::builtin: case ObjKind::bound_method: case ObjKind::class_: case ObjKind::partial:
        return Value::boolean(true);
      case ObjKind::instance: return Value::boolean(v.as<InstanceObj>()->cls->lookup("__call__") != nullptr);
      case ObjKind::unknown: return v;
      default: return Value::boolean(false);
    }
  });
  def("id", [](Interpreter&, CallArgs& a) {
    const Value& v = a.positional.at(0);
    return Value::integer(v.is_obj() ? static_cast<std::int64_t>(reinterpret_cast<std::uintptr_t>(v.obj().get())) : 0);
  });
  def("hash", [](Interpreter& i, CallArgs& a) { return i.hash(native_required(i, a, 0, nullptr)); });
  def("sorted", [](Interpreter& i, CallArgs& a) {
    const Value& src = native_required(i, a, 0, nullptr);
    if (is_unknown(src)) return src;
    return sorted_of(i, i.iterate(src), a.keyword("key"), a.keyword("reverse") && i.truthy(*a.keyword("reverse")));
  });
  def("reversed", [](Interpreter& i, CallArgs& a) {
    auto items = i.iterate(native_required(i, a, 0, nullptr));
    std::reverse(items.begin(), items.end());
    return make_list(std::move(items));
  });
  def("iter", [](Interpreter& i, CallArgs& a) {
    const Value& src = native_required(i, a, 0, nullptr);
    if (const Value* sentinel = native_arg(a, 1, nullptr)) return lazy_iterator(i, {src, *sentinel}, {}, call_until_next);
    return i.iter(src);
  });
  def("next", [](Interpreter& i, CallArgs& a) {
    const Value& src = native_required(i, a, 0, nullptr);
    const Value* fallback = native_arg(a, 1, nullptr);
    auto* inst = src.as<InstanceObj>();
    if (!src.as<GeneratorObj>() && !src.as<IteratorObj>() && !(inst && inst->cls->lookup("__next__"))) {
      // CPython raises TypeError for a non-iterator; here `next(model.parameters())`, a common
      // idiom, gets a list from parameters(): its first item stands for the iterator's.
      auto items = i.iterate(src);
      if (!items.empty()) return items[0];
      if (fallback) return *fallback;
      i.raise("StopIteration", "");
    }
    if (inst && !fallback) return i.call(i.get_attr(src, "__next__"), CallArgs{});  // its StopIteration, value and all
    if (std::optional<Value> v = i.next_item(src)) return *v;
    if (fallback) return *fallback;
    auto* g = src.as<GeneratorObj>();
    i.raise_stop_iteration(g ? std::exchange(g->frame.return_value, Value()) : Value());
  });
  def("map", [](Interpreter& i, CallArgs& a) {
    const Value& fn = native_required(i, a, 0, nullptr);
    return lazy_iterator(i, {fn}, std::vector<Value>(a.positional.begin() + 1, a.positional.end()), map_next);
  });
  def("filter", [](Interpreter& i, CallArgs& a) {
    return lazy_iterator(i, {native_required(i, a, 0, nullptr)}, {native_required(i, a, 1, nullptr)}, filter_next);
  });
  // any() and all() stop at the first item that decides, as CPython's do.
  def("any", [](Interpreter& i, CallArgs& a) {
    Value out = Value::boolean(false);
    i.for_each_item(native_required(i, a, 0, nullptr), [&](const Value& v) {
      if (is_unknown(v)) out = v;
      else if (i.truthy(v)) out = Value::boolean(true);
      else return true;
      return false;
    });
    return out;
  });
  def("all", [](Interpreter& i, CallArgs& a) {
    Value out = Value::boolean(true);
    i.for_each_item(native_required(i, a, 0, nullptr), [&](const Value& v) {
      if (is_unknown(v)) out = v;
      else if (!i.truthy(v)) out = Value::boolean(false);
      else return true;
      return false;
    });
    return out;
  });
  def("vars", [locals](Interpreter& i, CallArgs& a) {  // vars() is locals()
    return a.positional.empty() ? locals(i, a) : i.get_attr(a.positional[0], "__dict__");
  });
  def("super", [](Interpreter& i, CallArgs& a) {
    if (a.positional.size() >= 2) {
      auto* c = a.positional[0].as<ClassObj>();
      if (!c) return i.unknown("super() with an unresolved class");
      return Value::object(std::make_shared<SuperObj>(c, a.positional[1]));
    }
    for (auto it = i.frames.rbegin(); it != i.frames.rend(); ++it) {
      if ((*it)->function) {
        FunctionObj* fn = (*it)->function;
        if (!fn->defining_class) break;
        return Value::object(std::make_shared<SuperObj>(fn->defining_class, (*it)->first_arg));
      }
    }
    i.raise("RuntimeError", "super(): no arguments");
  });
  def("staticmethod", [](Interpreter& i, CallArgs& a) { return Value::object(std::make_shared<StaticMethodObj>(native_required(i, a, 0, nullptr))); });
  def("classmethod", [](Interpreter& i, CallArgs& a) { return Value::object(std::make_shared<ClassMethodObj>(native_required(i, a, 0, nullptr))); });
  b.vars.set("NotImplemented", Value::string("NotImplemented"));
  {
    ClassObj* ellipsis = in.new_native_class("builtins.ellipsis", {types.object});
    b.vars.set("Ellipsis", Value::object(std::make_shared<InstanceObj>(ellipsis)));
  }
  b.vars.set("__debug__", Value::boolean(true));

  // ---- standard library ----------------------------------------------------------------
  ModuleNs* math = in.new_native_module("math");
  in.set_global(math, "pi", Value::floating(M_PI));
  in.set_global(math, "e", Value::floating(M_E));
  in.set_global(math, "inf", Value::floating(INFINITY));
  in.set_global(math, "nan", Value::floating(NAN));
  auto math_fn = [&](const char* name, double (*f)(double), bool to_int) {
    in.set_global(math, name, in.builtin(std::string("math.") + name, [f, to_int](Interpreter& i, CallArgs& a) {
      const Value& v = native_required(i, a, 0, nullptr);
      if (is_unknown(v)) return v;
      if (!v.is_number()) i.raise("TypeError", "must be real number, not " + type_name(v));
      double r = f(v.as_float());
      if (std::isnan(r) && !std::isnan(v.as_float())) i.raise("ValueError", "math domain error");
      return to_int ? Value::integer(static_cast<std::int64_t>(r)) : Value::floating(r);
    }));
  };
  math_fn("ceil", [](double x) { return std::ceil(x); }, true);
  math_fn("floor", [](double x) { return std::floor(x); }, true);
  math_fn("trunc", [](double x) { return std::trunc(x); }, true);
  math_fn("sqrt", [](double x) { return std::sqrt(x); }, false);
  math_fn("tan", [](double x) { return std::tan(x); }, false);
  math_fn("atan", [](double x) { return std::atan(x); }, false);
  math_fn("tanh", [](double x) { return std::tanh(x); }, false);
  math_fn("degrees", [](double x) { return x * 180.0 / M_PI; }, false);
  math_fn("radians", [](double x) { return x * M_PI / 180.0; }, false);
  math_fn("exp", [](double x) { return std::exp(x); }, false);
  math_fn("log2", [](double x) { return std::log2(x); }, false);
  math_fn("log10", [](double x) { return std::log10(x); }, false);
  math_fn("fabs", [](double x) { return std::fabs(x); }, false);
  math_fn("cos", [](double x) { return std::cos(x); }, false);
  math_fn("sin", [](double x) { return std::sin(x); }, false);
  in.set_global(math, "log", in.builtin("math.log", [](Interpreter& i, CallArgs& a) {
    double x = native_required(i, a, 0, nullptr).as_float();
    const Value* base = native_arg(a, 1, nullptr);
    return Value::floating(base ? std::log(x) / std::log(base->as_float()) : std::log(x));
  }));
  in.set_global(math, "atan2", in.builtin("math.atan2", [](Interpreter& i, CallArgs& a) {
    return Value::floating(std::atan2(native_required(i, a, 0, nullptr).as_float(), native_required(i, a, 1, nullptr).as_float()));
  }));
  in.set_global(math, "fsum", in.builtin("math.fsum", [](Interpreter& i, CallArgs& a) {
    // Exact summation (Neumaier) so that fsum([0.1] * 10) is 1.0 as in CPython.
    double sum = 0, comp = 0;
    for (auto& v : i.iterate(native_required(i, a, 0, nullptr))) {
      double x = v.as_float(), t = sum + x;
      comp += std::fabs(sum) >= std::fabs(x) ? (sum - t) + x : (x - t) + sum;
      sum = t;
    }
    return Value::floating(sum + comp);
  }));
  // factorial and comb stay within int64 here; larger results are left unresolved.
  in.set_global(math, "factorial", in.builtin("math.factorial", [](Interpreter& i, CallArgs& a) {
    std::int64_t n = native_required(i, a, 0, nullptr).as_int();
    if (n < 0) i.raise("ValueError", "factorial() not defined for negative values");
    if (n > 20) return i.unknown("math.factorial beyond 64-bit integers");
    std::int64_t r = 1;
    for (std::int64_t k = 2; k <= n; ++k) r *= k;
    return Value::integer(r);
  }));
  in.set_global(math, "comb", in.builtin("math.comb", [](Interpreter& i, CallArgs& a) {
    std::int64_t n = native_required(i, a, 0, nullptr).as_int(), k = native_required(i, a, 1, nullptr).as_int();
    if (n < 0 || k < 0) i.raise("ValueError", "n and k must be non-negative integers");
    if (k > n) return Value::integer(0);
    k = std::min(k, n - k);
    if (n > 50) return i.unknown("math.comb beyond 64-bit integers");
    std::int64_t r = 1;
    for (std::int64_t j = 1; j <= k; ++j) r = r * (n - k + j) / j;
    return Value::integer(r);
  }));
  in.set_global(math, "pow", in.builtin("math.pow", [](Interpreter& i, CallArgs& a) {
    return Value::floating(std::pow(native_required(i, a, 0, nullptr).as_float(), native_required(i, a, 1, nullptr).as_float()));
  }));
  in.set_global(math, "gcd", in.builtin("math.gcd", [](Interpreter& i, CallArgs& a) {
    return Value::integer(std::gcd(native_required(i, a, 0, nullptr).as_int(), native_required(i, a, 1, nullptr).as_int()));
  }));
  in.set_global(math, "prod", in.builtin("math.prod", [](Interpreter& i, CallArgs& a) {
    Value total = Value::integer(1);
    for (auto& v : i.iterate(native_required(i, a, 0, nullptr))) total = i.binary("*", total, v);
    return total;
  }));
  in.set_global(math, "isclose", in.builtin("math.isclose", [](Interpreter& i, CallArgs& a) {
    double x = native_required(i, a, 0, nullptr).as_float(), y = native_required(i, a, 1, nullptr).as_float();
    return Value::boolean(std::fabs(x - y) <= std::max(1e-9 * std::max(std::fabs(x), std::fabs(y)), 0.0));
  }));
  in.set_global(math, "isinf", in.builtin("math.isinf", [](Interpreter& i, CallArgs& a) { return Value::boolean(std::isinf(native_required(i, a, 0, nullptr).as_float())); }));
  in.set_global(math, "isnan", in.builtin("math.isnan", [](Interpreter& i, CallArgs& a) { return Value::boolean(std::isnan(native_required(i, a, 0, nullptr).as_float())); }));

  ModuleNs* copy = in.new_native_module("copy");
  Value deepcopy = in.builtin("copy.deepcopy", [](Interpreter& i, CallArgs& a) {
    DeepCopyMemo memo;
    return deep_copy(i, native_required(i, a, 0, nullptr), memo);
  });
  in.set_global(copy, "deepcopy", deepcopy);
  in.set_global(copy, "copy", in.builtin("copy.copy", [](Interpreter& i, CallArgs& a) {
    const Value& v = native_required(i, a, 0, nullptr);
    if (auto* l = v.as<ListObj>()) return make_list(l->items);
    if (auto* d = v.as<DictObj>()) return Value::object(std::make_shared<DictObj>(*d));
    DeepCopyMemo memo;
    return deep_copy(i, v, memo);
  }));
  b.vars.set("__ckptguard_deepcopy__", deepcopy);

  ModuleNs* warnings = in.new_native_module("warnings");
  Value noop = in.builtin("noop", [](Interpreter&, CallArgs&) { return Value::none(); });
  in.set_global(warnings, "warn", noop);
  in.set_global(warnings, "simplefilter", noop);
  in.set_global(warnings, "filterwarnings", noop);

  Value identity = in.builtin("identity_decorator", [](Interpreter& i, CallArgs& a) { return native_required(i, a, 0, nullptr); });
  ModuleNs* typing = in.new_native_module("typing");
  typing->opaque = false;
  ModuleNs* collections_abc = in.new_native_module("collections.abc");
  for (auto [name, cls] : {std::pair{"Iterable", abc_iterable}, {"Sequence", abc_sequence}, {"Mapping", abc_mapping},
                           {"Callable", abc_callable}}) {
    in.set_global(collections_abc, name, cls_value(cls));
    in.set_global(typing, name, cls_value(cls));
  }
  // typing.OrderedDict() is a real OrderedDict in CPython; the other aliases map to their types.
  for (auto [name, cls] : {std::pair{"OrderedDict", types.ordered_dict}, {"Dict", types.dict}, {"List", types.list},
                           {"Tuple", types.tuple}, {"Set", types.set}, {"FrozenSet", types.frozenset}}) {
    in.set_global(typing, name, cls_value(cls));
  }
  for (const char* name : {"Any", "Optional", "Union", "Type",
                           "Iterator", "Literal", "TypeVar", "Generic", "ClassVar", "Final", "Protocol",
                           "DefaultDict", "Awaitable", "Generator", "NoReturn", "Text", "Hashable"}) {
    in.set_global(typing, name, cls_value(types.object));
  }
  in.set_global(typing, "TYPE_CHECKING", Value::boolean(false));
  in.set_global(typing, "cast", in.builtin("typing.cast", [](Interpreter& i, CallArgs& a) { return native_required(i, a, 1, nullptr); }));
  in.set_global(typing, "overload", identity);
  in.set_global(typing, "final", identity);
  in.set_global(typing, "no_type_check", identity);
  // A class deriving from typing.NamedTuple is a named tuple of its annotated fields (the class
  // builder lists them); those assigned in the body are its defaults.
  ClassObj* named_tuple = in.new_native_class("typing.NamedTuple", {types.tuple});
  named_tuple->attrs.set("__init_subclass__", Value::object(std::make_shared<ClassMethodObj>(in.builtin("NamedTuple.__init_subclass__", [named_tuple](Interpreter& i, CallArgs& a) {
    auto* cls = native_required(i, a, 0, "cls").as<ClassObj>();
    bool direct = std::any_of(cls->bases.begin(), cls->bases.end(), [&](const Value& b) { return b.as<ClassObj>() == named_tuple; });
    if (!direct) return Value::none();
    auto defaults = std::make_shared<DictObj>();
    std::string first_default;
    for (const std::string& field : cls->namedtuple_fields) {
      if (const Value* d = cls->attrs.find(field)) {
        defaults->set(Value::string(field), *d);
        if (first_default.empty()) first_default = field;
      } else if (!first_default.empty()) {
        i.raise("TypeError", fmt::format("Non-default namedtuple field {} cannot follow default field {}", field, first_default));
      }
    }
    modules::make_namedtuple(i, cls, cls->namedtuple_fields, std::move(defaults));
    return Value::none();
  }))));
  in.set_global(typing, "NamedTuple", cls_value(named_tuple));
  in.set_global(in.new_native_module("typing_extensions"), "Literal", cls_value(types.object));

  in.new_native_module("types")->globals->vars.set("FunctionType", cls_value(types.function));
}

}  // namespace ckg::interp
