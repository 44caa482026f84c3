// The `itertools` module. Iterators are materialised lists here, so the finite tools build their
// whole output at once (product and the combinatoric ones within the sequence budget). The
// unbounded ones (count, cycle, repeat without times) are objects that next() and islice()
// advance one item at a time; anything else that iterates them gets an Unknown.
#include <algorithm>

#include "interp/modules/modules.h"

namespace ckg::interp::modules {
namespace {

Value cls_value(ClassObj* c) { return Value::object(ObjPtr(ObjPtr(), c)); }

// The index tuples of the combinatoric tools, in CPython's (lexicographic) order: `r` indices
// into the pool, each chosen relative to the previous one as `choice` says.
enum class Choice { distinct_increasing, non_decreasing, any_unused };

Value index_tuples(Interpreter& in, const std::vector<Value>& pool, std::size_t r, Choice choice) {
  std::vector<Value> out;
  std::vector<std::size_t> at;
  std::vector<bool> used(pool.size(), false);
  const auto budget = static_cast<std::size_t>(in.limits().max_sequence);
  bool over_budget = false;
  auto extend = [&](auto& self) -> void {
    if (over_budget) return;
    if (at.size() == r) {
      if (out.size() >= budget) { over_budget = true; return; }
      std::vector<Value> row;
      for (auto k : at) row.push_back(pool[k]);
      out.push_back(make_tuple(std::move(row)));
      return;
    }
    std::size_t first = at.empty() || choice == Choice::any_unused ? 0 : at.back() + (choice == Choice::distinct_increasing ? 1 : 0);
    for (std::size_t k = first; k < pool.size(); ++k) {
      if (choice == Choice::any_unused && used[k]) continue;
      used[k] = true;
      at.push_back(k);
      self(self);
      at.pop_back();
      used[k] = false;
    }
  };
  extend(extend);
  if (over_budget) return in.unknown("itertools combinatorics larger than the sequence budget");
  return make_list(std::move(out));
}

// The state of an unbounded iterator lives in its attributes, so that next() advances it.
std::int64_t unbounded_position(Interpreter& in, const Value& self) {
  std::int64_t pos = in.get_attr(self, "_position").as_int();
  in.set_attr(self, "_position", Value::integer(pos + 1));
  return pos;
}

Value attr_or(const Value& self, const char* name, Value fallback) {
  const Value* v = self.as<InstanceObj>()->attrs.find(name);
  return v ? *v : fallback;
}

}  // namespace

void install_itertools(Interpreter& in, ModuleNs& ns) {
  auto def = [&](const char* name, NativeFn fn) { in.set_global(&ns, name, in.builtin(std::string("itertools.") + name, std::move(fn))); };

  // chain is a class in CPython; chain.from_iterable is its alternative constructor.
  ClassObj* chain = in.new_native_class("itertools.chain", {in.types.object});
  auto concatenate = [](Interpreter& i, const std::vector<Value>& sources) {
    std::vector<Value> out;
    for (auto& s : sources) for (auto& v : i.iterate(s)) out.push_back(v);
    return make_list(std::move(out));
  };
  chain->native_new = [concatenate](Interpreter& i, CallArgs& a) { return concatenate(i, a.positional); };
  chain->attrs.set("from_iterable", Value::object(std::make_shared<StaticMethodObj>(in.builtin("itertools.chain.from_iterable", [concatenate](Interpreter& i, CallArgs& a) {
    return concatenate(i, i.iterate(native_required(i, a, 0, "iterable")));
  }))));
  in.set_global(&ns, "chain", cls_value(chain));

  def("product", [](Interpreter& i, CallArgs& a) -> Value {
    for (auto& s : a.positional) if (is_unknown(s)) return s;
    std::int64_t repeat = a.keyword("repeat") ? a.keyword("repeat")->as_int() : 1;
    std::vector<std::vector<Value>> pools;
    for (std::int64_t r = 0; r < repeat; ++r) for (auto& s : a.positional) pools.push_back(i.iterate(s));
    std::size_t total = 1;
    for (auto& p : pools) {
      total *= p.size();
      if (total > static_cast<std::size_t>(i.limits().max_sequence)) return i.unknown("itertools.product larger than the sequence budget");
    }
    std::vector<Value> out;
    out.reserve(total);
    std::vector<std::size_t> at(pools.size(), 0);
    for (std::size_t n = 0; n < total; ++n) {
      std::vector<Value> row;
      row.reserve(pools.size());
      for (std::size_t k = 0; k < pools.size(); ++k) row.push_back(pools[k][at[k]]);
      out.push_back(make_tuple(std::move(row)));
      for (std::size_t k = pools.size(); k-- > 0;) {
        if (++at[k] < pools[k].size()) break;
        at[k] = 0;
      }
    }
    return make_list(std::move(out));
  });
  def("accumulate", [](Interpreter& i, CallArgs& a) {
    std::vector<Value> out;
    Value acc;
    bool first = true;
    const Value* func = native_arg(a, 1, "func");
    if (const Value* init = a.keyword("initial"); init && !init->is_none()) { acc = *init; out.push_back(acc); first = false; }
    for (auto& v : i.iterate(native_required(i, a, 0, "iterable"))) {
      if (first) acc = v;
      else if (func && !func->is_none()) acc = i.call(*func, CallArgs{{acc, v}, {}});
      else acc = i.binary("+", acc, v);
      first = false;
      out.push_back(acc);
    }
    return make_list(std::move(out));
  });

  // count(start, step), cycle(iterable) and repeat(object): each __next__ computes the item at
  // the iterator's position.
  auto unbounded = [&](const char* name, std::vector<const char*> params, std::function<Value(Interpreter&, const Value&, std::int64_t)> item) {
    ClassObj* cls = in.new_native_class(std::string("itertools.") + name, {in.types.object});
    in.add_method(cls, "__init__", [params](Interpreter& i, CallArgs& a) {
      Value self = native_required(i, a, 0, "self");
      for (std::size_t k = 0; k < params.size(); ++k) {
        if (const Value* v = native_arg(a, k + 1, params[k])) i.set_attr(self, std::string("_") + params[k], *v);
      }
      i.set_attr(self, "_position", Value::integer(0));
      return Value::none();
    });
    in.add_method(cls, "__next__", [item](Interpreter& i, CallArgs& a) {
      Value self = native_required(i, a, 0, "self");
      return item(i, self, unbounded_position(i, self));
    });
    std::string reason = std::string("unbounded itertools.") + name;
    in.add_method(cls, "__iter__", [reason](Interpreter& i, CallArgs&) { return i.unknown(reason); });
    return cls;
  };
  ClassObj* count = unbounded("count", {"start", "step"}, [](Interpreter& i, const Value& self, std::int64_t pos) {
    Value start = attr_or(self, "_start", Value::integer(0)), step = attr_or(self, "_step", Value::integer(1));
    return i.binary("+", start, i.binary("*", step, Value::integer(pos)));
  });
  ClassObj* cycle = unbounded("cycle", {"iterable"}, [](Interpreter& i, const Value& self, std::int64_t pos) {
    // The items are taken once, on the first call, as CPython saves them on the first pass.
    Value saved = attr_or(self, "_saved", Value::none());
    if (saved.is_none()) {
      saved = make_list(i.iterate(i.get_attr(self, "_iterable")));
      i.set_attr(self, "_saved", saved);
    }
    auto& items = saved.as<ListObj>()->items;
    if (items.empty()) i.raise("StopIteration", "");
    return items[static_cast<std::size_t>(pos) % items.size()];
  });
  ClassObj* repeat_forever = unbounded("repeat", {"object"}, [](Interpreter& i, const Value& self, std::int64_t) { return i.get_attr(self, "_object"); });
  in.set_global(&ns, "count", cls_value(count));
  in.set_global(&ns, "cycle", cls_value(cycle));
  def("repeat", [repeat_forever](Interpreter& i, CallArgs& a) {
    const Value* times = native_arg(a, 1, "times");
    if (!times) return i.call(cls_value(repeat_forever), CallArgs{{native_required(i, a, 0, "object")}, {}});
    return make_list(std::vector<Value>(static_cast<std::size_t>(std::max<std::int64_t>(0, times->as_int())), native_required(i, a, 0, "object")));
  });
  // islice takes from an unbounded iterator only the items it reaches, as CPython does.
  def("islice", [count, cycle, repeat_forever](Interpreter& i, CallArgs& a) -> Value {
    const Value& source = native_required(i, a, 0, "iterable");
    std::vector<Value> bounds(a.positional.begin() + 1, a.positional.end());
    auto num = [&](const Value& v, std::int64_t fallback) { return v.is_none() ? fallback : v.as_int(); };
    const Value* stop_bound = bounds.size() == 1 ? &bounds[0] : bounds.size() >= 2 ? &bounds[1] : nullptr;
    std::vector<Value> items;
    ClassObj* of = i.class_of(source);
    if (of == count || of == cycle || of == repeat_forever) {
      if (!stop_bound || stop_bound->is_none()) return i.unknown("itertools.islice of an unbounded iterator without a stop");
      Value next = i.get_attr(source, "__next__");
      for (std::int64_t k = 0; k < stop_bound->as_int(); ++k) items.push_back(i.call(next, CallArgs{}));
    } else {
      items = i.iterate(source);
    }
    std::int64_t start = 0, stop = static_cast<std::int64_t>(items.size()), step = 1;
    if (stop_bound) stop = std::min(stop, num(*stop_bound, stop));
    if (bounds.size() >= 2) start = num(bounds[0], 0);
    if (bounds.size() > 2) step = num(bounds[2], 1);
    std::vector<Value> out;
    for (std::int64_t k = start; k < stop; k += step) out.push_back(items[static_cast<std::size_t>(k)]);
    return make_list(std::move(out));
  });

  def("combinations", [](Interpreter& i, CallArgs& a) -> Value {
    auto pool = i.iterate(native_required(i, a, 0, "iterable"));
    std::int64_t r = native_required(i, a, 1, "r").as_int();
    if (r < 0) i.raise("ValueError", "r must be non-negative");
    return index_tuples(i, pool, static_cast<std::size_t>(r), Choice::distinct_increasing);
  });
  def("combinations_with_replacement", [](Interpreter& i, CallArgs& a) -> Value {
    auto pool = i.iterate(native_required(i, a, 0, "iterable"));
    std::int64_t r = native_required(i, a, 1, "r").as_int();
    if (r < 0) i.raise("ValueError", "r must be non-negative");
    if (pool.empty() && r > 0) return make_list({});
    return index_tuples(i, pool, static_cast<std::size_t>(r), Choice::non_decreasing);
  });
  def("permutations", [](Interpreter& i, CallArgs& a) -> Value {
    auto pool = i.iterate(native_required(i, a, 0, "iterable"));
    Value r = native_arg_or(a, 1, "r", Value::none());
    std::int64_t n = r.is_none() ? static_cast<std::int64_t>(pool.size()) : r.as_int();
    if (n < 0) i.raise("ValueError", "r must be non-negative");
    return index_tuples(i, pool, static_cast<std::size_t>(n), Choice::any_unused);
  });

  // groupby: (key, group) pairs of consecutive items with equal keys; each group is a list.
  def("groupby", [](Interpreter& i, CallArgs& a) {
    Value key = native_arg_or(a, 1, "key", Value::none());
    std::vector<Value> out;
    Value current;
    std::vector<Value> group;
    auto close = [&] {
      if (!group.empty()) out.push_back(make_tuple({current, make_list(std::move(group))}));
      group.clear();
    };
    for (auto& v : i.iterate(native_required(i, a, 0, "iterable"))) {
      Value k = key.is_none() ? v : i.call(key, CallArgs{{v}, {}});
      if (!group.empty() && !i.truthy(i.compare("==", current, k))) close();
      if (group.empty()) current = k;
      group.push_back(v);
    }
    close();
    return make_list(std::move(out));
  });
  // takewhile, dropwhile and filterfalse test each item with the predicate, in order.
  def("takewhile", [](Interpreter& i, CallArgs& a) {
    const Value& pred = native_required(i, a, 0, "predicate");
    std::vector<Value> out;
    for (auto& v : i.iterate(native_required(i, a, 1, "iterable"))) {
      if (!i.truthy(i.call(pred, CallArgs{{v}, {}}))) break;
      out.push_back(v);
    }
    return make_list(std::move(out));
  });
  def("dropwhile", [](Interpreter& i, CallArgs& a) {
    const Value& pred = native_required(i, a, 0, "predicate");
    std::vector<Value> out;
    bool dropping = true;
    for (auto& v : i.iterate(native_required(i, a, 1, "iterable"))) {
      dropping = dropping && i.truthy(i.call(pred, CallArgs{{v}, {}}));
      if (!dropping) out.push_back(v);
    }
    return make_list(std::move(out));
  });
  def("filterfalse", [](Interpreter& i, CallArgs& a) {
    const Value& pred = native_required(i, a, 0, "predicate");
    std::vector<Value> out;
    for (auto& v : i.iterate(native_required(i, a, 1, "iterable"))) {
      if (!i.truthy(pred.is_none() ? v : i.call(pred, CallArgs{{v}, {}}))) out.push_back(v);
    }
    return make_list(std::move(out));
  });
  def("compress", [](Interpreter& i, CallArgs& a) {
    auto data = i.iterate(native_required(i, a, 0, "data"));
    auto selectors = i.iterate(native_required(i, a, 1, "selectors"));
    std::vector<Value> out;
    for (std::size_t k = 0; k < data.size() && k < selectors.size(); ++k) {
      if (i.truthy(selectors[k])) out.push_back(data[k]);
    }
    return make_list(std::move(out));
  });
  def("starmap", [](Interpreter& i, CallArgs& a) {
    const Value& fn = native_required(i, a, 0, "function");
    std::vector<Value> out;
    for (auto& args : i.iterate(native_required(i, a, 1, "iterable"))) out.push_back(i.call(fn, CallArgs{i.iterate(args), {}}));
    return make_list(std::move(out));
  });
  def("pairwise", [](Interpreter& i, CallArgs& a) {
    auto items = i.iterate(native_required(i, a, 0, "iterable"));
    std::vector<Value> out;
    for (std::size_t k = 1; k < items.size(); ++k) out.push_back(make_tuple({items[k - 1], items[k]}));
    return make_list(std::move(out));
  });
  def("zip_longest", [](Interpreter& i, CallArgs& a) {
    Value fill = a.keyword("fillvalue") ? *a.keyword("fillvalue") : Value::none();
    std::vector<std::vector<Value>> columns;
    std::size_t longest = 0;
    for (auto& s : a.positional) {
      columns.push_back(i.iterate(s));
      longest = std::max(longest, columns.back().size());
    }
    std::vector<Value> out;
    for (std::size_t k = 0; k < longest; ++k) {
      std::vector<Value> row;
      for (auto& c : columns) row.push_back(k < c.size() ? c[k] : fill);
      out.push_back(make_tuple(std::move(row)));
    }
    return make_list(std::move(out));
  });
  // tee: n independent copies of the items.
  def("tee", [](Interpreter& i, CallArgs& a) {
    auto items = i.iterate(native_required(i, a, 0, "iterable"));
    std::int64_t n = native_arg_or(a, 1, "n", Value::integer(2)).as_int();
    if (n < 0) i.raise("ValueError", "n must be >= 0");
    std::vector<Value> copies;
    for (std::int64_t k = 0; k < n; ++k) copies.push_back(make_list(items));
    return make_tuple(std::move(copies));
  });
}

}  // namespace ckg::interp::modules
