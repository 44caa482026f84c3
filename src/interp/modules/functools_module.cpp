// The `functools` module: partial (a real type: isinstance, .func/.args/.keywords), reduce,
// and the decorators that do not change what a constructor builds (wraps, lru_cache, cache),
// cached_property as a property that instance attributes shadow.
#include <algorithm>

#include "interp/modules/modules.h"

namespace ckg::interp::modules {

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

  Value identity = in.builtin("functools.identity_decorator", [](Interpreter& i, CallArgs& a) { return native_required(i, a, 0, nullptr); });
  Value identity_factory = in.builtin("functools.decorator_factory", [identity](Interpreter&, CallArgs& a) {
    if (a.positional.size() == 1 && (a.positional[0].as<FunctionObj>() || a.positional[0].as<ClassObj>())) return a.positional[0];
    return identity;
  });
  // wraps(wrapped)(wrapper) records __wrapped__ and the wrapped function's name, as CPython.
  in.set_global(&ns, "wraps", in.builtin("functools.wraps", [](Interpreter& i, CallArgs& a) {
    Value wrapped = native_required(i, a, 0, "wrapped");
    return i.builtin("functools.wraps.decorator", [wrapped](Interpreter& j, CallArgs& b) {
      Value wrapper = native_required(j, b, 0, "wrapper");
      if (auto* fn = wrapper.as<FunctionObj>()) {
        for (const char* name : {"__name__", "__qualname__", "__doc__"}) {
          if (wrapped.as<FunctionObj>()) fn->attrs.set(name, j.get_attr(wrapped, name));
        }
        fn->attrs.set("__wrapped__", wrapped);
      }
      return wrapper;
    });
  }));
  in.set_global(&ns, "lru_cache", identity_factory);
  in.set_global(&ns, "cache", identity);
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
