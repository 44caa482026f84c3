// numpy, the subset model constructors use to compute sizes and schedules: scalar math (a
// Python number in, a Python float or int out, which is what numpy's scalars behave like
// there), and small arrays (abstract tensors that carry their values) from linspace, arange,
// array and cumsum. Everything else in numpy is an Unknown.
#include <cmath>

#include <fmt/format.h>

#include "interp/modules/modules.h"

namespace ckg::interp::modules {
namespace {

constexpr std::int64_t kMaxElements = 1 << 16;  // larger arrays keep their shape only

using Shape = std::vector<std::int64_t>;

Value array(Interpreter& in, Shape shape, const std::string& dtype, std::optional<std::vector<double>> values) {
  Value t = in.new_tensor(std::move(shape), dtype);
  if (values && static_cast<std::int64_t>(values->size()) <= kMaxElements) t.as<TensorObj>()->values = std::move(values);
  return t;
}

// Flattens a number or a nested list/tuple of numbers; false when it is anything else.
bool flatten(Interpreter& in, const Value& v, Shape& shape, std::size_t depth, std::vector<double>& out, bool& all_int) {
  if (v.is_number()) {
    if (depth != shape.size()) return false;
    if (v.is_float()) all_int = false;
    out.push_back(v.as_float());
    return true;
  }
  if (auto* t = v.as<TensorObj>(); t && t->values && t->shape) {
    if (t->dtype.find("int") == std::string::npos) all_int = false;
    if (depth == shape.size()) shape.insert(shape.end(), t->shape->begin(), t->shape->end());
    out.insert(out.end(), t->values->begin(), t->values->end());
    return true;
  }
  if (!v.as<ListObj>() && !v.as<TupleObj>()) return false;
  auto items = in.iterate(v);
  if (depth == shape.size()) shape.push_back(static_cast<std::int64_t>(items.size()));
  else if (depth > shape.size() || shape[depth] != static_cast<std::int64_t>(items.size())) return false;
  for (auto& x : items) {
    if (!flatten(in, x, shape, depth + 1, out, all_int)) return false;
  }
  return true;
}

// An array argument: a tensor with values, or numbers in (nested) lists.
struct ArrayArg {
  Shape shape;
  std::vector<double> values;
  bool all_int = true;
  bool ok = false;
};

ArrayArg array_arg(Interpreter& in, const Value& v) {
  ArrayArg a;
  if (auto* t = v.as<TensorObj>()) {
    if (!t->values || !t->shape) return a;
    a.shape = *t->shape;
    a.values = *t->values;
    a.all_int = t->dtype.find("int") != std::string::npos || t->dtype == "bool";
    a.ok = true;
    return a;
  }
  a.ok = flatten(in, v, a.shape, 0, a.values, a.all_int);
  return a;
}

Value scalar(double x, bool as_int) {
  return as_int ? Value::integer(static_cast<std::int64_t>(x)) : Value::floating(x);
}

}  // namespace

void install_numpy(Interpreter& in, ModuleNs& ns) {
  auto def = [&](const char* name, NativeFn fn) { in.set_global(&ns, name, in.builtin(std::string("numpy.") + name, std::move(fn))); };
  in.set_global(&ns, "pi", Value::floating(M_PI));
  in.set_global(&ns, "e", Value::floating(M_E));
  in.set_global(&ns, "inf", Value::floating(INFINITY));
  in.set_global(&ns, "newaxis", Value::none());

  // Element-wise math: numbers give Python floats, arrays give float64 arrays.
  const std::pair<const char*, double (*)(double)> unary[] = {
      {"log", [](double x) { return std::log(x); }},   {"log2", [](double x) { return std::log2(x); }},
      {"log10", [](double x) { return std::log10(x); }}, {"sqrt", [](double x) { return std::sqrt(x); }},
      {"exp", [](double x) { return std::exp(x); }},   {"ceil", [](double x) { return std::ceil(x); }},
      {"floor", [](double x) { return std::floor(x); }}, {"sin", [](double x) { return std::sin(x); }},
      {"cos", [](double x) { return std::cos(x); }},   {"tanh", [](double x) { return std::tanh(x); }},
      {"abs", [](double x) { return std::fabs(x); }},
  };
  for (const auto& entry : unary) {
    std::string n = entry.first;
    auto f = entry.second;  // a copy: lambdas cannot capture structured bindings before C++20
    def(entry.first, [f, n](Interpreter& i, CallArgs& a) -> Value {
      const Value& x = native_required(i, a, 0, "x");
      if (is_unknown(x)) return x;
      if (x.is_number()) {
        if (n == "abs" && x.is_int()) return Value::integer(std::llabs(x.as_int()));
        return Value::floating(f(x.as_float()));
      }
      ArrayArg arr = array_arg(i, x);
      if (!arr.ok) return i.unknown(fmt::format("numpy.{} of a value ckptguard does not track", n));
      for (double& v : arr.values) v = f(v);
      bool keep_int = n == "abs" && arr.all_int;
      return array(i, arr.shape, keep_int ? "int64" : "float64", std::move(arr.values));
    });
  }
  for (const char* name : {"prod", "sum"}) {
    bool product = std::string(name) == "prod";
    def(name, [product, name](Interpreter& i, CallArgs& a) -> Value {
      const Value& x = native_required(i, a, 0, "a");
      if (is_unknown(x)) return x;
      if (a.positional.size() > 1 || a.keyword("axis")) return i.unknown(fmt::format("numpy.{} along an axis", name));
      ArrayArg arr = array_arg(i, x);
      if (!arr.ok) return i.unknown(fmt::format("numpy.{} of a value ckptguard does not track", name));
      double acc = product ? 1 : 0;
      for (double v : arr.values) acc = product ? acc * v : acc + v;
      return scalar(acc, arr.all_int);
    });
  }
  def("mean", [](Interpreter& i, CallArgs& a) -> Value {
    ArrayArg arr = array_arg(i, native_required(i, a, 0, "a"));
    if (!arr.ok || arr.values.empty() || a.positional.size() > 1) return i.unknown("numpy.mean of a value ckptguard does not track");
    double acc = 0;
    for (double v : arr.values) acc += v;
    return Value::floating(acc / static_cast<double>(arr.values.size()));
  });
  def("cumsum", [](Interpreter& i, CallArgs& a) -> Value {
    ArrayArg arr = array_arg(i, native_required(i, a, 0, "a"));
    if (!arr.ok || a.positional.size() > 1 || a.keyword("axis")) return i.unknown("numpy.cumsum of a value ckptguard does not track");
    double acc = 0;
    for (double& v : arr.values) v = acc += v;
    Shape shape{static_cast<std::int64_t>(arr.values.size())};
    return array(i, shape, arr.all_int ? "int64" : "float64", std::move(arr.values));
  });
  def("linspace", [](Interpreter& i, CallArgs& a) -> Value {
    const Value& start_v = native_required(i, a, 0, "start");
    const Value& stop_v = native_required(i, a, 1, "stop");
    const Value& num = native_arg_or(a, 2, "num", Value::integer(50));
    if (!start_v.is_number() || !stop_v.is_number() || !num.is_int()) return i.unknown("numpy.linspace of values ckptguard does not track");
    bool endpoint = native_arg_or(a, 3, "endpoint", Value::boolean(true)).as_bool();
    double start = start_v.as_float(), stop = stop_v.as_float();
    std::int64_t n = num.as_int();
    if (n < 0) i.raise("ValueError", fmt::format("Number of samples, {}, must be non-negative.", n));
    std::int64_t div = endpoint ? n - 1 : n;
    // numpy: step = (stop - start) / div, values start + k * step, the last one set to stop.
    std::vector<double> values;
    double step = div > 0 ? (stop - start) / static_cast<double>(div) : 0;
    for (std::int64_t k = 0; k < n; ++k) values.push_back(div > 0 ? start + static_cast<double>(k) * step : start);
    if (endpoint && n > 1) values.back() = stop;
    return array(i, Shape{n}, "float64", n <= kMaxElements ? std::optional(std::move(values)) : std::nullopt);
  });
  def("arange", [](Interpreter& i, CallArgs& a) -> Value {
    std::vector<Value> args = a.positional;
    for (auto& v : args) if (!v.is_number()) return i.unknown("numpy.arange of values ckptguard does not track");
    if (args.empty()) i.raise("TypeError", "arange() requires stop to be specified.");
    double start = 0, stop, step = 1;
    if (args.size() == 1) stop = args[0].as_float();
    else { start = args[0].as_float(); stop = args[1].as_float(); if (args.size() > 2) step = args[2].as_float(); }
    bool all_int = std::all_of(args.begin(), args.end(), [](const Value& v) { return v.is_int(); });
    std::int64_t n = std::max<std::int64_t>(static_cast<std::int64_t>(std::ceil((stop - start) / step)), 0);
    std::vector<double> values;
    if (n <= kMaxElements) for (std::int64_t k = 0; k < n; ++k) values.push_back(start + static_cast<double>(k) * step);
    return array(i, Shape{n}, all_int ? "int64" : "float64", n <= kMaxElements ? std::optional(std::move(values)) : std::nullopt);
  });
  for (const char* name : {"array", "asarray"}) {
    def(name, [](Interpreter& i, CallArgs& a) -> Value {
      ArrayArg arr = array_arg(i, native_required(i, a, 0, "object"));
      if (!arr.ok || a.positional.size() > 1 || a.keyword("dtype")) return i.unknown("numpy.array of a value ckptguard does not track");
      return array(i, arr.shape, arr.all_int ? "int64" : "float64", std::move(arr.values));
    });
  }
}

}  // namespace ckg::interp::modules
