#include "checkpoint/detail/dtypes.h"

#include <array>
#include <utility>

namespace ckg::checkpoint::detail {

namespace {

constexpr std::array<Dtype, 23> kDtypes{{
    {"float32", 4, "FloatStorage", "F32"},
    {"float64", 8, "DoubleStorage", "F64"},
    {"float16", 2, "HalfStorage", "F16"},
    {"bfloat16", 2, "BFloat16Storage", "BF16"},
    {"complex32", 4, "ComplexHalfStorage", ""},
    {"complex64", 8, "ComplexFloatStorage", "C64"},
    {"complex128", 16, "ComplexDoubleStorage", ""},
    {"uint8", 1, "ByteStorage", "U8"},
    {"int8", 1, "CharStorage", "I8"},
    {"int16", 2, "ShortStorage", "I16"},
    {"int32", 4, "IntStorage", "I32"},
    {"int64", 8, "LongStorage", "I64"},
    {"bool", 1, "BoolStorage", "BOOL"},
    {"qint8", 1, "QInt8Storage", ""},
    {"quint8", 1, "QUInt8Storage", ""},
    {"qint32", 4, "QInt32Storage", ""},
    {"quint4x2", 1, "QUInt4x2Storage", ""},
    {"quint2x4", 1, "QUInt2x4Storage", ""},
    {"float8_e4m3fn", 1, "", "F8_E4M3"},
    {"float8_e5m2", 1, "", "F8_E5M2"},
    {"uint16", 2, "", "U16"},
    {"uint32", 4, "", "U32"},
    {"uint64", 8, "", "U64"},
}};

// torch.<alias> globals name the same dtype objects as the canonical names.
constexpr std::array<std::pair<std::string_view, std::string_view>, 9> kAliases{{
    {"float", "float32"},
    {"double", "float64"},
    {"half", "float16"},
    {"chalf", "complex32"},
    {"cfloat", "complex64"},
    {"cdouble", "complex128"},
    {"short", "int16"},
    {"int", "int32"},
    {"long", "int64"},
}};

template <class Field>
const Dtype* find(std::string_view wanted, Field field) {
  if (wanted.empty()) return nullptr;
  for (const Dtype& dtype : kDtypes) {
    if (dtype.*field == wanted) return &dtype;
  }
  return nullptr;
}

}  // namespace

const Dtype* dtype_by_name(std::string_view torch_name) {
  for (const auto& [alias, canonical] : kAliases) {
    if (alias == torch_name) return find(canonical, &Dtype::name);
  }
  return find(torch_name, &Dtype::name);
}

const Dtype* dtype_by_storage_class(std::string_view storage_class) {
  return find(storage_class, &Dtype::storage_class);
}

const Dtype* dtype_by_safetensors(std::string_view code) {
  return find(code, &Dtype::safetensors);
}

}  // namespace ckg::checkpoint::detail
