// The `itertools` module: chain, product, accumulate, repeat, islice, combinations. Iterators
// are materialised lists here, so product builds its rows directly (a million-row product is
// a few hundred milliseconds); unbounded ones (count, cycle, repeat without times) are Unknown.
#include <algorithm>

#include "interp/modules/modules.h"

namespace ckg::interp::modules {

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
  def("repeat", [](Interpreter& i, CallArgs& a) {
    const Value* times = native_arg(a, 1, "times");
    if (!times) return i.unknown("unbounded itertools.repeat");
    return make_list(std::vector<Value>(static_cast<std::size_t>(std::max<std::int64_t>(0, times->as_int())), native_required(i, a, 0, "object")));
  });
  def("islice", [](Interpreter& i, CallArgs& a) -> Value {
    auto items = i.iterate(native_required(i, a, 0, "iterable"));
    std::vector<Value> bounds(a.positional.begin() + 1, a.positional.end());
    std::int64_t start = 0, stop = static_cast<std::int64_t>(items.size()), step = 1;
    auto num = [&](const Value& v, std::int64_t fallback) { return v.is_none() ? fallback : v.as_int(); };
    if (bounds.size() == 1) stop = std::min(stop, num(bounds[0], stop));
    else if (bounds.size() >= 2) {
      start = num(bounds[0], 0);
      stop = std::min(stop, num(bounds[1], stop));
      if (bounds.size() > 2) step = num(bounds[2], 1);
    }
    std::vector<Value> out;
    for (std::int64_t k = start; k < stop; k += step) out.push_back(items[static_cast<std::size_t>(k)]);
    return make_list(std::move(out));
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
