// The `collections` module: OrderedDict, defaultdict (a dict with a default factory),
// namedtuple (and typing.NamedTuple's classes), deque and collections.abc natively; Counter and
// ChainMap as Python source, as CPython writes them.
#include <algorithm>
#include <sstream>

#include <fmt/format.h>

#include "interp/modules/modules.h"

namespace ckg::interp::modules {
namespace {

// CPython's own definitions, trimmed to what is observable here: results that are iterators
// there are lists, the Mapping mixins are written out, and Counter says type(self) where CPython
// says self.__class__ (which a dict subclass's instance does not answer here).
constexpr std::string_view kPythonSource = R"py(
import collections.abc as _collections_abc

class Counter(dict):
    def __init__(self, iterable=None, **kwds):
        self.update(iterable, **kwds)

    def __missing__(self, key):
        return 0

    def total(self):
        return sum(self.values())

    def most_common(self, n=None):
        # sorted() is stable, so equal counts keep their first-seen order, as heapq.nlargest does.
        ranked = sorted(self.items(), key=lambda kv: kv[1], reverse=True)
        return ranked if n is None else ranked[:n]

    def elements(self):
        return [elem for elem, count in self.items() for _ in range(count)]

    def update(self, iterable=None, **kwds):
        if iterable is not None:
            if isinstance(iterable, _collections_abc.Mapping):
                if self:
                    for elem, count in iterable.items():
                        self[elem] = count + self.get(elem, 0)
                else:
                    dict.update(self, iterable)
            else:
                for elem in iterable:
                    self[elem] = self.get(elem, 0) + 1
        if kwds:
            self.update(kwds)

    def subtract(self, iterable=None, **kwds):
        if iterable is not None:
            if isinstance(iterable, _collections_abc.Mapping):
                for elem, count in iterable.items():
                    self[elem] = self.get(elem, 0) - count
            else:
                for elem in iterable:
                    self[elem] = self.get(elem, 0) - 1
        if kwds:
            self.subtract(kwds)

    def copy(self):
        return type(self)(self)

    def __repr__(self):
        if not self:
            return f'{type(self).__name__}()'
        try:
            d = dict(self.most_common())
        except TypeError:
            d = dict(self)
        return f'{type(self).__name__}({d!r})'

    def __add__(self, other):
        if not isinstance(other, Counter):
            return NotImplemented
        result = Counter()
        for elem, count in self.items():
            newcount = count + other[elem]
            if newcount > 0:
                result[elem] = newcount
        for elem, count in other.items():
            if elem not in self and count > 0:
                result[elem] = count
        return result

    def __sub__(self, other):
        if not isinstance(other, Counter):
            return NotImplemented
        result = Counter()
        for elem, count in self.items():
            newcount = count - other[elem]
            if newcount > 0:
                result[elem] = newcount
        for elem, count in other.items():
            if elem not in self and count < 0:
                result[elem] = 0 - count
        return result

    def __or__(self, other):
        if not isinstance(other, Counter):
            return NotImplemented
        result = Counter()
        for elem, count in self.items():
            other_count = other[elem]
            newcount = other_count if count < other_count else count
            if newcount > 0:
                result[elem] = newcount
        for elem, count in other.items():
            if elem not in self and count > 0:
                result[elem] = count
        return result

    def __and__(self, other):
        if not isinstance(other, Counter):
            return NotImplemented
        result = Counter()
        for elem, count in self.items():
            other_count = other[elem]
            newcount = count if count < other_count else other_count
            if newcount > 0:
                result[elem] = newcount
        return result

    def __pos__(self):
        result = Counter()
        for elem, count in self.items():
            if count > 0:
                result[elem] = count
        return result

    def __neg__(self):
        result = Counter()
        for elem, count in self.items():
            if count < 0:
                result[elem] = 0 - count
        return result


class ChainMap(_collections_abc.Mapping):
    def __init__(self, *maps):
        self.maps = list(maps) or [{}]

    def __missing__(self, key):
        raise KeyError(key)

    def __getitem__(self, key):
        for mapping in self.maps:
            if key in mapping:
                return mapping[key]
        return self.__missing__(key)

    def get(self, key, default=None):
        return self[key] if key in self else default

    def _keys(self):
        seen = {}
        for mapping in reversed(self.maps):
            for key in mapping:
                seen[key] = None
        return list(seen)

    def __len__(self):
        return len(self._keys())

    def __iter__(self):
        return iter(self._keys())

    def __contains__(self, key):
        return any(key in m for m in self.maps)

    def __bool__(self):
        return any(self.maps)

    def __repr__(self):
        return f'{self.__class__.__name__}({", ".join(map(repr, self.maps))})'

    def __eq__(self, other):
        return dict(self.items()) == dict(other.items())

    def keys(self):
        return self._keys()

    def items(self):
        return [(key, self[key]) for key in self._keys()]

    def values(self):
        return [self[key] for key in self._keys()]

    def copy(self):
        return self.__class__(self.maps[0].copy(), *self.maps[1:])

    __copy__ = copy

    def new_child(self, m=None, **kwargs):
        if m is None:
            m = kwargs
        elif kwargs:
            m.update(kwargs)
        return self.__class__(m, *self.maps)

    @property
    def parents(self):
        return self.__class__(*self.maps[1:])

    def __setitem__(self, key, value):
        self.maps[0][key] = value

    def __delitem__(self, key):
        try:
            del self.maps[0][key]
        except KeyError:
            raise KeyError(f'Key not found in the first mapping: {key!r}')

    def pop(self, key, *args):
        try:
            return self.maps[0].pop(key, *args)
        except KeyError:
            raise KeyError(f'Key not found in the first mapping: {key!r}')

    def clear(self):
        self.maps[0].clear()

)py";

Value cls_value(ClassObj* c) { return Value::object(ObjPtr(ObjPtr(), c)); }

ClassObj* named_class(Interpreter& in, CallArgs& a, const char* what) {
  Value self = native_required(in, a, 0, "self");
  auto* t = self.as<TupleObj>();
  if (!t || !t->named) in.raise("TypeError", fmt::format("{}() needs a namedtuple", what));
  return t->named;
}

}  // namespace

void make_namedtuple(Interpreter& in, ClassObj* cls, std::vector<std::string> fields, std::shared_ptr<DictObj> defaults) {
  cls->namedtuple_fields = std::move(fields);
  std::vector<Value> names;
  for (auto& f : cls->namedtuple_fields) names.push_back(Value::string(f));
  Value field_names = make_tuple(std::move(names));
  cls->attrs.set("_fields", field_names);
  cls->attrs.set("__match_args__", field_names);  // class patterns match fields by position
  cls->attrs.set("_field_defaults", Value::object(std::move(defaults)));
  in.add_method(cls, "_replace", [](Interpreter& j, CallArgs& b) -> Value {
    ClassObj* named = named_class(j, b, "_replace");
    auto* t = b.positional[0].as<TupleObj>();
    auto out = std::make_shared<TupleObj>(t->items);
    out->named = named;
    std::vector<std::string> unexpected;
    for (auto& [k, v] : b.keywords) {
      auto it = std::find(named->namedtuple_fields.begin(), named->namedtuple_fields.end(), k);
      if (it == named->namedtuple_fields.end()) unexpected.push_back("'" + k + "'");
      else out->items.at(static_cast<std::size_t>(it - named->namedtuple_fields.begin())) = v;
    }
    if (!unexpected.empty()) j.raise("ValueError", fmt::format("Got unexpected field names: [{}]", fmt::join(unexpected, ", ")));
    return Value::object(out);
  });
  in.add_method(cls, "_asdict", [](Interpreter& j, CallArgs& b) -> Value {
    ClassObj* named = named_class(j, b, "_asdict");
    auto* t = b.positional[0].as<TupleObj>();
    auto d = std::make_shared<DictObj>();
    for (std::size_t k = 0; k < t->items.size() && k < named->namedtuple_fields.size(); ++k) d->set(Value::string(named->namedtuple_fields[k]), t->items[k]);
    return Value::object(d);
  });
  cls->attrs.set("_make", Value::object(std::make_shared<ClassMethodObj>(in.builtin("_make", [](Interpreter& j, CallArgs& b) {
    return j.call(native_required(j, b, 0, "cls"), CallArgs{j.iterate(native_required(j, b, 1, "iterable")), {}});
  }))));
}

void install_collections(Interpreter& in, ModuleNs& ns) {
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
    Value maxlen = native_arg_or(a, 1, "maxlen", Value::none());
    if (is_unknown(maxlen)) return maxlen;
    if (!maxlen.is_none() && !maxlen.is_int()) i.raise("TypeError", "an integer is required");
    if (!maxlen.is_none() && maxlen.as_int() < 0) i.raise("ValueError", "maxlen must be non-negative");
    // A bounded deque keeps the last maxlen items it is given.
    if (!maxlen.is_none() && items.size() > static_cast<std::size_t>(maxlen.as_int())) items.erase(items.begin(), items.end() - maxlen.as_int());
    d->attrs.set("_items", make_list(std::move(items)));
    d->attrs.set("maxlen", maxlen);
    return Value::object(d);
  };
  auto items_of = [](Interpreter& i, CallArgs& a) -> std::vector<Value>& {
    auto* d = native_required(i, a, 0, "self").as<InstanceObj>();
    const Value* items = d ? d->attrs.find("_items") : nullptr;
    if (!items || !items->as<ListObj>()) i.raise("TypeError", "descriptor requires a 'collections.deque' object");
    return items->as<ListObj>()->items;
  };
  // Adding to one end of a full bounded deque drops an item from the other end.
  auto add = [items_of](Interpreter& i, CallArgs& a, const Value& x, bool left) {
    auto& items = items_of(i, a);
    Value maxlen = i.get_attr(a.positional[0], "maxlen");
    if (!maxlen.is_none() && maxlen.as_int() == 0) return;
    if (!maxlen.is_none() && items.size() >= static_cast<std::size_t>(maxlen.as_int())) {
      if (left) items.pop_back(); else items.erase(items.begin());
    }
    items.insert(left ? items.begin() : items.end(), x);
  };
  in.add_method(deque, "append", [add](Interpreter& i, CallArgs& a) { add(i, a, native_required(i, a, 1, "x"), false); return Value::none(); });
  in.add_method(deque, "appendleft", [add](Interpreter& i, CallArgs& a) { add(i, a, native_required(i, a, 1, "x"), true); return Value::none(); });
  in.add_method(deque, "extend", [add](Interpreter& i, CallArgs& a) {
    for (auto& v : i.iterate(native_required(i, a, 1, "iterable"))) add(i, a, v, false);
    return Value::none();
  });
  in.add_method(deque, "extendleft", [add](Interpreter& i, CallArgs& a) {
    for (auto& v : i.iterate(native_required(i, a, 1, "iterable"))) add(i, a, v, true);
    return Value::none();
  });
  in.add_method(deque, "rotate", [items_of](Interpreter& i, CallArgs& a) {
    auto& items = items_of(i, a);
    std::int64_t n = native_arg_or(a, 1, "n", Value::integer(1)).as_int();
    if (items.empty()) return Value::none();
    auto size = static_cast<std::int64_t>(items.size());
    std::int64_t right = ((n % size) + size) % size;  // rotating right by n, as a left rotation
    std::rotate(items.begin(), items.begin() + (size - right), items.end());
    return Value::none();
  });
  for (bool left : {false, true}) {
    in.add_method(deque, left ? "popleft" : "pop", [items_of, left](Interpreter& i, CallArgs& a) {
      auto& items = items_of(i, a);
      if (items.empty()) i.raise("IndexError", "pop from an empty deque");
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
  in.add_method(deque, "__repr__", [items_of](Interpreter& i, CallArgs& a) {
    Value maxlen = i.get_attr(a.positional.at(0), "maxlen");
    std::string bound = maxlen.is_none() ? std::string() : ", maxlen=" + i.display(maxlen, true);
    return Value::string("deque(" + i.display(make_list(items_of(i, a)), true) + bound + ")");
  });
  in.set_global(&ns, "deque", cls_value(deque));
  in.set_global(&ns, "namedtuple", in.builtin("collections.namedtuple", [](Interpreter& i, CallArgs& a) {
    auto cls = std::make_shared<ClassObj>();
    cls->name = cls->qualname = native_required(i, a, 0, "typename").as_str();
    const Value& field_names = native_required(i, a, 1, "field_names");
    std::vector<std::string> fields;
    if (field_names.is_str()) {
      std::string f = field_names.as_str();
      std::replace(f.begin(), f.end(), ',', ' ');
      std::istringstream words(f);
      for (std::string w; words >> w;) fields.push_back(w);
    } else {
      for (auto& n : i.iterate(field_names)) fields.push_back(n.as_str());
    }
    // defaults= apply to the rightmost fields.
    auto defaults = std::make_shared<DictObj>();
    if (const Value* given = a.keyword("defaults"); given && !given->is_none()) {
      std::vector<Value> values = i.iterate(*given);
      if (values.size() > fields.size()) i.raise("TypeError", "Got more default values than field names");
      for (std::size_t k = 0; k < values.size(); ++k) defaults->set(Value::string(fields[fields.size() - values.size() + k]), values[k]);
    }
    cls->bases.push_back(cls_value(i.types.tuple));
    cls->mro = {cls.get(), i.types.tuple, i.types.object};
    make_namedtuple(i, cls.get(), std::move(fields), std::move(defaults));
    return Value::object(cls);
  }));
  run_python(in, ns, "collections.py", kPythonSource);
}

}  // namespace ckg::interp::modules
