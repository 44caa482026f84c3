// The `itertools` module. product, count, cycle, repeat, islice, takewhile and dropwhile are lazy
// iterators: they may be endless, run a generator only as far as it is consumed, or (product)
// hold one row at a time. The others build their whole output at once, within the sequence
// budget.
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

}  // namespace

namespace {

// Each lazy iterator's state is in IteratorObj::items, as listed.
// product: {tuple of the pools, list of the indices of the last row}; pos: rows made so far.
// Rows are made as they are asked for, as CPython does: a loop over a million-row product holds
// one row at a time, not a million.
std::optional<Value> product_next(Interpreter&, IteratorObj& self) {
  const auto& pools = self.items[0].as<TupleObj>()->items;
  auto& at = self.items[1].as<ListObj>()->items;  // turned in place: no allocation per row
  if (self.pos == 0) {
    for (const Value& pool : pools) {
      if (pool.as<TupleObj>()->items.empty()) return std::nullopt;  // an empty pool: no rows at all
    }
    at.assign(pools.size(), Value::integer(0));
  } else {
    std::size_t k = at.size();
    while (k-- > 0) {  // the odometer: the rightmost pool turns fastest
      std::int64_t next = at[k].as_int() + 1;
      if (next < static_cast<std::int64_t>(pools[k].as<TupleObj>()->items.size())) {
        at[k] = Value::integer(next);
        break;
      }
      at[k] = Value::integer(0);
    }
    if (k == static_cast<std::size_t>(-1)) {  // every pool wrapped around: done, and stays done
      at.clear();
      return std::nullopt;
    }
  }
  ++self.pos;
  std::vector<Value> row;
  row.reserve(pools.size());
  for (std::size_t k = 0; k < pools.size(); ++k) row.push_back(pools[k].as<TupleObj>()->items[static_cast<std::size_t>(at[k].as_int())]);
  return make_tuple(std::move(row));
}

// count: {next value, step}.
std::optional<Value> count_next(Interpreter& in, IteratorObj& self) {
  Value v = self.items[0];
  self.items[0] = in.binary("+", v, self.items[1]);
  return v;
}

// cycle: {iterator (None once exhausted), list of the items seen}; pos walks the list after.
std::optional<Value> cycle_next(Interpreter& in, IteratorObj& self) {
  auto& seen = self.items[1].as<ListObj>()->items;
  if (!self.items[0].is_none()) {
    if (std::optional<Value> v = in.next_item(self.items[0])) {
      in.charge_items(1, "itertools.cycle");
      seen.push_back(*v);
      return v;
    }
    self.items[0] = Value();
  }
  if (seen.empty()) return std::nullopt;
  return seen[self.pos++ % seen.size()];
}

// repeat: {object, times left (None: endless)}.
std::optional<Value> repeat_next(Interpreter&, IteratorObj& self) {
  if (!self.items[1].is_none()) {
    std::int64_t left = self.items[1].as_int();
    if (left <= 0) return std::nullopt;
    self.items[1] = Value::integer(left - 1);
  }
  return self.items[0];
}

// islice: {iterator, index of the next item to give, stop (None: no end), step}; pos counts the
// items taken from the iterator.
std::optional<Value> islice_next(Interpreter& in, IteratorObj& self) {
  std::int64_t wanted = self.items[1].as_int();
  if (!self.items[2].is_none() && wanted >= self.items[2].as_int()) return std::nullopt;
  while (std::optional<Value> v = in.next_item(self.items[0])) {
    if (static_cast<std::int64_t>(self.pos++) != wanted) continue;
    self.items[1] = Value::integer(wanted + self.items[3].as_int());
    return v;
  }
  self.items[2] = Value::integer(0);  // exhausted: CPython does not ask the iterator again
  return std::nullopt;
}

// takewhile: {predicate, iterator}; pos becomes 1 at the first item failing the predicate.
std::optional<Value> takewhile_next(Interpreter& in, IteratorObj& self) {
  if (self.pos != 0) return std::nullopt;
  std::optional<Value> v = in.next_item(self.items[1]);
  if (v && in.truthy(in.call(self.items[0], CallArgs{{*v}, {}}))) return v;
  self.pos = 1;
  return std::nullopt;
}

// dropwhile: {predicate, iterator}; pos becomes 1 at the first item failing the predicate.
std::optional<Value> dropwhile_next(Interpreter& in, IteratorObj& self) {
  while (std::optional<Value> v = in.next_item(self.items[1])) {
    if (self.pos != 0 || !in.truthy(in.call(self.items[0], CallArgs{{*v}, {}}))) {
      self.pos = 1;
      return v;
    }
  }
  return std::nullopt;
}

Value lazy(std::vector<Value> state, IteratorObj::NextFn next) {
  return Value::object(std::make_shared<IteratorObj>(std::move(state), next));
}

// An islice bound: None or an int from 0, as CPython requires.
void check_slice_bound(Interpreter& in, const Value& v, const char* message) {
  if (!v.is_none() && (!v.is_int() || v.as_big().negative())) in.raise("ValueError", message);
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
    std::vector<Value> pools;
    for (std::int64_t r = 0; r < repeat; ++r) {
      for (auto& s : a.positional) pools.push_back(make_tuple(i.iterate(s)));
    }
    return lazy({make_tuple(std::move(pools)), make_list({})}, product_next);
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
  def("count", [](Interpreter&, CallArgs& a) {
    return lazy({native_arg_or(a, 0, "start", Value::integer(0)), native_arg_or(a, 1, "step", Value::integer(1))}, count_next);
  });
  def("cycle", [](Interpreter& i, CallArgs& a) {
    return lazy({i.iter(native_required(i, a, 0, "iterable")), make_list({})}, cycle_next);
  });
  def("repeat", [](Interpreter& i, CallArgs& a) {
    return lazy({native_required(i, a, 0, "object"), native_arg_or(a, 1, "times", Value::none())}, repeat_next);
  });
  def("islice", [](Interpreter& i, CallArgs& a) -> Value {
    Value it = i.iter(native_required(i, a, 0, "iterable"));
    const char* bad = "Indices for islice() must be None or an integer: 0 <= x <= sys.maxsize.";
    Value start = Value::integer(0), stop = a.positional.size() > 1 ? a.positional[1] : Value(), step = Value::integer(1);
    if (a.positional.size() > 2) {
      start = a.positional[1].is_none() ? Value::integer(0) : a.positional[1];
      stop = a.positional[2];
      if (a.positional.size() > 3 && !a.positional[3].is_none()) step = a.positional[3];
    }
    check_slice_bound(i, start, bad);
    check_slice_bound(i, stop, bad);
    if (!step.is_int() || step.as_int() < 1) i.raise("ValueError", "Step for islice() must be a positive integer or None.");
    return lazy({std::move(it), std::move(start), std::move(stop), std::move(step)}, islice_next);
  });
  def("takewhile", [](Interpreter& i, CallArgs& a) {
    return lazy({native_required(i, a, 0, "predicate"), i.iter(native_required(i, a, 1, "iterable"))}, takewhile_next);
  });
  def("dropwhile", [](Interpreter& i, CallArgs& a) {
    return lazy({native_required(i, a, 0, "predicate"), i.iter(native_required(i, a, 1, "iterable"))}, dropwhile_next);
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
  // filterfalse tests each item with the predicate, in order.
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
