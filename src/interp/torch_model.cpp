// The torch model: dtypes, abstract tensors with shape inference, tensor factories, and the
// torch.nn namespace (native Module/containers plus the embedded layer catalogue).
#include <algorithm>
#include <cmath>
#include <string_view>

#include <fmt/format.h>

#include "interp/interpreter.h"
#include "interp/torch_inventory.h"
#include "parse/syntax.h"

namespace ckg::embedded {
extern const std::string_view torch_nn_catalogue;
extern const std::string_view torch_nn_load_catalogue;
extern const std::string_view torch_nn_utils_catalogue;
}

namespace ckg::interp {

void install_nn_module_natives(Interpreter& in, ModuleNs* nn);

namespace {

using Shape = std::vector<std::int64_t>;
using MaybeShape = std::optional<Shape>;

const char* const kDtypeAliases[][2] = {
    {"float32", "float32"}, {"float", "float32"},   {"float64", "float64"}, {"double", "float64"},
    {"float16", "float16"}, {"half", "float16"},    {"bfloat16", "bfloat16"}, {"int64", "int64"},
    {"long", "int64"},      {"int32", "int32"},     {"int", "int32"},       {"int16", "int16"},
    {"short", "int16"},     {"int8", "int8"},       {"uint8", "uint8"},     {"bool", "bool"},
    {"complex64", "complex64"}, {"cfloat", "complex64"}, {"complex128", "complex128"}, {"cdouble", "complex128"},
    {"qint8", "qint8"},     {"quint8", "quint8"},   {"qint32", "qint32"}};

bool is_float_dtype(const std::string& d) { return d == "float32" || d == "float64" || d == "float16" || d == "bfloat16"; }

TensorObj* tensor(const Value& v) { return v.as<TensorObj>(); }

std::int64_t dim_of(const Value& v) {
  if (v.is_int()) return v.as_int();
  return kUnknownDim;
}

// A product past int64 is no size torch could allocate either: unknown, never a wrapped value.
std::int64_t mul_dims(std::int64_t a, std::int64_t b) {
  std::int64_t n = 0;
  return a == kUnknownDim || b == kUnknownDim || __builtin_mul_overflow(a, b, &n) ? kUnknownDim : n;
}

// Reads a size given as separate ints, one tuple/list/torch.Size, or a `size=` keyword.
MaybeShape size_args(Interpreter& in, const CallArgs& a, std::size_t first, const char* keyword = "size") {
  std::vector<Value> dims;
  if (first < a.positional.size()) {
    const Value& v = a.positional[first];
    if (v.as<TupleObj>() || v.as<ListObj>()) dims = in.iterate(v);
    else dims.assign(a.positional.begin() + static_cast<std::ptrdiff_t>(first), a.positional.end());
  } else if (const Value* s = a.keyword(keyword)) {
    if (is_unknown(*s)) return std::nullopt;
    dims = s->is_int() ? std::vector<Value>{*s} : in.iterate(*s);
  }
  Shape shape;
  for (auto& d : dims) {
    if (is_unknown(d)) return std::nullopt;
    if (!d.is_int() && !d.as<TensorObj>()) in.raise("TypeError", fmt::format("size must be ints, got {}", type_name(d)));
    std::int64_t n = dim_of(d);
    if (n < 0 && n != kUnknownDim) in.raise("RuntimeError", fmt::format("Trying to create tensor with negative dimension {}", n));
    shape.push_back(n);
  }
  return shape;
}

std::string dtype_arg(const CallArgs& a, const std::string& fallback) {
  if (const Value* d = a.keyword("dtype")) {
    if (auto* dt = d->as<DtypeObj>()) return dt->name;
  }
  return fallback;
}

std::int64_t norm_dim(Interpreter& in, std::int64_t d, std::size_t rank) {
  std::int64_t r = static_cast<std::int64_t>(rank);
  if (d < 0) d += r;
  if (d < 0 || d >= std::max<std::int64_t>(r, 1)) in.raise("IndexError", fmt::format("Dimension out of range (expected to be in range of [{}, {}], but got {})", -r, r - 1, d));
  return d;
}

Shape broadcast(Interpreter& in, const Shape& a, const Shape& b) {
  Shape out(std::max(a.size(), b.size()), 1);
  for (std::size_t i = 0; i < out.size(); ++i) {
    std::int64_t x = i < out.size() - a.size() ? 1 : a[i - (out.size() - a.size())];
    std::int64_t y = i < out.size() - b.size() ? 1 : b[i - (out.size() - b.size())];
    if (x == kUnknownDim || y == kUnknownDim) out[i] = (x == 1) ? y : (y == 1 ? x : kUnknownDim);
    else if (x == y || y == 1) out[i] = x;
    else if (x == 1) out[i] = y;
    else in.raise("RuntimeError", fmt::format("The size of tensor a ({}) must match the size of tensor b ({}) at non-singleton dimension {}", x, y, i));
  }
  return out;
}

std::int64_t numel(const Shape& s) {
  std::int64_t n = 1;
  for (auto d : s) n = mul_dims(n, d);
  return n;
}

// view/reshape with one -1 inferred.
Shape reshape(Interpreter& in, const MaybeShape& from, const Shape& to) {
  Shape out = to;
  auto infer = std::find(out.begin(), out.end(), -1);
  if (infer != out.end()) {
    std::int64_t known = 1;
    bool unknown_dim = !from.has_value();
    for (auto it = out.begin(); it != out.end(); ++it) {
      if (*it == kUnknownDim && it != infer) unknown_dim = true;
    }
    for (std::size_t i = 0; i < out.size(); ++i) {
      if (out.begin() + static_cast<std::ptrdiff_t>(i) != infer) known = mul_dims(known, out[i]);
    }
    std::int64_t total = from ? numel(*from) : kUnknownDim;
    if (unknown_dim || known == kUnknownDim || total == kUnknownDim || known == 0) *infer = kUnknownDim;
    else {
      if (total % known != 0) in.raise("RuntimeError", "shape is invalid for input size");
      *infer = total / known;
    }
  }
  return out;
}

Value make_tensor(Interpreter& in, MaybeShape shape, std::string dtype) { return in.new_tensor(std::move(shape), std::move(dtype)); }

// ---- concrete values ----------------------------------------------------------------------
// Small tensors computed from constants (e.g. RegNet's width schedule, computed with torch ops
// and read back with .tolist()) carry their element values, rounded to their dtype after every
// operation so that float32 arithmetic matches torch's.
constexpr std::int64_t kMaxTrackedElements = 1 << 14;

bool is_int_dtype(const std::string& d) { return d == "int64" || d == "int32" || d == "int16" || d == "int8" || d == "uint8"; }

void round_to_dtype(std::vector<double>& values, const std::string& dtype) {
  for (double& v : values) {
    if (dtype == "float32") v = static_cast<double>(static_cast<float>(v));
    else if (is_int_dtype(dtype)) v = std::trunc(v);
    else if (dtype == "bool") v = v != 0 ? 1 : 0;
  }
}

Value with_values(Interpreter& in, const Shape& shape, const std::string& dtype, std::vector<double> values) {
  Value t = in.new_tensor(shape, dtype);
  round_to_dtype(values, dtype);
  t.as<TensorObj>()->values = std::move(values);
  return t;
}

// Element values of a tensor or a Python number; nullopt when not tracked.
std::optional<std::vector<double>> values_of(const Value& v) {
  if (auto* t = tensor(v)) return t->values;
  if (v.is_number()) return std::vector<double>{v.as_float()};
  return std::nullopt;
}

double apply_unary(const std::string& op, double x, const std::string& dtype) {
  bool f32 = dtype == "float32";
  auto f = [&](double (*dbl)(double), float (*flt)(float)) { return f32 ? static_cast<double>(flt(static_cast<float>(x))) : dbl(x); };
  if (op == "log") return f(std::log, std::log);
  if (op == "exp") return f(std::exp, std::exp);
  if (op == "sqrt") return f(std::sqrt, std::sqrt);
  if (op == "log2") return f(std::log2, std::log2);
  if (op == "abs") return std::fabs(x);
  if (op == "neg") return -x;
  if (op == "floor") return std::floor(x);
  if (op == "ceil") return std::ceil(x);
  if (op == "round") return std::nearbyint(x);  // half to even, as torch.round
  if (op == "sign") return x > 0 ? 1 : x < 0 ? -1 : 0;
  if (op == "reciprocal") return 1.0 / x;
  if (op == "square") return x * x;
  if (op == "relu") return x > 0 ? x : 0;
  return std::nan("");
}

double apply_binary(const std::string& op, double x, double y, const std::string& compute_dtype) {
  if (compute_dtype == "float32") {
    float a = static_cast<float>(x), b = static_cast<float>(y);
    if (op == "+") return a + b;
    if (op == "-") return a - b;
    if (op == "*") return a * b;
    if (op == "/") return a / b;
    if (op == "//") return std::floor(a / b);
    if (op == "**") return std::pow(a, b);
    if (op == "%") { float r = std::fmod(a, b); return (r != 0 && ((r < 0) != (b < 0))) ? r + b : r; }
  } else {
    if (op == "+") return x + y;
    if (op == "-") return x - y;
    if (op == "*") return x * y;
    if (op == "/") return x / y;
    if (op == "//") return std::floor(x / y);
    if (op == "**") return std::pow(x, y);
    if (op == "%") { double r = std::fmod(x, y); return (r != 0 && ((r < 0) != (y < 0))) ? r + y : r; }
  }
  if (op == "<") return x < y;
  if (op == "<=") return x <= y;
  if (op == ">") return x > y;
  if (op == ">=") return x >= y;
  if (op == "==") return x == y;
  if (op == "!=") return x != y;
  return std::nan("");
}

// Element-wise binary op with broadcasting over tracked values.
std::optional<std::vector<double>> broadcast_values(const std::string& op, const Shape& sa, const std::vector<double>& va,
                                                    const Shape& sb, const std::vector<double>& vb, const Shape& out,
                                                    const std::string& compute_dtype) {
  std::int64_t n = numel(out);
  if (n == kUnknownDim || n > kMaxTrackedElements) return std::nullopt;
  auto strides_for = [&](const Shape& s) {
    Shape st(out.size(), 0);
    std::int64_t stride = 1;
    for (std::size_t k = s.size(); k-- > 0;) {
      std::size_t o = k + out.size() - s.size();
      st[o] = s[k] == 1 ? 0 : stride;
      stride *= s[k];
    }
    return st;
  };
  Shape ta = strides_for(sa), tb = strides_for(sb);
  std::vector<double> result(static_cast<std::size_t>(n));
  for (std::int64_t i = 0; i < n; ++i) {
    std::int64_t rem = i, ia = 0, ib = 0;
    for (std::size_t k = out.size(); k-- > 0;) {
      std::int64_t idx = rem % out[k];
      rem /= out[k];
      ia += idx * ta[k];
      ib += idx * tb[k];
    }
    result[static_cast<std::size_t>(i)] = apply_binary(op, va[static_cast<std::size_t>(ia)], vb[static_cast<std::size_t>(ib)], compute_dtype);
  }
  return result;
}

Value like(Interpreter& in, const Value& t, std::optional<std::string> dtype = std::nullopt) {
  auto* src = tensor(t);
  std::string d = dtype ? *dtype : (src ? src->dtype : "float32");
  if (src && src->values && src->shape) return with_values(in, *src->shape, d, *src->values);
  return make_tensor(in, src ? src->shape : std::nullopt, d);
}

// The values `parts` (ints, slices and None only) select from a tensor, in row-major order;
// nullopt for any other index.
std::optional<std::vector<double>> indexed_values(Interpreter& in, const Shape& shape, const std::vector<double>& values,
                                                   const std::vector<Value>& parts) {
  std::vector<std::vector<std::int64_t>> picks;
  std::size_t d = 0;
  for (auto& p : parts) {
    if (p.is_none()) continue;
    if (d >= shape.size()) return std::nullopt;
    std::int64_t size = shape[d++];
    if (p.is_int()) picks.push_back({p.as_int() < 0 ? p.as_int() + size : p.as_int()});
    else if (auto* sl = p.as<SliceObj>(); sl && !is_unknown(sl->start) && !is_unknown(sl->stop) && !is_unknown(sl->step)) {
      std::vector<std::int64_t> idx;
      for (auto k : slice_indices(in, *sl, static_cast<std::size_t>(size))) idx.push_back(static_cast<std::int64_t>(k));
      picks.push_back(std::move(idx));
    } else {
      return std::nullopt;
    }
  }
  for (; d < shape.size(); ++d) {
    std::vector<std::int64_t> all(static_cast<std::size_t>(shape[d]));
    for (std::int64_t k = 0; k < shape[d]; ++k) all[static_cast<std::size_t>(k)] = k;
    picks.push_back(std::move(all));
  }
  std::vector<double> out;
  std::vector<std::size_t> at(picks.size(), 0);
  if (std::any_of(picks.begin(), picks.end(), [](auto& p) { return p.empty(); })) return out;
  while (true) {
    std::int64_t flat = 0;
    for (std::size_t k = 0; k < picks.size(); ++k) flat = flat * shape[k] + picks[k][at[k]];
    out.push_back(values.at(static_cast<std::size_t>(flat)));
    std::size_t k = picks.size();
    while (k > 0 && ++at[k - 1] == picks[k - 1].size()) at[--k] = 0;
    if (k == 0) break;
  }
  return out;
}

// torch.linspace's values: torch computes them in the tensor's dtype from both ends.
std::vector<double> linspace_values(double start, double end, std::int64_t steps, const std::string& dtype) {
  std::vector<double> out;
  if (steps == 1) return {start};
  std::int64_t halfway = steps / 2;
  if (dtype == "float32") {
    float s = static_cast<float>(start), e = static_cast<float>(end), step = (e - s) / static_cast<float>(steps - 1);
    for (std::int64_t k = 0; k < steps; ++k) out.push_back(k < halfway ? s + step * static_cast<float>(k) : e - step * static_cast<float>(steps - k - 1));
  } else {
    double step = (end - start) / static_cast<double>(steps - 1);
    for (std::int64_t k = 0; k < steps; ++k) out.push_back(k < halfway ? start + step * static_cast<double>(k) : end - step * static_cast<double>(steps - k - 1));
  }
  return out;
}

// Pieces of `self` along `dim` with the given sizes (split, chunk, unbind), values included.
Value split_pieces(Interpreter& in, const TensorObj& t, const std::vector<std::int64_t>& sizes, std::int64_t dim, bool squeeze) {
  const Shape& shape = *t.shape;
  std::int64_t outer = 1, inner = 1, size = shape[static_cast<std::size_t>(dim)];
  for (std::int64_t k = 0; k < dim; ++k) outer *= shape[static_cast<std::size_t>(k)];
  for (std::size_t k = static_cast<std::size_t>(dim) + 1; k < shape.size(); ++k) inner *= shape[k];
  std::vector<Value> pieces;
  std::int64_t begin = 0;
  for (std::int64_t n : sizes) {
    Shape piece = shape;
    if (squeeze) piece.erase(piece.begin() + dim);
    else piece[static_cast<std::size_t>(dim)] = n;
    if (t.values) {
      std::vector<double> v;
      for (std::int64_t o = 0; o < outer; ++o)
        for (std::int64_t k = begin; k < begin + n; ++k)
          for (std::int64_t j = 0; j < inner; ++j) v.push_back((*t.values)[static_cast<std::size_t>((o * size + k) * inner + j)]);
      pieces.push_back(with_values(in, piece, t.dtype, std::move(v)));
    } else {
      pieces.push_back(make_tensor(in, piece, t.dtype));
    }
    begin += n;
  }
  return make_tuple(std::move(pieces));
}

Value values_to_list(const Shape& shape, const std::vector<double>& values, const std::string& dtype, std::size_t dim, std::size_t& pos) {
  auto scalar = [&](double v) { return is_int_dtype(dtype) ? Value::integer(static_cast<std::int64_t>(v)) : dtype == "bool" ? Value::boolean(v != 0) : Value::floating(v); };
  if (dim == shape.size()) return scalar(values[pos++]);
  std::vector<Value> items;
  for (std::int64_t k = 0; k < shape[dim]; ++k) items.push_back(values_to_list(shape, values, dtype, dim + 1, pos));
  return make_list(std::move(items));
}

// Shape of nested Python sequences, for torch.tensor(data).
MaybeShape literal_shape(Interpreter& in, const Value& v, std::string& dtype, std::vector<double>& values) {
  if (v.is_bool()) { if (dtype.empty()) dtype = "bool"; values.push_back(v.as_bool()); return Shape{}; }
  if (v.is_int()) { if (dtype.empty() || dtype == "bool") dtype = "int64"; values.push_back(static_cast<double>(v.as_int())); return Shape{}; }
  if (v.is_float()) { dtype = "float32"; values.push_back(v.as_float()); return Shape{}; }
  if (auto* t = tensor(v)) { if (dtype.empty()) dtype = t->dtype; return t->shape; }
  if (v.as<ListObj>() || v.as<TupleObj>()) {
    NestingGuard guard(v.obj().get());
    if (guard.cycle()) in.raise("RecursionError", "maximum recursion depth exceeded: the data holds itself");
    auto items = in.iterate(v);
    MaybeShape inner = Shape{};
    for (std::size_t i = 0; i < items.size(); ++i) {
      MaybeShape s = literal_shape(in, items[i], dtype, values);
      if (i == 0) inner = s;
    }
    if (!inner) return std::nullopt;
    Shape out{static_cast<std::int64_t>(items.size())};
    out.insert(out.end(), inner->begin(), inner->end());
    if (items.empty() && dtype.empty()) dtype = "float32";
    return out;
  }
  return std::nullopt;
}

Value shape_tuple(const MaybeShape& s, Interpreter& in) {
  if (!s) return in.unknown("tensor shape is unknown");
  std::vector<Value> dims;
  for (auto d : *s) dims.push_back(d == kUnknownDim ? in.unknown("tensor dimension is unknown") : Value::integer(d));
  return make_tuple(std::move(dims));
}

Value reduce(Interpreter& in, const Value& self, const CallArgs& a, const std::string& dtype) {
  auto* t = tensor(self);
  const Value* dim = a.positional.size() > 1 ? &a.positional[1] : a.keyword("dim");
  bool keepdim = a.keyword("keepdim") && in.truthy(*a.keyword("keepdim"));
  if (a.positional.size() > 2 && a.positional[2].is_bool()) keepdim = a.positional[2].as_bool();
  if (!dim || dim->is_none() || !t->shape) return make_tensor(in, dim && !dim->is_none() ? std::nullopt : MaybeShape(Shape{}), dtype);
  std::vector<std::int64_t> dims;
  if (dim->is_int()) dims.push_back(norm_dim(in, dim->as_int(), t->shape->size()));
  else for (auto& d : in.iterate(*dim)) dims.push_back(norm_dim(in, d.as_int(), t->shape->size()));
  Shape out;
  for (std::size_t i = 0; i < t->shape->size(); ++i) {
    bool reduced = std::find(dims.begin(), dims.end(), static_cast<std::int64_t>(i)) != dims.end();
    if (!reduced) out.push_back((*t->shape)[i]);
    else if (keepdim) out.push_back(1);
  }
  return make_tensor(in, out, dtype);
}

Shape ints_from(Interpreter& in, const CallArgs& a, std::size_t first) {
  MaybeShape s = size_args(in, a, first);
  return s ? *s : Shape{};
}

}  // namespace

Value Interpreter::new_tensor(std::optional<std::vector<std::int64_t>> shape, std::string dtype) {
  auto t = std::make_shared<TensorObj>();
  t->shape = std::move(shape);
  t->dtype = std::move(dtype);
  return Value::object(t);
}

Value Interpreter::tensor_binary(const std::string& op, const Value& a, const Value& b) {
  auto shape_of = [](const Value& v) -> MaybeShape {
    if (auto* t = v.as<TensorObj>()) return t->shape;
    return Shape{};
  };
  auto dtype_of = [](const Value& v) -> std::string {
    if (auto* t = v.as<TensorObj>()) return t->dtype;
    if (v.is_float()) return "float32";
    if (v.is_bool()) return "bool";
    return "int64";
  };
  for (const Value* v : {&a, &b}) {
    if (!v->as<TensorObj>() && !v->is_number()) {
      if (is_unknown(*v)) return *v;
      if (v->as<ListObj>() || v->as<TupleObj>()) continue;
      raise("TypeError", fmt::format("unsupported operand type(s) for {}: '{}' and '{}'", op, type_name(a), type_name(b)));
    }
  }
  MaybeShape sa = shape_of(a), sb = shape_of(b);
  std::string da = dtype_of(a), db = dtype_of(b);
  // Python scalars do not promote a tensor's dtype category beyond int -> float.
  std::string dtype;
  if (a.as<TensorObj>() && b.as<TensorObj>()) dtype = is_float_dtype(da) ? da : (is_float_dtype(db) ? db : da);
  else if (a.as<TensorObj>()) dtype = (is_float_dtype(da) || !b.is_float()) ? da : "float32";
  else dtype = (is_float_dtype(db) || !a.is_float()) ? db : "float32";
  if (dtype == "bool" && (op == "+" || op == "-" || op == "*")) dtype = a.as<TensorObj>() && b.as<TensorObj>() ? "bool" : "int64";
  static const char* comparisons[] = {"<", "<=", ">", ">=", "==", "!="};
  if (std::find(std::begin(comparisons), std::end(comparisons), op) != std::end(comparisons)) dtype = "bool";
  if (op == "/" && !is_float_dtype(dtype)) dtype = "float32";
  if (op == "@") {
    if (!sa || !sb || sa->empty() || sb->empty()) return make_tensor(*this, std::nullopt, dtype);
    Shape out;
    if (sa->size() == 1 && sb->size() == 1) return make_tensor(*this, Shape{}, dtype);
    if (sb->size() == 1) { out.assign(sa->begin(), sa->end() - 1); return make_tensor(*this, out, dtype); }
    if (sa->size() == 1) { out.assign(sb->begin(), sb->end() - 2); out.push_back(sb->back()); return make_tensor(*this, out, dtype); }
    Shape batch = broadcast(*this, Shape(sa->begin(), sa->end() - 2), Shape(sb->begin(), sb->end() - 2));
    batch.push_back((*sa)[sa->size() - 2]);
    batch.push_back(sb->back());
    return make_tensor(*this, batch, dtype);
  }
  if (!sa || !sb) return make_tensor(*this, std::nullopt, dtype);
  Shape out = broadcast(*this, *sa, *sb);
  auto va = values_of(a), vb = values_of(b);
  if (va && vb) {
    std::string compute = dtype == "bool" ? (is_float_dtype(da) || is_float_dtype(db) ? "float64" : "int64") : dtype;
    if (is_int_dtype(compute) && op == "/") compute = "float32";
    if (auto values = broadcast_values(op, *sa, *va, *sb, *vb, out, compute)) return with_values(*this, out, dtype, std::move(*values));
  }
  return make_tensor(*this, out, dtype);
}

Value Interpreter::tensor_getitem(const Value& self, const Value& key) {
  auto* t = tensor(self);
  if (!t->shape) return make_tensor(*this, std::nullopt, t->dtype);
  // t[i] of a tensor whose values are tracked keeps them (iterating a schedule, then .item())
  if (key.is_int() && t->values && !t->shape->empty() && (*t->shape)[0] > 0 && numel(*t->shape) != kUnknownDim) {
    std::int64_t rows = (*t->shape)[0], i = key.as_int() < 0 ? key.as_int() + rows : key.as_int();
    if (i >= 0 && i < rows) {
      Shape row(t->shape->begin() + 1, t->shape->end());
      std::int64_t width = numel(row);
      std::vector<double> values(t->values->begin() + i * width, t->values->begin() + (i + 1) * width);
      return with_values(*this, row, t->dtype, std::move(values));
    }
  }
  std::vector<Value> parts = key.as<TupleObj>() ? key.as<TupleObj>()->items : std::vector<Value>{key};
  const Shape& in_shape = *t->shape;
  // Expand an Ellipsis to the dimensions not otherwise indexed.
  std::size_t consuming = 0;
  for (auto& p : parts) {
    if (p.is_none()) continue;
    if (auto* inst = p.as<InstanceObj>(); inst && inst->cls->name == "ellipsis") continue;
    ++consuming;
  }
  Shape out;
  std::size_t d = 0;
  for (auto& p : parts) {
    if (p.is_none()) { out.push_back(1); continue; }
    if (auto* inst = p.as<InstanceObj>(); inst && inst->cls->name == "ellipsis") {
      std::size_t span = in_shape.size() >= consuming ? in_shape.size() - consuming : 0;
      for (std::size_t k = 0; k < span && d < in_shape.size(); ++k) out.push_back(in_shape[d++]);
      continue;
    }
    if (d >= in_shape.size()) raise("IndexError", fmt::format("too many indices for tensor of dimension {}", in_shape.size()));
    std::int64_t size = in_shape[d++];
    if (p.is_int()) {
      if (size != kUnknownDim && (p.as_int() >= size || p.as_int() < -size)) {
        raise("IndexError", fmt::format("index {} is out of bounds for dimension {} with size {}", p.as_int(), d - 1, size));
      }
      continue;
    }
    if (auto* s = p.as<SliceObj>()) {
      if (size == kUnknownDim || is_unknown(s->start) || is_unknown(s->stop)) out.push_back(kUnknownDim);
      else out.push_back(static_cast<std::int64_t>(slice_indices(*this, *s, static_cast<std::size_t>(size)).size()));
      continue;
    }
    if (auto* idx = tensor(p)) {
      if (idx->dtype == "bool") out.push_back(kUnknownDim);
      else if (idx->shape) out.insert(out.end(), idx->shape->begin(), idx->shape->end());
      else return make_tensor(*this, std::nullopt, t->dtype);
      continue;
    }
    if (p.as<ListObj>()) {
      out.push_back(static_cast<std::int64_t>(p.as<ListObj>()->items.size()));
      continue;
    }
    return make_tensor(*this, std::nullopt, t->dtype);
  }
  for (; d < in_shape.size(); ++d) out.push_back(in_shape[d]);
  if (t->values) {
    if (auto values = indexed_values(*this, in_shape, *t->values, parts)) return with_values(*this, out, t->dtype, std::move(*values));
  }
  return make_tensor(*this, out, t->dtype);
}

Value Interpreter::tensor_attr(const Value& self, const std::string& name) {
  auto* t = tensor(self);
  if (name == "shape") return shape_tuple(t->shape, *this);
  if (name == "dtype") return Value::object(std::make_shared<DtypeObj>(t->dtype));
  if (name == "ndim") return t->shape ? Value::integer(static_cast<std::int64_t>(t->shape->size())) : unknown("rank unknown");
  if (name == "data") return self;
  if (name == "requires_grad") return Value::boolean(t->requires_grad || t->is_parameter);
  if (name == "is_cuda") return Value::boolean(false);
  if (name == "device") return Value::string("cpu");
  if (name == "T") {
    MaybeShape s = t->shape;
    if (s) std::reverse(s->begin(), s->end());
    return make_tensor(*this, s, t->dtype);
  }
  if (name == "grad") return Value::none();
  Value cls_attr;
  if (const Value* v = (t->is_parameter ? parameter_class_ : tensor_class_)->lookup(name)) {
    return Value::object(std::make_shared<BoundMethodObj>(self, *v));
  }
  const char* real = t->is_parameter ? "torch.nn.Parameter" : "torch.Tensor";
  if (inventory::covers(real) && !inventory::has(real, name)) {
    raise("AttributeError", fmt::format("'{}' object has no attribute '{}'", t->is_parameter ? "Parameter" : "Tensor", name));
  }
  // What a tensor method returns is a tensor or a number, never a Module or a Parameter, except
  // the in-place ones, which return the tensor itself.
  return unknown(fmt::format("Tensor.{} is not modelled", name), !name.empty() && name.back() == '_');
}

void install_torch_model(Interpreter& in) {
  ModuleNs* torch = in.new_native_module("torch");
  in.set_global(torch, "__version__", Value::string("1.13.1"));
  for (auto& alias : kDtypeAliases) in.set_global(torch, alias[0], Value::object(std::make_shared<DtypeObj>(alias[1])));
  auto cls_value = [](ClassObj* c) { return Value::object(ObjPtr(ObjPtr(), c)); };

  ClassObj* tensor_cls = in.new_native_class("torch.Tensor", {in.types.object});
  ClassObj* param_cls = in.new_native_class("torch.nn.Parameter", {tensor_cls});
  in.set_global(torch, "Tensor", cls_value(tensor_cls));
  // The legacy constructors: torch.Tensor([0.485, 0.456, 0.406]) is data (shape [3]), torch.Tensor(2, 3)
  // a size; FloatTensor, LongTensor, ... likewise with their dtype.
  auto legacy_new = [](std::string dtype) {
    return [dtype](Interpreter& i, CallArgs& a) {
      if (a.positional.size() == 1 && a.keywords.empty()) {
        const Value& data = a.positional[0];
        if (data.as<ListObj>() || data.as<TupleObj>()) {
          std::string found;
          std::vector<double> values;
          MaybeShape shape = literal_shape(i, data, found, values);
          if (shape && static_cast<std::int64_t>(values.size()) == numel(*shape)) return with_values(i, *shape, dtype, std::move(values));
          return make_tensor(i, shape, dtype);
        }
        if (tensor(data)) return like(i, data, dtype);
      }
      if (a.positional.empty() && !a.keyword("size")) return make_tensor(i, Shape{0}, dtype);
      return make_tensor(i, size_args(i, a, 0), dtype);
    };
  };
  tensor_cls->native_new = legacy_new("float32");
  for (auto [name, dtype] : {std::pair{"FloatTensor", "float32"}, {"DoubleTensor", "float64"}, {"HalfTensor", "float16"},
                             {"BFloat16Tensor", "bfloat16"}, {"LongTensor", "int64"}, {"IntTensor", "int32"},
                             {"ShortTensor", "int16"}, {"CharTensor", "int8"}, {"ByteTensor", "uint8"}, {"BoolTensor", "bool"}}) {
    in.set_global(torch, name, in.builtin(std::string("torch.") + name, legacy_new(dtype)));
  }

  auto def = [&](ModuleNs* m, const std::string& name, NativeFn fn) { in.set_global(m, name, in.builtin(m->name + "." + name, std::move(fn))); };

  // ---- factories -----------------------------------------------------------------------
  for (const char* name : {"empty", "zeros", "ones", "randn", "rand"}) {
    def(torch, name, [](Interpreter& i, CallArgs& a) { return make_tensor(i, size_args(i, a, 0), dtype_arg(a, "float32")); });
  }
  def(torch, "full", [](Interpreter& i, CallArgs& a) {
    CallArgs size_only;
    size_only.positional.push_back(native_required(i, a, 0, "size"));
    const Value& fill = native_required(i, a, 1, "fill_value");
    std::string dflt = fill.is_bool() ? "bool" : fill.is_int() ? "int64" : "float32";
    return make_tensor(i, size_args(i, size_only, 0), dtype_arg(a, dflt));
  });
  def(torch, "randint", [](Interpreter& i, CallArgs& a) {
    std::size_t size_pos = a.positional.size() >= 3 ? 2 : 1;
    CallArgs size_only;
    if (size_pos < a.positional.size()) size_only.positional.push_back(a.positional[size_pos]);
    else if (const Value* s = a.keyword("size")) size_only.positional.push_back(*s);
    return make_tensor(i, size_args(i, size_only, 0), dtype_arg(a, "int64"));
  });
  def(torch, "randperm", [](Interpreter& i, CallArgs& a) { return make_tensor(i, Shape{dim_of(native_required(i, a, 0, "n"))}, dtype_arg(a, "int64")); });
  for (const char* name : {"tensor", "as_tensor"}) {
    def(torch, name, [](Interpreter& i, CallArgs& a) {
      std::string dtype;
      std::vector<double> values;
      MaybeShape shape = literal_shape(i, native_required(i, a, 0, "data"), dtype, values);
      std::string d = dtype_arg(a, dtype.empty() ? "float32" : dtype);
      if (shape && static_cast<std::int64_t>(values.size()) == numel(*shape)) return with_values(i, *shape, d, std::move(values));
      return make_tensor(i, shape, d);
    });
  }
  def(torch, "arange", [](Interpreter& i, CallArgs& a) {
    std::vector<Value> args = a.positional;
    if (const Value* e = a.keyword("end")) args.push_back(*e);
    for (auto& v : args) if (is_unknown(v) || !v.is_number()) return make_tensor(i, Shape{kUnknownDim}, dtype_arg(a, "int64"));
    double start = 0, end, step = 1;
    if (args.size() == 1) end = args[0].as_float();
    else { start = args.at(0).as_float(); end = args.at(1).as_float(); if (args.size() > 2) step = args[2].as_float(); }
    if (const Value* s = a.keyword("step")) step = s->as_float();
    bool all_int = std::all_of(args.begin(), args.end(), [](const Value& v) { return v.is_int(); });
    std::int64_t n = std::max<std::int64_t>(static_cast<std::int64_t>(std::ceil((end - start) / step)), 0);
    std::string dtype = dtype_arg(a, all_int ? "int64" : "float32");
    if (n > kMaxTrackedElements) return make_tensor(i, Shape{n}, dtype);
    std::vector<double> values;
    for (std::int64_t k = 0; k < n; ++k) values.push_back(start + static_cast<double>(k) * step);
    return with_values(i, Shape{n}, dtype, std::move(values));
  });
  for (const char* name : {"linspace", "logspace"}) {
    bool lin = std::string(name) == "linspace";
    def(torch, name, [lin](Interpreter& i, CallArgs& a) {
      std::int64_t steps = dim_of(native_required(i, a, 2, "steps"));
      std::string dtype = dtype_arg(a, "float32");
      const Value& start = native_required(i, a, 0, "start");
      const Value& end = native_required(i, a, 1, "end");
      if (lin && start.is_number() && end.is_number() && steps >= 0 && steps <= kMaxTrackedElements) {
        return with_values(i, Shape{steps}, dtype, linspace_values(start.as_float(), end.as_float(), steps, dtype));
      }
      return make_tensor(i, Shape{steps}, dtype);
    });
  }
  def(torch, "eye", [](Interpreter& i, CallArgs& a) {
    std::int64_t n = dim_of(native_required(i, a, 0, "n"));
    const Value* m = native_arg(a, 1, "m");
    return make_tensor(i, Shape{n, m && !m->is_none() ? dim_of(*m) : n}, dtype_arg(a, "float32"));
  });
  for (const char* name : {"zeros_like", "ones_like", "empty_like", "randn_like", "rand_like", "full_like", "clone"}) {
    def(torch, name, [](Interpreter& i, CallArgs& a) {
      const Value& src = native_required(i, a, 0, "input");
      if (!tensor(src)) return i.unknown("*_like of a non-tensor");
      return like(i, src, a.keyword("dtype") ? std::optional<std::string>(dtype_arg(a, "float32")) : std::nullopt);
    });
  }
  def(torch, "stack", [](Interpreter& i, CallArgs& a) {
    auto items = i.iterate(native_required(i, a, 0, "tensors"));
    std::int64_t dim = native_arg_or(a, 1, "dim", Value::integer(0)).as_int();
    if (items.empty() || !tensor(items[0]) || !tensor(items[0])->shape) return make_tensor(i, std::nullopt, "float32");
    Shape s = *tensor(items[0])->shape;
    std::int64_t d = dim < 0 ? dim + static_cast<std::int64_t>(s.size()) + 1 : dim;
    s.insert(s.begin() + std::clamp<std::int64_t>(d, 0, static_cast<std::int64_t>(s.size())), static_cast<std::int64_t>(items.size()));
    return make_tensor(i, s, tensor(items[0])->dtype);
  });
  def(torch, "cat", [](Interpreter& i, CallArgs& a) {
    auto items = i.iterate(native_required(i, a, 0, "tensors"));
    std::int64_t dim = native_arg_or(a, 1, "dim", Value::integer(0)).as_int();
    if (items.empty() || !tensor(items[0]) || !tensor(items[0])->shape) return make_tensor(i, std::nullopt, "float32");
    Shape s = *tensor(items[0])->shape;
    std::int64_t d = norm_dim(i, dim, s.size());
    for (std::size_t k = 1; k < items.size(); ++k) {
      auto* t = tensor(items[k]);
      if (!t || !t->shape || t->shape->size() != s.size()) return make_tensor(i, std::nullopt, tensor(items[0])->dtype);
      s[static_cast<std::size_t>(d)] = s[static_cast<std::size_t>(d)] == kUnknownDim || (*t->shape)[static_cast<std::size_t>(d)] == kUnknownDim
                                           ? kUnknownDim : s[static_cast<std::size_t>(d)] + (*t->shape)[static_cast<std::size_t>(d)];
    }
    return make_tensor(i, s, tensor(items[0])->dtype);
  });
  in.set_global(torch, "concat", *torch->globals->vars.find("cat"));
  def(torch, "meshgrid", [](Interpreter& i, CallArgs& a) {
    std::vector<Value> inputs = a.positional.size() == 1 && !tensor(a.positional[0]) ? i.iterate(a.positional[0]) : a.positional;
    Shape s;
    for (auto& v : inputs) s.push_back(tensor(v) && tensor(v)->shape && !tensor(v)->shape->empty() ? (*tensor(v)->shape)[0] : kUnknownDim);
    const Value* indexing = a.keyword("indexing");
    if (indexing && indexing->is_str() && indexing->as_str() == "xy" && s.size() >= 2) std::swap(s[0], s[1]);
    std::vector<Value> out;
    for (auto& v : inputs) out.push_back(make_tensor(i, s, tensor(v) ? tensor(v)->dtype : "float32"));
    return make_tuple(std::move(out));
  });
  def(torch, "where", [](Interpreter& i, CallArgs& a) {
    if (a.positional.size() < 3) return make_tensor(i, std::nullopt, "int64");
    Value ab = i.tensor_binary("+", a.positional[1], a.positional[2]);
    return i.tensor_binary("+", ab, i.tensor_binary("*", a.positional[0], Value::integer(0)));
  });
  def(torch, "outer", [](Interpreter& i, CallArgs& a) {
    auto* x = tensor(native_required(i, a, 0, "input"));
    auto* y = tensor(native_required(i, a, 1, "vec2"));
    if (!x || !y || !x->shape || !y->shape) return make_tensor(i, std::nullopt, "float32");
    return make_tensor(i, Shape{(*x->shape)[0], (*y->shape)[0]}, x->dtype);
  });
  def(torch, "get_default_dtype", [](Interpreter&, CallArgs&) { return Value::object(std::make_shared<DtypeObj>("float32")); });
  def(torch, "is_tensor", [](Interpreter& i, CallArgs& a) { return Value::boolean(tensor(native_required(i, a, 0, "obj")) != nullptr); });
  def(torch, "numel", [](Interpreter& i, CallArgs& a) {
    auto* t = tensor(native_required(i, a, 0, "input"));
    if (!t || !t->shape || numel(*t->shape) == kUnknownDim) return i.unknown("numel of unknown shape");
    return Value::integer(numel(*t->shape));
  });
  def(torch, "Size", [](Interpreter& i, CallArgs& a) { return a.positional.empty() ? make_tuple({}) : make_tuple(i.iterate(a.positional[0])); });
  Value noop_ctx = in.builtin("torch.no_grad", [](Interpreter& i, CallArgs&) { return Value::object(std::make_shared<InstanceObj>(i.types.object)); });
  in.set_global(torch, "no_grad", noop_ctx);
  in.set_global(torch, "enable_grad", noop_ctx);
  def(torch, "_assert", [](Interpreter&, CallArgs&) { return Value::none(); });
  def(torch, "manual_seed", [](Interpreter&, CallArgs&) { return Value::none(); });
  def(torch, "finfo", [](Interpreter& i, CallArgs& a) {
    auto info = std::make_shared<InstanceObj>(i.types.object);
    std::string d = native_arg_or(a, 0, "type", Value::object(std::make_shared<DtypeObj>("float32"))).as<DtypeObj>() ?
                        native_arg_or(a, 0, "type", Value::none()).as<DtypeObj>()->name : "float32";
    bool half = d == "float16";
    info->attrs.set("eps", Value::floating(half ? 0.0009765625 : d == "float64" ? 2.220446049250313e-16 : 1.1920928955078125e-07));
    info->attrs.set("max", Value::floating(half ? 65504.0 : d == "float64" ? 1.7976931348623157e+308 : 3.4028234663852886e+38));
    info->attrs.set("min", Value::floating(half ? -65504.0 : d == "float64" ? -1.7976931348623157e+308 : -3.4028234663852886e+38));
    info->attrs.set("tiny", Value::floating(half ? 6.103515625e-05 : 1.1754943508222875e-38));
    return Value::object(info);
  });
  for (auto [name, op] : {std::pair{"mul", "*"}, {"add", "+"}, {"sub", "-"}, {"div", "/"}, {"divide", "/"},
                          {"true_divide", "/"}, {"pow", "**"}, {"floor_divide", "//"}, {"remainder", "%"}}) {
    std::string o = op;
    def(torch, name, [o](Interpreter& i, CallArgs& a) {
      return i.tensor_binary(o, native_required(i, a, 0, "input"), native_required(i, a, 1, "other"));
    });
  }
  def(torch, "diff", [](Interpreter& i, CallArgs& a) {
    auto* t = tensor(native_required(i, a, 0, "input"));
    if (!t || !t->shape || t->shape->size() != 1) return i.unknown("torch.diff beyond 1-D tensors is not modelled");
    std::int64_t n = std::max<std::int64_t>((*t->shape)[0] - 1, 0);
    if (!t->values) return make_tensor(i, Shape{n}, t->dtype);
    std::vector<double> out;
    for (std::size_t k = 1; k < t->values->size(); ++k) out.push_back((*t->values)[k] - (*t->values)[k - 1]);
    return with_values(i, Shape{n}, t->dtype, std::move(out));
  });
  for (const char* name : {"flatten", "reshape", "unsqueeze", "squeeze", "permute", "transpose", "sum", "mean", "abs", "exp",
                           "log", "sqrt", "sin", "cos", "sigmoid", "tanh", "relu", "triu", "tril", "floor", "ceil", "round",
                           "clamp", "log2", "roll", "flip", "cumsum", "diag", "neg", "sign", "logical_not", "amax", "amin",
                           "max", "min", "prod", "softmax", "erf", "exp2", "unique", "outer", "ger"}) {
    std::string method = name;
    def(torch, name, [method](Interpreter& i, CallArgs& a) {
      const Value& self = native_required(i, a, 0, "input");
      if (!tensor(self)) {
        if (is_unknown(self)) return self;
        if (self.is_number()) {
          // math on Python scalars, e.g. torch.log(torch.tensor(...)) handled above; plain numbers:
          double x = self.as_float();
          if (method == "exp") return Value::floating(std::exp(x));
          if (method == "log") return Value::floating(std::log(x));
          if (method == "sqrt") return Value::floating(std::sqrt(x));
          if (method == "abs") return Value::floating(std::fabs(x));
        }
        return i.unknown("torch." + method + " of a non-tensor");
      }
      return i.call(i.tensor_attr(self, method), CallArgs{std::vector<Value>(a.positional.begin() + 1, a.positional.end()), a.keywords});
    });
  }

  // ---- Tensor methods --------------------------------------------------------------------
  auto self_tensor = [](Interpreter& i, CallArgs& a) -> TensorObj& {
    auto* t = tensor(native_required(i, a, 0, "self"));
    if (!t) i.raise("TypeError", "descriptor requires a 'Tensor' object");
    return *t;
  };
  auto method = [&](const std::string& name, NativeFn fn) { in.add_method(tensor_cls, name, std::move(fn)); };
  // Element-wise and in-place operations keep the shape.
  // Identity-like and in-place operations: same tensor (Parameters stay the same object).
  for (const char* name : {"contiguous", "detach", "requires_grad_", "cpu", "cuda", "pin_memory", "detach_", "share_memory_"}) {
    method(name, [self_tensor](Interpreter& i, CallArgs& a) {
      self_tensor(i, a);
      return a.positional[0];
    });
  }
  // Value-changing operations whose values ckptguard does not track: same shape, values dropped.
  for (const char* name : {"normal_", "uniform_", "zero_", "fill_", "copy_", "mul_", "add_", "sub_", "div_", "clamp_", "clamp",
                           "trunc_normal_", "fill_diagonal_", "masked_fill", "masked_fill_", "sigmoid", "tanh", "softmax", "cumsum",
                           "roll", "exp_", "log_", "abs_", "clamp_min", "clamp_max", "erf", "erfinv_", "erfinv", "triu",
                           "tril", "sin", "cos", "exp2", "logical_not", "bernoulli_", "random_", "exponential_", "geometric_",
                           "cauchy_", "log_normal_", "lerp", "clone_"}) {
    bool in_place = std::string(name).back() == '_';
    method(name, [self_tensor, in_place](Interpreter& i, CallArgs& a) {
      TensorObj& t = self_tensor(i, a);
      if (in_place) {
        t.values.reset();
        return a.positional[0];
      }
      return make_tensor(i, t.shape, t.dtype);
    });
  }
  method("clone", [](Interpreter& i, CallArgs& a) { return like(i, a.positional.at(0)); });
  // Tracked values survive a flip: NesT's level sizes are (4 ** arange(n)).flip(0).tolist().
  method("flip", [self_tensor](Interpreter& i, CallArgs& a) {
    TensorObj& t = self_tensor(i, a);
    if (!t.shape) return make_tensor(i, t.shape, t.dtype);
    const Shape& shape = *t.shape;
    std::vector<bool> flipped(shape.size(), false);
    for (std::int64_t d : ints_from(i, a, 1)) flipped[static_cast<std::size_t>(norm_dim(i, d, shape.size()))] = true;
    if (!t.values) return make_tensor(i, shape, t.dtype);
    std::vector<double> out(t.values->size());
    for (std::size_t flat = 0; flat < out.size(); ++flat) {
      // Row-major: peel indices from the last dimension, mirroring the flipped ones.
      std::size_t rest = flat, source = 0, stride = 1;
      for (std::size_t d = shape.size(); d-- > 0;) {
        auto n = static_cast<std::size_t>(shape[d]);
        std::size_t k = rest % n;
        rest /= n;
        source += (flipped[d] ? n - 1 - k : k) * stride;
        stride *= n;
      }
      out[flat] = (*t.values)[source];
    }
    return with_values(i, shape, t.dtype, std::move(out));
  });
  // Sorted distinct values (torch.unique's default), then the inverse indices and the counts when
  // asked for; without tracked values only the shapes are known, and not the count of distinct values.
  method("unique", [self_tensor](Interpreter& i, CallArgs& a) {
    TensorObj& t = self_tensor(i, a);
    auto flag = [&](std::size_t pos, const char* name) { return i.truthy(native_arg_or(a, pos, name, Value::boolean(false))); };
    bool sorted = i.truthy(native_arg_or(a, 1, "sorted", Value::boolean(true)));
    bool inverse = flag(2, "return_inverse"), counts = flag(3, "return_counts");
    if (a.positional.size() > 4 || a.keyword("dim")) return i.unknown("Tensor.unique along a dimension is not modelled");
    std::vector<Value> parts;
    if (!t.values || !t.shape) {
      parts.push_back(make_tensor(i, MaybeShape(Shape{kUnknownDim}), t.dtype));
      if (inverse) parts.push_back(make_tensor(i, t.shape, "int64"));
      if (counts) parts.push_back(make_tensor(i, MaybeShape(Shape{kUnknownDim}), "int64"));
    } else {
      std::vector<double> distinct = *t.values;
      std::sort(distinct.begin(), distinct.end());
      distinct.erase(std::unique(distinct.begin(), distinct.end()), distinct.end());
      Shape shape{static_cast<std::int64_t>(distinct.size())};
      std::vector<double> where, count(distinct.size(), 0);
      for (double v : *t.values) {
        auto k = static_cast<std::size_t>(std::lower_bound(distinct.begin(), distinct.end(), v) - distinct.begin());
        where.push_back(static_cast<double>(k));
        count[k] += 1;
      }
      // sorted=False leaves the order to the implementation: then only the count of values is certain.
      parts.push_back(sorted ? with_values(i, shape, t.dtype, std::move(distinct)) : make_tensor(i, shape, t.dtype));
      if (inverse) parts.push_back(sorted ? with_values(i, *t.shape, "int64", std::move(where)) : make_tensor(i, *t.shape, "int64"));
      if (counts) parts.push_back(sorted ? with_values(i, shape, "int64", std::move(count)) : make_tensor(i, shape, "int64"));
    }
    return parts.size() == 1 ? parts[0] : make_tuple(std::move(parts));
  });
  // Outer product of two 1-D tensors (StyleGAN2's separable filters: f.ger(f)).
  for (const char* name : {"outer", "ger"}) {
    std::string n = name;
    method(name, [self_tensor, n](Interpreter& i, CallArgs& a) {
      TensorObj& t = self_tensor(i, a);
      auto* o = tensor(native_required(i, a, 1, "vec2"));
      if (!o) i.raise("TypeError", fmt::format("{}(): argument 'vec2' must be Tensor", n));
      std::string dtype = is_float_dtype(t.dtype) ? t.dtype : o->dtype;
      if (!t.shape || !o->shape) return make_tensor(i, MaybeShape(Shape{kUnknownDim, kUnknownDim}), dtype);
      if (t.shape->size() != 1 || o->shape->size() != 1) i.raise("RuntimeError", fmt::format("{}: expected 1-D tensors", n));
      Shape shape{(*t.shape)[0], (*o->shape)[0]};
      if (!t.values || !o->values) return make_tensor(i, shape, dtype);
      std::vector<double> out;
      for (double x : *t.values) for (double y : *o->values) out.push_back(x * y);
      return with_values(i, shape, dtype, std::move(out));
    });
  }
  // Element-wise math with tracked values.
  for (const char* name : {"exp", "log", "abs", "sqrt", "neg", "floor", "ceil", "round", "sign", "reciprocal", "square", "log2", "relu"}) {
    std::string op = name;
    method(name, [self_tensor, op](Interpreter& i, CallArgs& a) {
      TensorObj& t = self_tensor(i, a);
      std::string dtype = (op == "log" || op == "exp" || op == "sqrt" || op == "log2" || op == "reciprocal") && !is_float_dtype(t.dtype) ? "float32" : t.dtype;
      if (!t.values || !t.shape) return make_tensor(i, t.shape, dtype);
      std::vector<double> out;
      for (double v : *t.values) out.push_back(apply_unary(op, v, dtype));
      return with_values(i, *t.shape, dtype, std::move(out));
    });
  }
  for (auto [name, op] : {std::pair{"mul", "*"}, {"add", "+"}, {"sub", "-"}, {"div", "/"}, {"pow", "**"}, {"divide", "/"}, {"true_divide", "/"}}) {
    std::string o = op;
    method(name, [o](Interpreter& i, CallArgs& a) { return i.tensor_binary(o, a.positional.at(0), native_required(i, a, 1, "other")); });
  }
  for (auto [name, dtype] : {std::pair{"float", "float32"}, {"double", "float64"}, {"half", "float16"}, {"bfloat16", "bfloat16"},
                             {"long", "int64"}, {"int", "int32"}, {"bool", "bool"}, {"short", "int16"}, {"byte", "uint8"}, {"char", "int8"}}) {
    std::string d = dtype;
    method(name, [d](Interpreter& i, CallArgs& a) { return like(i, a.positional.at(0), d); });
  }
  method("to", [](Interpreter& i, CallArgs& a) {
    for (std::size_t k = 1; k < a.positional.size(); ++k) {
      if (auto* d = a.positional[k].as<DtypeObj>()) return like(i, a.positional[0], d->name);
      if (auto* other = tensor(a.positional[k])) return like(i, a.positional[0], other->dtype);
    }
    if (const Value* d = a.keyword("dtype"); d && d->as<DtypeObj>()) return like(i, a.positional[0], d->as<DtypeObj>()->name);
    return a.positional[0];
  });
  method("type", [](Interpreter& i, CallArgs& a) {
    if (auto* d = native_arg_or(a, 1, "dtype", Value::none()).as<DtypeObj>()) return like(i, a.positional[0], d->name);
    return i.unknown("Tensor.type()");
  });
  method("type_as", [](Interpreter& i, CallArgs& a) {
    auto* other = tensor(native_required(i, a, 1, "other"));
    return like(i, a.positional[0], other ? std::optional<std::string>(other->dtype) : std::nullopt);
  });
  method("size", [self_tensor](Interpreter& i, CallArgs& a) {
    TensorObj& t = self_tensor(i, a);
    const Value* d = native_arg(a, 1, "dim");
    if (!d || d->is_none()) return shape_tuple(t.shape, i);
    if (!t.shape) return i.unknown("size of a tensor of unknown rank");
    std::int64_t n = (*t.shape)[static_cast<std::size_t>(norm_dim(i, d->as_int(), t.shape->size()))];
    return n == kUnknownDim ? i.unknown("tensor dimension is unknown") : Value::integer(n);
  });
  method("dim", [self_tensor](Interpreter& i, CallArgs& a) {
    TensorObj& t = self_tensor(i, a);
    return t.shape ? Value::integer(static_cast<std::int64_t>(t.shape->size())) : i.unknown("rank unknown");
  });
  method("numel", [self_tensor](Interpreter& i, CallArgs& a) {
    TensorObj& t = self_tensor(i, a);
    if (!t.shape || numel(*t.shape) == kUnknownDim) return i.unknown("numel of unknown shape");
    return Value::integer(numel(*t.shape));
  });
  for (const char* name : {"view", "reshape"}) {
    method(name, [self_tensor](Interpreter& i, CallArgs& a) {
      TensorObj& t = self_tensor(i, a);
      if (a.positional.size() == 2 && a.positional[1].as<DtypeObj>()) return like(i, a.positional[0], a.positional[1].as<DtypeObj>()->name);
      MaybeShape target = size_args(i, a, 1, "shape");
      if (!target) return make_tensor(i, std::nullopt, t.dtype);
      return make_tensor(i, reshape(i, t.shape, *target), t.dtype);
    });
  }
  for (const char* name : {"view_as", "reshape_as", "expand_as"}) {
    method(name, [](Interpreter& i, CallArgs& a) {
      auto* other = tensor(native_required(i, a, 1, "other"));
      auto* t = tensor(a.positional[0]);
      return make_tensor(i, other ? other->shape : std::nullopt, t->dtype);
    });
  }
  method("flatten", [self_tensor](Interpreter& i, CallArgs& a) {
    TensorObj& t = self_tensor(i, a);
    if (!t.shape) return make_tensor(i, std::nullopt, t.dtype);
    if (t.shape->empty()) return make_tensor(i, Shape{1}, t.dtype);
    std::int64_t s = norm_dim(i, native_arg_or(a, 1, "start_dim", Value::integer(0)).as_int(), t.shape->size());
    std::int64_t e = norm_dim(i, native_arg_or(a, 2, "end_dim", Value::integer(-1)).as_int(), t.shape->size());
    Shape out(t.shape->begin(), t.shape->begin() + s);
    std::int64_t merged = 1;
    for (std::int64_t k = s; k <= e; ++k) merged = mul_dims(merged, (*t.shape)[static_cast<std::size_t>(k)]);
    out.push_back(merged);
    out.insert(out.end(), t.shape->begin() + e + 1, t.shape->end());
    return make_tensor(i, out, t.dtype);
  });
  method("unsqueeze", [self_tensor](Interpreter& i, CallArgs& a) {
    TensorObj& t = self_tensor(i, a);
    if (!t.shape) return make_tensor(i, std::nullopt, t.dtype);
    std::int64_t d = native_required(i, a, 1, "dim").as_int();
    if (d < 0) d += static_cast<std::int64_t>(t.shape->size()) + 1;
    Shape out = *t.shape;
    out.insert(out.begin() + std::clamp<std::int64_t>(d, 0, static_cast<std::int64_t>(out.size())), 1);
    return make_tensor(i, out, t.dtype);
  });
  method("squeeze", [self_tensor](Interpreter& i, CallArgs& a) {
    TensorObj& t = self_tensor(i, a);
    if (!t.shape) return make_tensor(i, std::nullopt, t.dtype);
    Shape out;
    const Value* d = native_arg(a, 1, "dim");
    std::int64_t only = d ? norm_dim(i, d->as_int(), t.shape->size()) : -1;
    for (std::size_t k = 0; k < t.shape->size(); ++k) {
      bool drop = (*t.shape)[k] == 1 && (only < 0 || static_cast<std::int64_t>(k) == only);
      if (!drop) out.push_back((*t.shape)[k]);
    }
    return make_tensor(i, out, t.dtype);
  });
  method("permute", [self_tensor](Interpreter& i, CallArgs& a) {
    TensorObj& t = self_tensor(i, a);
    Shape order = ints_from(i, a, 1);
    if (!t.shape || order.size() != t.shape->size()) return make_tensor(i, std::nullopt, t.dtype);
    Shape out;
    for (auto d : order) out.push_back((*t.shape)[static_cast<std::size_t>(norm_dim(i, d, t.shape->size()))]);
    return make_tensor(i, out, t.dtype);
  });
  method("transpose", [self_tensor](Interpreter& i, CallArgs& a) {
    TensorObj& t = self_tensor(i, a);
    if (!t.shape) return make_tensor(i, std::nullopt, t.dtype);
    Shape out = *t.shape;
    std::swap(out[static_cast<std::size_t>(norm_dim(i, native_required(i, a, 1, "dim0").as_int(), out.size()))],
              out[static_cast<std::size_t>(norm_dim(i, native_required(i, a, 2, "dim1").as_int(), out.size()))]);
    return make_tensor(i, out, t.dtype);
  });
  method("t", [](Interpreter& i, CallArgs& a) { return i.tensor_attr(a.positional.at(0), "T"); });
  method("expand", [self_tensor](Interpreter& i, CallArgs& a) {
    TensorObj& t = self_tensor(i, a);
    Shape target = ints_from(i, a, 1);
    if (t.shape) {
      std::size_t off = target.size() - std::min(target.size(), t.shape->size());
      for (std::size_t k = 0; k < t.shape->size() && k + off < target.size(); ++k) {
        if (target[k + off] == -1) target[k + off] = (*t.shape)[k];
      }
    }
    return make_tensor(i, target, t.dtype);
  });
  method("repeat", [self_tensor](Interpreter& i, CallArgs& a) {
    TensorObj& t = self_tensor(i, a);
    Shape reps = ints_from(i, a, 1);
    if (!t.shape) return make_tensor(i, std::nullopt, t.dtype);
    Shape base = *t.shape;
    while (base.size() < reps.size()) base.insert(base.begin(), 1);
    for (std::size_t k = 0; k < reps.size(); ++k) base[k] = mul_dims(base[k], reps[k]);
    return make_tensor(i, base, t.dtype);
  });
  for (const char* name : {"sum", "mean", "prod", "std", "var", "amax", "amin", "norm", "any", "all"}) {
    std::string n = name;
    method(name, [self_tensor, n](Interpreter& i, CallArgs& a) {
      TensorObj& t = self_tensor(i, a);
      std::string dtype = n == "any" || n == "all" ? "bool" : (n == "sum" || n == "prod") && t.dtype == "bool" ? "int64" : t.dtype;
      bool whole = a.positional.size() == 1 && !a.keyword("dim");
      if (whole && t.values && !t.values->empty() && (n == "sum" || n == "mean" || n == "prod" || n == "amax" || n == "amin")) {
        if (n == "mean" && !is_float_dtype(t.dtype)) i.raise("RuntimeError", "mean(): could not infer output dtype. Input dtype must be either a floating point or complex dtype.");
        const auto& v = *t.values;
        double r = n == "prod" ? 1 : n == "amax" || n == "amin" ? v[0] : 0;
        for (double x : v) r = n == "sum" || n == "mean" ? r + x : n == "prod" ? r * x : n == "amax" ? std::max(r, x) : std::min(r, x);
        if (n == "mean") r /= static_cast<double>(v.size());
        return with_values(i, Shape{}, dtype, {r});
      }
      return reduce(i, a.positional[0], a, dtype);
    });
  }
  for (const char* name : {"max", "min", "argmax", "argmin"}) {
    std::string n = name;
    method(name, [self_tensor, n](Interpreter& i, CallArgs& a) {
      TensorObj& t = self_tensor(i, a);
      if (a.positional.size() > 1 && tensor(a.positional[1])) return i.tensor_binary("+", a.positional[0], a.positional[1]);
      bool arg = n[0] == 'a';
      if (!arg && a.positional.size() == 1 && !a.keyword("dim")) return i.call(i.tensor_attr(a.positional[0], n == "max" ? "amax" : "amin"), CallArgs{});
      Value values = reduce(i, a.positional[0], a, arg ? "int64" : t.dtype);
      bool with_dim = a.positional.size() > 1 || a.keyword("dim");
      if (!with_dim || arg) return values;
      return make_tuple({values, like(i, values, std::string("int64"))});
    });
  }
  method("item", [self_tensor](Interpreter& i, CallArgs& a) {
    TensorObj& t = self_tensor(i, a);
    if (t.values && t.values->size() == 1) {
      std::size_t pos = 0;
      return values_to_list(Shape{}, *t.values, t.dtype, 0, pos);
    }
    return i.unknown("Tensor.item() of a value ckptguard does not track", false);
  });
  method("tolist", [self_tensor](Interpreter& i, CallArgs& a) {
    TensorObj& t = self_tensor(i, a);
    if (!t.values || !t.shape) return i.unknown("Tensor.tolist() of a value ckptguard does not track", false);
    std::size_t pos = 0;
    return values_to_list(*t.shape, *t.values, t.dtype, 0, pos);
  });
  for (const char* name : {"new_zeros", "new_ones", "new_empty", "new_full"}) {
    method(name, [self_tensor](Interpreter& i, CallArgs& a) {
      TensorObj& t = self_tensor(i, a);
      CallArgs size_only;
      size_only.positional.push_back(native_required(i, a, 1, "size"));
      return make_tensor(i, size_args(i, size_only, 0), dtype_arg(a, t.dtype));
    });
  }
  for (const char* name : {"unbind", "chunk", "split"}) {
    std::string n = name;
    method(name, [self_tensor, n](Interpreter& i, CallArgs& a) -> Value {
      TensorObj& t = self_tensor(i, a);
      const Value* dim_v = native_arg(a, n == "unbind" ? 1 : 2, "dim");
      if (!t.shape || (dim_v && !dim_v->is_int())) return i.unknown("Tensor." + n + " of a tensor of unknown shape");
      std::int64_t dim = norm_dim(i, dim_v ? dim_v->as_int() : 0, t.shape->size());
      std::int64_t size = (*t.shape)[static_cast<std::size_t>(dim)];
      if (size == kUnknownDim) return i.unknown("Tensor." + n + " along a dimension of unknown size");
      std::vector<std::int64_t> sizes;
      if (n == "unbind") {
        sizes.assign(static_cast<std::size_t>(size), 1);
        return split_pieces(i, t, sizes, dim, true);
      }
      const Value& arg = native_required(i, a, 1, n == "chunk" ? "chunks" : "split_size_or_sections");
      if (arg.is_int()) {
        std::int64_t step = arg.as_int();
        if (n == "chunk") {
          if (step <= 0) i.raise("RuntimeError", "chunk expects `chunks` to be greater than 0");
          step = (size + step - 1) / step;
        } else if (step <= 0) {
          i.raise("RuntimeError", "split_size can only be 0 if dimension size is 0");
        }
        for (std::int64_t b = 0; b < size; b += step) sizes.push_back(std::min(step, size - b));
        if (sizes.empty()) sizes.push_back(0);
      } else if (n == "split" && (arg.as<ListObj>() || arg.as<TupleObj>())) {
        std::int64_t total = 0;
        for (auto& v : i.iterate(arg)) {
          if (!v.is_int()) return i.unknown("Tensor.split with unresolved sizes");
          sizes.push_back(v.as_int());
          total += v.as_int();
        }
        if (total != size) i.raise("RuntimeError", fmt::format("split_with_sizes expects split_sizes to sum exactly to {} (input tensor's size at dimension {}), but got split_sizes={}", size, dim, repr(arg)));
      } else {
        return i.unknown("Tensor." + n + " with unresolved sizes");
      }
      return split_pieces(i, t, sizes, dim, false);
    });
    def(torch, name, [n](Interpreter& i, CallArgs& a) -> Value {
      const Value& self = native_required(i, a, 0, "input");
      if (!tensor(self)) return i.unknown("torch." + n + " of a non-tensor");
      return i.call(i.tensor_attr(self, n), CallArgs{std::vector<Value>(a.positional.begin() + 1, a.positional.end()), a.keywords});
    });
  }
  method("cumsum", [self_tensor](Interpreter& i, CallArgs& a) -> Value {
    TensorObj& t = self_tensor(i, a);
    std::string dtype = is_float_dtype(t.dtype) ? t.dtype : "int64";
    const Value* dim = native_arg(a, 1, "dim");
    if (!t.values || !t.shape || t.shape->size() != 1 || !dim || !dim->is_int() || (dim->as_int() != 0 && dim->as_int() != -1)) {
      return make_tensor(i, t.shape, dtype);
    }
    std::vector<double> out;
    double acc = 0;
    for (double v : *t.values) out.push_back(acc += v);
    return with_values(i, *t.shape, dtype, std::move(out));
  });
  method("__len__", [](Interpreter& i, CallArgs& a) { return i.length(a.positional.at(0)); });

  // ---- torch.nn ---------------------------------------------------------------------------
  ModuleNs* nn = in.new_native_module("torch.nn");
  in.set_global(torch, "nn", Value::object(ObjPtr(ObjPtr(), nn)));
  install_nn_module_natives(in, nn);
  in.set_global(nn, "Parameter", cls_value(param_cls));
  in.set_global(nn, "torch", Value::object(ObjPtr(ObjPtr(), torch)));
  // nn.Parameter(data): a new tensor object with data's shape; Parameter() is an empty tensor.
  auto to_parameter = [](Interpreter& i, const Value& data, bool requires_grad) {
    auto* src = tensor(data);
    auto p = src ? std::make_shared<TensorObj>(*src) : std::make_shared<TensorObj>();
    if (!src) {
      if (data.is_none()) p->shape = Shape{0};
      else i.note_unknown(data, "nn.Parameter data"), p->shape = std::nullopt;
    }
    p->is_parameter = true;
    p->requires_grad = requires_grad;
    return Value::object(p);
  };
  param_cls->native_new = [to_parameter](Interpreter& i, CallArgs& a) {
    return to_parameter(i, native_arg_or(a, 0, "data", Value::none()), i.truthy(native_arg_or(a, 1, "requires_grad", Value::boolean(true))));
  };
  ClassObj* uninit_param = in.new_native_class("torch.nn.UninitializedParameter", {param_cls});
  uninit_param->native_new = [](Interpreter& i, CallArgs& a) {
    Value p = i.new_tensor(std::nullopt, dtype_arg(a, "float32"));
    p.as<TensorObj>()->is_parameter = true;
    return p;
  };
  ClassObj* uninit_buffer = in.new_native_class("torch.nn.UninitializedBuffer", {tensor_cls});
  uninit_buffer->native_new = [](Interpreter& i, CallArgs& a) { return i.new_tensor(std::nullopt, dtype_arg(a, "float32")); };
  in.set_global(nn, "UninitializedParameter", cls_value(uninit_param));
  in.set_global(nn, "UninitializedBuffer", cls_value(uninit_buffer));
  in.set_global(nn, "copy_module", *in.builtins().vars.find("__ckptguard_deepcopy__"));
  ModuleNs* parameter_mod = in.new_native_module("torch.nn.parameter");
  in.set_global(parameter_mod, "Parameter", cls_value(param_cls));
  in.set_global(parameter_mod, "UninitializedParameter", cls_value(uninit_param));
  in.set_global(parameter_mod, "UninitializedBuffer", cls_value(uninit_buffer));
  in.set_global(nn, "parameter", Value::object(ObjPtr(ObjPtr(), parameter_mod)));

  // torch.nn.init: every initialiser returns its tensor and changes nothing structural.
  ModuleNs* init = in.new_native_module("torch.nn.init");
  in.set_global(nn, "init", Value::object(ObjPtr(ObjPtr(), init)));
  for (const char* name : {"normal_", "uniform_", "constant_", "ones_", "zeros_", "eye_", "dirac_", "xavier_uniform_", "xavier_normal_",
                           "kaiming_uniform_", "kaiming_normal_", "trunc_normal_", "orthogonal_", "sparse_", "normal", "uniform",
                           "constant", "xavier_uniform", "xavier_normal", "kaiming_uniform", "kaiming_normal"}) {
    def(init, name, [](Interpreter& i, CallArgs& a) { return native_required(i, a, 0, "tensor"); });
  }
  def(init, "calculate_gain", [](Interpreter&, CallArgs&) { return Value::floating(1.0); });
  def(init, "_calculate_fan_in_and_fan_out", [](Interpreter& i, CallArgs&) { return make_tuple({i.unknown("fan in"), i.unknown("fan out")}); });

  ModuleNs* jit = in.new_native_module("torch.jit");
  in.set_global(torch, "jit", Value::object(ObjPtr(ObjPtr(), jit)));
  def(jit, "is_scripting", [](Interpreter&, CallArgs&) { return Value::boolean(false); });
  def(jit, "is_tracing", [](Interpreter&, CallArgs&) { return Value::boolean(false); });
  // @torch.jit.ignore and @torch.jit.ignore(drop=True) / @torch.jit.ignore(): the second form
  // returns the decorator itself.
  Value jit_identity = in.builtin("torch.jit.decorator", [](Interpreter& i, CallArgs& a) {
    if (!a.positional.empty()) return a.positional[0];
    return i.builtin("torch.jit.decorator", [](Interpreter& j, CallArgs& b) { return native_required(j, b, 0, "fn"); });
  });
  for (const char* name : {"unused", "ignore", "export", "script_if_tracing", "_overload_method", "interface"}) in.set_global(jit, name, jit_identity);
  in.set_global(jit, "Final", in.types.object ? Value::object(ObjPtr(ObjPtr(), in.types.object)) : Value::none());
  def(jit, "annotate", [](Interpreter& i, CallArgs& a) { return native_required(i, a, 1, "the_value"); });

  // The interpreter needs these for isinstance() and attribute lookup on tensors.
  in.set_tensor_classes(tensor_cls, param_cls);

  // ---- the catalogue ----------------------------------------------------------------------
  // The layers (torch_nn.py), then load_state_dict's semantics (torch_nn_load.py), executed in
  // torch.nn's namespace. Each is parsed once per process and every interpreter executes the same
  // tree; never freed (it lives as long as the process, and the node cache it feeds is thread-local).
  auto run_catalogue = [&](const parse::LoadResult& catalogue) {
    if (!catalogue.file) return;
    Frame frame;
    frame.file = catalogue.file;
    frame.env = nn->globals;
    frame.module = nn;
    FrameScope scope(in, frame);
    for (TSNode stmt : parse::named_children(catalogue.file->root())) {
      try {
        in.exec_stmt(frame, stmt);
      } catch (PyError& e) {
        in.note_unresolved(catalogue.file->location(stmt), "catalogue statement raised " + e.type + ": " + e.message);
      }
    }
  };
  static const parse::LoadResult& layers =
      *new parse::LoadResult(parse::parse_source("<ckptguard>/torch_nn.py", std::string(embedded::torch_nn_catalogue)));
  static const parse::LoadResult& loading =
      *new parse::LoadResult(parse::parse_source("<ckptguard>/torch_nn_load.py", std::string(embedded::torch_nn_load_catalogue)));
  static const parse::LoadResult& utils =
      *new parse::LoadResult(parse::parse_source("<ckptguard>/torch_nn_utils.py", std::string(embedded::torch_nn_utils_catalogue)));
  nn->file = layers.file;
  run_catalogue(layers);
  run_catalogue(loading);
  run_catalogue(utils);
  // torch.nn.utils' reparametrizations, published from the namespace torch_nn_utils.py ran in.
  struct Export { const char* module; const char* name; const char* defined_as; };
  static const Export exports[] = {
      {"torch.nn.utils", "weight_norm", "weight_norm"},
      {"torch.nn.utils", "remove_weight_norm", "remove_weight_norm"},
      {"torch.nn.utils", "spectral_norm", "spectral_norm"},
      {"torch.nn.utils", "remove_spectral_norm", "remove_spectral_norm"},
      {"torch.nn.utils.weight_norm", "weight_norm", "weight_norm"},
      {"torch.nn.utils.weight_norm", "remove_weight_norm", "remove_weight_norm"},
      {"torch.nn.utils.spectral_norm", "spectral_norm", "spectral_norm"},
      {"torch.nn.utils.spectral_norm", "remove_spectral_norm", "remove_spectral_norm"},
      {"torch.nn.utils.parametrize", "register_parametrization", "register_parametrization"},
      {"torch.nn.utils.parametrize", "remove_parametrizations", "remove_parametrizations"},
      {"torch.nn.utils.parametrize", "is_parametrized", "is_parametrized"},
      {"torch.nn.utils.parametrize", "type_before_parametrizations", "type_before_parametrizations"},
      {"torch.nn.utils.parametrize", "ParametrizationList", "ParametrizationList"},
      {"torch.nn.utils.parametrizations", "spectral_norm", "_parametrizations_spectral_norm"},
      {"torch.nn.utils.parametrizations", "orthogonal", "orthogonal"},
  };
  ModuleNs* utils_mod = in.new_native_module("torch.nn.utils");
  in.set_global(utils_mod, "parametrize", Value::object(ObjPtr(ObjPtr(), in.new_native_module("torch.nn.utils.parametrize"))));
  in.set_global(utils_mod, "parametrizations", Value::object(ObjPtr(ObjPtr(), in.new_native_module("torch.nn.utils.parametrizations"))));
  in.new_native_module("torch.nn.utils.weight_norm");
  in.new_native_module("torch.nn.utils.spectral_norm");
  for (const Export& e : exports) {
    if (Value* fn = nn->globals->vars.find(e.defined_as)) in.set_global(in.import_module(e.module, {}).as<ModuleNs>(), e.name, *fn);
  }
  for (const char* sub : {"functional", "utils", "common_types", "quantized", "intrinsic", "qat"}) {
    in.set_global(nn, sub, in.import_module(std::string("torch.nn.") + sub, {}));
  }
  in.set_global(nn, "modules", Value::object(ObjPtr(ObjPtr(), nn)));
}

}  // namespace ckg::interp
