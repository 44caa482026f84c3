// The `collections` module: OrderedDict, defaultdict (a dict with a default factory),
// namedtuple, deque and collections.abc.
#include <algorithm>
#include <sstream>

#include "interp/modules/modules.h"

namespace ckg::interp::modules {

void install_collections(Interpreter& in, ModuleNs& ns) {
  auto cls_value = [](ClassObj* c) { return Value::object(ObjPtr(ObjPtr(), c)); };
  in.set_global(&ns, "OrderedDict", cls_value(in.types.ordered_dict));
  // OrderedDict's own methods: which end an item moves to or pops from.
  auto ordered_self = [](Interpreter& i, CallArgs& a) -> DictObj& {
    auto* d = native_required(i, a, 0, "self").as<DictObj>();
    if (!d || !d->ordered_dict) i.raise("TypeError", "descriptor requires a 'collections.OrderedDict' object");
    return *d;
  };
  in.add_method(in.types.ordered_dict, "move_to_end", [ordered_self](Interpreter& i, CallArgs& a) {
    DictObj& d = ordered_self(i, a);
    const Value& key = native_required(i, a, 1, "key");
    bool last = i.truthy(native_arg_or(a, 2, "last", Value::boolean(true)));
    auto it = std::find_if(d.items.begin(), d.items.end(), [&](const auto& kv) { return values_equal(kv.first, key); });
    if (it == d.items.end()) i.raise_key_error(key);
    auto item = *it;
    d.items.erase(it);
    d.items.insert(last ? d.items.end() : d.items.begin(), item);
    return Value::none();
  });
  in.add_method(in.types.ordered_dict, "popitem", [ordered_self](Interpreter& i, CallArgs& a) {
    DictObj& d = ordered_self(i, a);
    if (d.items.empty()) i.raise("KeyError", "dictionary is empty");
    bool last = i.truthy(native_arg_or(a, 1, "last", Value::boolean(true)));
    auto item = last ? d.items.back() : d.items.front();
    d.items.erase(last ? d.items.end() - 1 : d.items.begin());
    return make_tuple({item.first, item.second});
  });
  in.set_global(&ns, "abc", in.import_module("collections.abc", in.here()));
  in.set_global(&ns, "defaultdict", in.builtin("collections.defaultdict", [](Interpreter& i, CallArgs& a) -> Value {
    auto d = std::make_shared<DictObj>();
    if (!a.positional.empty()) {
      if (is_unknown(a.positional[0])) return a.positional[0];
      d->default_factory = a.positional[0];
    }
    if (a.positional.size() > 1) {
      const Value& src = a.positional[1];
      if (is_unknown(src)) return src;
      if (auto* other = src.as<DictObj>()) for (auto& [k, v] : other->items) d->set(k, v);
      else for (auto& pair : i.iterate(src)) { auto kv = i.iterate(pair); d->set(kv.at(0), kv.at(1)); }
    }
    for (auto& [k, v] : a.keywords) d->set(Value::string(k), v);
    return Value::object(d);
  }));
  // deque: an instance holding its items in a list.
  ClassObj* deque = in.new_native_class("collections.deque", {in.types.object});
  deque->native_new = [deque](Interpreter& i, CallArgs& a) -> Value {
    auto d = std::make_shared<InstanceObj>(deque);
    std::vector<Value> items;
    if (const Value* src = native_arg(a, 0, "iterable")) {
      if (is_unknown(*src)) return *src;
      items = i.iterate(*src);
    }
    if (const Value* maxlen = native_arg(a, 1, "maxlen"); maxlen && !maxlen->is_none()) return i.unknown("collections.deque with maxlen is not modelled");
    d->attrs.set("_items", make_list(std::move(items)));
    return Value::object(d);
  };
  auto items_of = [](Interpreter& i, CallArgs& a) -> std::vector<Value>& {
    auto* d = native_required(i, a, 0, "self").as<InstanceObj>();
    const Value* items = d ? d->attrs.find("_items") : nullptr;
    if (!items || !items->as<ListObj>()) i.raise("TypeError", "descriptor requires a 'collections.deque' object");
    return items->as<ListObj>()->items;
  };
  in.add_method(deque, "append", [items_of](Interpreter& i, CallArgs& a) { items_of(i, a).push_back(native_required(i, a, 1, "x")); return Value::none(); });
  in.add_method(deque, "appendleft", [items_of](Interpreter& i, CallArgs& a) {
    auto& items = items_of(i, a);
    items.insert(items.begin(), native_required(i, a, 1, "x"));
    return Value::none();
  });
  in.add_method(deque, "extend", [items_of](Interpreter& i, CallArgs& a) {
    auto& items = items_of(i, a);
    for (auto& v : i.iterate(native_required(i, a, 1, "iterable"))) items.push_back(v);
    return Value::none();
  });
  in.add_method(deque, "extendleft", [items_of](Interpreter& i, CallArgs& a) {
    auto& items = items_of(i, a);
    for (auto& v : i.iterate(native_required(i, a, 1, "iterable"))) items.insert(items.begin(), v);
    return Value::none();
  });
  for (bool left : {false, true}) {
    in.add_method(deque, left ? "popleft" : "pop", [items_of, left](Interpreter& i, CallArgs& a) {
      auto& items = items_of(i, a);
      if (items.empty()) i.raise("IndexError", left ? "pop from an empty deque" : "pop from an empty deque");
      Value v = left ? items.front() : items.back();
      if (left) items.erase(items.begin()); else items.pop_back();
      return v;
    });
  }
  in.add_method(deque, "clear", [items_of](Interpreter& i, CallArgs& a) { items_of(i, a).clear(); return Value::none(); });
  in.add_method(deque, "__iter__", [items_of](Interpreter& i, CallArgs& a) { return make_list(items_of(i, a)); });
  in.add_method(deque, "__len__", [items_of](Interpreter& i, CallArgs& a) { return Value::integer(static_cast<std::int64_t>(items_of(i, a).size())); });
  in.add_method(deque, "__getitem__", [items_of](Interpreter& i, CallArgs& a) { return i.get_item(make_list(items_of(i, a)), native_required(i, a, 1, "index")); });
  in.add_method(deque, "__contains__", [items_of](Interpreter& i, CallArgs& a) {
    const Value& x = native_required(i, a, 1, "x");
    for (auto& v : items_of(i, a)) if (values_equal(v, x)) return Value::boolean(true);
    return Value::boolean(false);
  });
  in.add_method(deque, "__repr__", [items_of](Interpreter& i, CallArgs& a) { return Value::string("deque(" + i.display(make_list(items_of(i, a)), true) + ")"); });
  in.set_global(&ns, "deque", cls_value(deque));
  in.set_global(&ns, "namedtuple", in.builtin("collections.namedtuple", [](Interpreter& i, CallArgs& a) {
    auto cls = std::make_shared<ClassObj>();
    cls->name = cls->qualname = native_required(i, a, 0, "typename").as_str();
    const Value& fields = native_required(i, a, 1, "field_names");
    if (fields.is_str()) {
      std::string f = fields.as_str();
      std::replace(f.begin(), f.end(), ',', ' ');
      std::istringstream words(f);
      for (std::string w; words >> w;) cls->namedtuple_fields.push_back(w);
    } else {
      for (auto& n : i.iterate(fields)) cls->namedtuple_fields.push_back(n.as_str());
    }
    cls->bases.push_back(Value::object(ObjPtr(ObjPtr(), i.types.tuple)));
    cls->mro = {cls.get(), i.types.tuple, i.types.object};
    std::vector<Value> names;
    for (auto& f : cls->namedtuple_fields) names.push_back(Value::string(f));
    Value field_names = make_tuple(std::move(names));
    cls->attrs.set("_fields", field_names);
    cls->attrs.set("__match_args__", field_names);  // class patterns match fields by position
    ClassObj* raw = cls.get();
    i.add_method(raw, "_replace", [raw](Interpreter& j, CallArgs& b) -> Value {
      auto* t = native_required(j, b, 0, "self").as<TupleObj>();
      if (!t) j.raise("TypeError", "_replace() needs a namedtuple");
      auto out = std::make_shared<TupleObj>(t->items);
      out->named = t->named;
      for (auto& [k, v] : b.keywords) {
        auto it = std::find(raw->namedtuple_fields.begin(), raw->namedtuple_fields.end(), k);
        if (it == raw->namedtuple_fields.end()) j.raise("ValueError", "Got unexpected field names: ['" + k + "']");
        out->items.at(static_cast<std::size_t>(it - raw->namedtuple_fields.begin())) = v;
      }
      return Value::object(out);
    });
    i.add_method(raw, "_asdict", [raw](Interpreter& j, CallArgs& b) -> Value {
      auto* t = native_required(j, b, 0, "self").as<TupleObj>();
      auto d = std::make_shared<DictObj>();
      for (std::size_t k = 0; t && k < t->items.size() && k < raw->namedtuple_fields.size(); ++k) d->set(Value::string(raw->namedtuple_fields[k]), t->items[k]);
      return Value::object(d);
    });
    return Value::object(cls);
  }));
}

}  // namespace ckg::interp::modules
