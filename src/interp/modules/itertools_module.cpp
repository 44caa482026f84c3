// The `itertools` module: chain, product, accumulate, combinations, whose results are built as
// lists (a million-row product is a few hundred milliseconds), and count, cycle, repeat, islice,
// takewhile and dropwhile, lazy iterators: they may be endless, or run a generator only as far
// as it is consumed.
#include <algorithm>

#include "interp/modules/modules.h"

namespace ckg::interp::modules {

namespace {

// Each lazy iterator's state is in IteratorObj::items, as listed.
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
  def("chain", [](Interpreter& i, CallArgs& a) {
    std::vector<Value> out;
    for (auto& s : a.positional) for (auto& v : i.iterate(s)) out.push_back(v);
    return make_list(std::move(out));
  });
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
    std::vector<Value> out;
    if (r < 0 || static_cast<std::size_t>(r) > pool.size()) return make_list({});
    std::vector<std::size_t> idx(static_cast<std::size_t>(r));
    for (std::size_t k = 0; k < idx.size(); ++k) idx[k] = k;
    while (true) {
      std::vector<Value> row;
      for (auto k : idx) row.push_back(pool[k]);
      out.push_back(make_tuple(std::move(row)));
      std::size_t k = idx.size();
      while (k > 0 && idx[k - 1] == k - 1 + pool.size() - idx.size()) --k;
      if (k == 0) break;
      ++idx[k - 1];
      for (std::size_t j = k; j < idx.size(); ++j) idx[j] = idx[j - 1] + 1;
    }
    return make_list(std::move(out));
  });
}

}  // namespace ckg::interp::modules
