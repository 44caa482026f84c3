// The `functools` module: partial (a real type: isinstance, .func/.args/.keywords), reduce,
// update_wrapper/wraps, lru_cache and cache (real memoizing wrappers: what a cached factory
// returns is shared, as in CPython), total_ordering, and cached_property as a property that
// instance attributes shadow.
#include <algorithm>
#include <optional>

#include "interp/modules/modules.h"

namespace ckg::interp::modules {
namespace {

bool is_not_implemented(const Value& v) { return v.is_str() && v.as_str() == "NotImplemented"; }

// update_wrapper: the wrapped function's identity moves to the wrapper, which keeps a
// __wrapped__ reference to it; attributes the wrapped object lacks are skipped, as in CPython.
Value update_wrapper(Interpreter& in, const Value& wrapper, const Value& wrapped) {
  for (const char* name : {"__module__", "__name__", "__qualname__", "__doc__"}) {
    Value v;
    try {
      v = in.get_attr(wrapped, name);
    } catch (PyError& e) {
      if (e.type != "AttributeError") throw;
      continue;
    }
    in.set_attr(wrapper, name, v);
  }
  if (auto* fn = wrapped.as<FunctionObj>()) {
    for (auto& [name, v] : fn->attrs.items()) in.set_attr(wrapper, name, v);
  }
  in.set_attr(wrapper, "__wrapped__", wrapped);
  return wrapper;
}

// lru_cache's wrapper type, functools._lru_cache_wrapper: calling it looks the arguments up
// before calling the function; cache_info() counts hits and misses, cache_clear() forgets.
struct LruCache {
  ClassObj* wrapper = nullptr;
  Value cache_info;  // the CacheInfo named tuple type
};

// A wrapper's cache lives in its attributes, where the cycle collector sees the results: the
// results by call key (most recently used last), the hit and miss counts, and maxsize (None:
// unbounded).
struct LruState {
  InstanceObj& wrapper;
  DictObj& results() { return *wrapper.attrs.find("__ckg_lru_results__")->as<DictObj>(); }
  std::int64_t count(const char* which) { return wrapper.attrs.find(which)->as_int(); }
  void bump(const char* which) { wrapper.attrs.set(which, Value::integer(count(which) + 1)); }
  Value maxsize() { return *wrapper.attrs.find("__ckg_lru_maxsize__"); }
  void clear() {
    wrapper.attrs.set("__ckg_lru_results__", Value::object(std::make_shared<DictObj>()));
    wrapper.attrs.set("__ckg_lru_hits__", Value::integer(0));
    wrapper.attrs.set("__ckg_lru_misses__", Value::integer(0));
  }
};

LruState state_of(Interpreter& in, const LruCache& lru, const Value& self) {
  auto* inst = self.as<InstanceObj>();
  if (!inst || inst->cls != lru.wrapper) in.raise("TypeError", "descriptor requires a 'functools._lru_cache_wrapper' object");
  return LruState{*inst};
}

// Raises TypeError for an argument CPython could not hash. Checked by kind rather than through
// hash(), which would print every argument (a whole model, by its __repr__) to hash it.
void require_hashable(Interpreter& in, const Value& v) {
  if (v.as<ListObj>() || v.as<DictObj>() || (v.as<SetObj>() && !v.as<SetObj>()->frozen)) {
    in.raise("TypeError", "unhashable type: '" + type_name(v) + "'");
  }
  if (auto* t = v.as<TupleObj>()) {
    for (auto& item : t->items) require_hashable(in, item);
  }
  if (v.as<InstanceObj>()) in.hash(v);
}

// The arguments as one key; None when an argument is Unknown, whose calls are never cached (two
// Unknowns are not known to be equal).
std::optional<Value> call_key(Interpreter& in, const CallArgs& a) {
  std::vector<Value> parts(a.positional.begin() + 1, a.positional.end());
  for (auto& [k, v] : a.keywords) {
    parts.push_back(Value::string(k));
    parts.push_back(v);
  }
  for (auto& v : parts) {
    if (is_unknown(v)) return std::nullopt;
    require_hashable(in, v);
  }
  // The positional count keeps f(1, 'x', 2) apart from f(1, x=2).
  parts.push_back(Value::integer(static_cast<std::int64_t>(a.positional.size())));
  return make_tuple(std::move(parts));
}

void install_lru_cache(Interpreter& in, ModuleNs& ns) {
  auto lru = std::make_shared<LruCache>();
  Value namedtuple = in.get_attr(in.import_module("collections", in.here()), "namedtuple");
  lru->cache_info = in.call(namedtuple, CallArgs{{Value::string("CacheInfo"), make_list({Value::string("hits"), Value::string("misses"), Value::string("maxsize"), Value::string("currsize")})}, {}});
  lru->wrapper = in.new_native_class("functools._lru_cache_wrapper", {in.types.object});
  in.add_method(lru->wrapper, "__call__", [lru](Interpreter& i, CallArgs& a) {
    Value self = native_required(i, a, 0, "self");
    LruState st = state_of(i, *lru, self);
    Value maxsize = st.maxsize();
    std::optional<Value> key = call_key(i, a);
    bool caching = key && (maxsize.is_none() || maxsize.as_int() > 0);
    if (caching) {
      if (Value* hit = st.results().find(*key)) {
        st.bump("__ckg_lru_hits__");
        Value result = *hit;
        st.results().erase(*key);  // now the most recently used
        st.results().set(*key, result);
        return result;
      }
    }
    st.bump("__ckg_lru_misses__");
    CallArgs forwarded{std::vector<Value>(a.positional.begin() + 1, a.positional.end()), a.keywords};
    Value result = i.call(i.get_attr(self, "__wrapped__"), std::move(forwarded));
    if (caching) {
      DictObj& results = st.results();  // read again: the call may have cleared the cache
      results.set(*key, result);
      if (!maxsize.is_none() && static_cast<std::int64_t>(results.items.size()) > maxsize.as_int()) {
        Value oldest = results.items.front().first;
        results.erase(oldest);
      }
    }
    return result;
  });
  in.add_method(lru->wrapper, "cache_info", [lru](Interpreter& i, CallArgs& a) {
    LruState st = state_of(i, *lru, native_required(i, a, 0, "self"));
    return i.call(lru->cache_info, CallArgs{{Value::integer(st.count("__ckg_lru_hits__")), Value::integer(st.count("__ckg_lru_misses__")),
                                             st.maxsize(), Value::integer(static_cast<std::int64_t>(st.results().items.size()))}, {}});
  });
  in.add_method(lru->wrapper, "cache_clear", [lru](Interpreter& i, CallArgs& a) {
    state_of(i, *lru, native_required(i, a, 0, "self")).clear();
    return Value::none();
  });
  in.add_method(lru->wrapper, "cache_parameters", [lru](Interpreter& i, CallArgs& a) {
    LruState st = state_of(i, *lru, native_required(i, a, 0, "self"));
    auto d = std::make_shared<DictObj>();
    d->set(Value::string("maxsize"), st.maxsize());
    d->set(Value::string("typed"), Value::boolean(false));
    return Value::object(d);
  });
  // A cached method binds to its instance like a function does.
  in.add_method(lru->wrapper, "__get__", [](Interpreter& i, CallArgs& a) {
    Value self = native_required(i, a, 0, "self");
    Value instance = native_arg_or(a, 1, "instance", Value::none());
    if (instance.is_none()) return self;
    return Value::object(std::make_shared<BoundMethodObj>(instance, self));
  });
  auto wrap = [lru](Interpreter& i, const Value& fn, Value maxsize) {
    auto inst = std::make_shared<InstanceObj>(lru->wrapper);
    inst->attrs.set("__ckg_lru_maxsize__", std::move(maxsize));
    LruState{*inst}.clear();
    return update_wrapper(i, Value::object(inst), fn);
  };
  // lru_cache(maxsize=128, typed=False), or @lru_cache directly on a function.
  in.set_global(&ns, "lru_cache", in.builtin("functools.lru_cache", [wrap](Interpreter& i, CallArgs& a) -> Value {
    Value first = native_arg_or(a, 0, "maxsize", Value::integer(128));
    if (is_unknown(first)) return first;
    Value maxsize = first;
    if (first.is_int()) maxsize = Value::integer(std::max<std::int64_t>(0, first.as_int()));
    else if (!first.is_none()) return wrap(i, first, Value::integer(128));
    return i.builtin("functools.lru_cache.decorating_function", [wrap, maxsize](Interpreter& j, CallArgs& b) {
      return wrap(j, native_required(j, b, 0, "user_function"), maxsize);
    });
  }));
  in.set_global(&ns, "cache", in.builtin("functools.cache", [wrap](Interpreter& i, CallArgs& a) {
    return wrap(i, native_required(i, a, 0, "user_function"), Value::none());
  }));
}

// total_ordering: the comparisons a class lacks, derived from the one it defines (the first of
// __lt__, __le__, __gt__, __ge__), by CPython's formulas.
enum class Derived {
  not_r_and_ne,  // not r and self != other
  r_or_eq,       // r or self == other
  not_r,         // not r
  not_r_or_eq,   // not r or self == other
  r_and_ne,      // r and self != other
};

Value derive(Interpreter& in, const Value& self, const Value& other, const std::string& root, Derived how) {
  Value r = in.call(in.get_attr(self, root), CallArgs{{other}, {}});
  if (is_not_implemented(r)) return r;
  bool truth = in.truthy(r);
  switch (how) {
    case Derived::not_r_and_ne: return truth ? Value::boolean(false) : in.compare("!=", self, other);
    case Derived::r_or_eq: return truth ? r : in.compare("==", self, other);
    case Derived::not_r: return Value::boolean(!truth);
    case Derived::not_r_or_eq: return !truth ? Value::boolean(true) : in.compare("==", self, other);
    case Derived::r_and_ne: return !truth ? r : in.compare("!=", self, other);
  }
  return r;
}

Value total_ordering(Interpreter& in, const Value& cls_v) {
  auto* cls = cls_v.as<ClassObj>();
  if (!cls) return cls_v;
  struct Rule { const char* root; const char* method; Derived how; };
  static const Rule rules[] = {
      {"__lt__", "__gt__", Derived::not_r_and_ne}, {"__lt__", "__le__", Derived::r_or_eq}, {"__lt__", "__ge__", Derived::not_r},
      {"__le__", "__ge__", Derived::not_r_or_eq}, {"__le__", "__lt__", Derived::r_and_ne}, {"__le__", "__gt__", Derived::not_r},
      {"__gt__", "__lt__", Derived::not_r_and_ne}, {"__gt__", "__ge__", Derived::r_or_eq}, {"__gt__", "__le__", Derived::not_r},
      {"__ge__", "__le__", Derived::not_r_or_eq}, {"__ge__", "__gt__", Derived::r_and_ne}, {"__ge__", "__lt__", Derived::not_r},
  };
  // A comparison counts as defined when something other than object provides it.
  auto defines = [&](const char* name) {
    const Value* v = cls->lookup(name);
    return v && v != in.types.object->attrs.find(name);
  };
  const char* root = nullptr;
  for (const char* op : {"__lt__", "__le__", "__gt__", "__ge__"}) {
    if (defines(op)) { root = op; break; }
  }
  if (!root) in.raise("ValueError", "must define at least one ordering operation: < > <= >=");
  for (const Rule& rule : rules) {
    if (std::string(rule.root) != root || defines(rule.method)) continue;
    std::string root_name = root;
    Derived how = rule.how;
    in.add_method(cls, rule.method, [root_name, how](Interpreter& i, CallArgs& a) {
      return derive(i, native_required(i, a, 0, "self"), native_required(i, a, 1, "other"), root_name, how);
    });
  }
  return cls_v;
}

}  // namespace

void install_functools(Interpreter& in, ModuleNs& ns) {
  ClassObj* partial = in.types.partial;
  partial->native_new = [](Interpreter& i, CallArgs& a) {
    auto p = std::make_shared<PartialObj>();
    p->func = native_required(i, a, 0, "func");
    p->bound.positional.assign(a.positional.begin() + 1, a.positional.end());
    p->bound.keywords = a.keywords;
    // partial(partial(f, ...), ...) is flattened, as CPython does.
    if (auto* inner = p->func.as<PartialObj>()) {
      CallArgs merged = inner->bound;
      merged.positional.insert(merged.positional.end(), p->bound.positional.begin(), p->bound.positional.end());
      for (auto& kv : p->bound.keywords) {
        auto it = std::find_if(merged.keywords.begin(), merged.keywords.end(), [&](auto& e) { return e.first == kv.first; });
        if (it != merged.keywords.end()) it->second = kv.second; else merged.keywords.push_back(kv);
      }
      p->func = inner->func;
      p->bound = merged;
    }
    return Value::object(p);
  };
  in.set_global(&ns, "partial", Value::object(ObjPtr(ObjPtr(), partial)));

  in.set_global(&ns, "update_wrapper", in.builtin("functools.update_wrapper", [](Interpreter& i, CallArgs& a) {
    return update_wrapper(i, native_required(i, a, 0, "wrapper"), native_required(i, a, 1, "wrapped"));
  }));
  in.set_global(&ns, "wraps", in.builtin("functools.wraps", [](Interpreter& i, CallArgs& a) {
    Value wrapped = native_required(i, a, 0, "wrapped");
    return i.builtin("functools.wraps.decorator", [wrapped](Interpreter& j, CallArgs& b) {
      return update_wrapper(j, native_required(j, b, 0, "wrapper"), wrapped);
    });
  }));
  install_lru_cache(in, ns);
  in.set_global(&ns, "total_ordering", in.builtin("functools.total_ordering", [](Interpreter& i, CallArgs& a) {
    return total_ordering(i, native_required(i, a, 0, "cls"));
  }));
  in.set_global(&ns, "cached_property", in.builtin("functools.cached_property", [](Interpreter& i, CallArgs& a) {
    auto p = std::make_shared<PropertyObj>(native_required(i, a, 0, nullptr));
    p->data = false;
    return Value::object(p);
  }));
  in.set_global(&ns, "reduce", in.builtin("functools.reduce", [](Interpreter& i, CallArgs& a) {
    const Value& fn = native_required(i, a, 0, nullptr);
    auto items = i.iterate(native_required(i, a, 1, nullptr));
    std::size_t k = 0;
    Value acc;
    if (const Value* init = native_arg(a, 2, nullptr)) acc = *init;
    else if (!items.empty()) acc = items[k++];
    else i.raise("TypeError", "reduce() of empty iterable with no initial value");
    for (; k < items.size(); ++k) acc = i.call(fn, CallArgs{{acc, items[k]}, {}});
    return acc;
  }));
}

}  // namespace ckg::interp::modules
