#include "checkpoint/detail/pickle_value.h"

#include <fmt/format.h>

#include <cmath>
#include <cstring>
#include <variant>

namespace ckg::checkpoint::detail {

const char* kind_name(Kind kind) {
  switch (kind) {
    case Kind::None: return "None";
    case Kind::Bool: return "bool";
    case Kind::Int:
    case Kind::BigInt: return "int";
    case Kind::Float: return "float";
    case Kind::Complex: return "complex";
    case Kind::Str: return "str";
    case Kind::Bytes: return "bytes";
    case Kind::Tuple: return "tuple";
    case Kind::List: return "list";
    case Kind::Set: return "set";
    case Kind::Dict: return "dict";
    case Kind::Global: return "global";
    case Kind::Dtype: return "dtype";
    case Kind::StorageType: return "storage type";
    case Kind::Storage: return "storage";
    case Kind::Tensor: return "tensor";
    case Kind::Object: return "object";
    case Kind::ScriptClass: return "class";
  }
  return "?";
}

Arena::Arena() {
  push(Kind::None, 0, 0);
  push(Kind::Bool, 0, 0);
  push(Kind::Bool, 1, 0);
}

ValueId Arena::push(Kind kind, std::uint64_t payload, std::uint32_t offset) {
  values_.push_back(Value{kind, offset, payload});
  return static_cast<ValueId>(values_.size() - 1);
}

ValueId Arena::make_int(std::int64_t v, std::uint32_t offset) {
  return push(Kind::Int, static_cast<std::uint64_t>(v), offset);
}

ValueId Arena::make_big_int(std::string decimal, std::uint32_t offset) {
  strings_.push_back(std::move(decimal));
  return push(Kind::BigInt, strings_.size() - 1, offset);
}

ValueId Arena::make_float(double v, std::uint32_t offset) {
  std::uint64_t bits;
  std::memcpy(&bits, &v, sizeof bits);
  return push(Kind::Float, bits, offset);
}

double Arena::float_of(ValueId id) const {
  double v;
  std::memcpy(&v, &values_[id].payload, sizeof v);
  return v;
}

ValueId Arena::make_complex(double re, double im, std::uint32_t offset) {
  complexes_.emplace_back(re, im);
  return push(Kind::Complex, complexes_.size() - 1, offset);
}

ValueId Arena::make_str(std::string text, std::uint32_t offset) {
  strings_.push_back(std::move(text));
  return push(Kind::Str, strings_.size() - 1, offset);
}

ValueId Arena::make_bytes(std::string bytes, std::uint32_t offset) {
  strings_.push_back(std::move(bytes));
  return push(Kind::Bytes, strings_.size() - 1, offset);
}

ValueId Arena::make_sequence(Kind kind, std::vector<ValueId> items, std::uint32_t offset) {
  sequences_.push_back(std::move(items));
  return push(kind, sequences_.size() - 1, offset);
}

ValueId Arena::make_dict(std::string_view class_name, std::uint32_t offset) {
  dicts_.push_back(DictData{class_name, {}, {}, std::nullopt});
  return push(Kind::Dict, dicts_.size() - 1, offset);
}

ValueId Arena::make_global(GlobalId id, std::uint32_t offset) {
  return push(Kind::Global, static_cast<std::uint64_t>(id), offset);
}

ValueId Arena::make_dtype(const Dtype* dtype, std::uint32_t offset) {
  return push(Kind::Dtype, reinterpret_cast<std::uintptr_t>(dtype), offset);
}

ValueId Arena::make_storage_type(const Dtype* dtype, std::uint32_t offset) {
  return push(Kind::StorageType, reinterpret_cast<std::uintptr_t>(dtype), offset);
}

const Dtype* Arena::dtype_of(ValueId id) const {
  return reinterpret_cast<const Dtype*>(static_cast<std::uintptr_t>(values_[id].payload));
}

ValueId Arena::make_storage(StorageRef ref, std::uint32_t offset) {
  storage_refs_.push_back(ref);
  return push(Kind::Storage, storage_refs_.size() - 1, offset);
}

ValueId Arena::make_tensor(TensorData tensor, std::uint32_t offset) {
  tensors_.push_back(std::move(tensor));
  return push(Kind::Tensor, tensors_.size() - 1, offset);
}

ValueId Arena::make_script_class(std::string name, std::uint32_t offset) {
  strings_.push_back(std::move(name));
  return push(Kind::ScriptClass, strings_.size() - 1, offset);
}

ValueId Arena::make_object(std::string class_name, ValueId args, std::uint32_t offset) {
  objects_.push_back(ObjectData{std::move(class_name), args, std::nullopt});
  return push(Kind::Object, objects_.size() - 1, offset);
}

bool Arena::set_item(ValueId dict, ValueId key, ValueId value) {
  auto hashed = hash_key(*this, key);
  if (!hashed) return false;
  DictData& data = dicts_[index(dict)];
  auto [it, inserted] =
      data.positions.try_emplace(std::move(*hashed), static_cast<std::uint32_t>(data.items.size()));
  if (inserted) {
    data.items.emplace_back(key, value);
  } else {
    data.items[it->second].second = value;
  }
  return true;
}

std::optional<ValueId> str_key_value(const Arena& arena, ValueId dict, std::string_view key) {
  if (arena.kind(dict) != Kind::Dict) return std::nullopt;
  for (const auto& [k, v] : arena.dict_of(dict).items) {
    if (arena.kind(k) == Kind::Str && arena.text_of(k) == key) return v;
  }
  return std::nullopt;
}

namespace {

// Keys are small in practice; the budget stops a shared tuple-of-tuples key from expanding
// exponentially while it is spelled out.
constexpr std::size_t kKeyBudget = 4096;

std::string float_text(double v) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  return fmt::format("{}", v);
}

// Spells a value out without recursion: tuples push their parts on a work list.
// `leaf` decides how everything but tuples looks; hash keys and path text differ only there.
template <class Leaf>
std::optional<std::string> spell(const Arena& arena, ValueId root, Leaf leaf) {
  std::string out;
  std::vector<std::variant<ValueId, const char*>> work{root};
  std::size_t budget = kKeyBudget;
  while (!work.empty()) {
    if (budget-- == 0) return std::nullopt;
    auto item = work.back();
    work.pop_back();
    if (auto* text = std::get_if<const char*>(&item)) {
      out += *text;
      continue;
    }
    ValueId id = std::get<ValueId>(item);
    if (arena.kind(id) == Kind::Tuple) {
      const auto& items = arena.items_of(id);
      work.push_back(items.size() == 1 ? ",)" : ")");
      for (std::size_t i = items.size(); i-- > 0;) {
        work.push_back(items[i]);
        if (i > 0) work.push_back(", ");
      }
      work.push_back("(");
      continue;
    }
    auto piece = leaf(id);
    if (!piece) return std::nullopt;
    out += *piece;
  }
  return out;
}

}  // namespace

std::optional<std::string> hash_key(const Arena& arena, ValueId root) {
  return spell(arena, root, [&](ValueId id) -> std::optional<std::string> {
    switch (arena.kind(id)) {
      case Kind::None: return "n";
      case Kind::Bool: return arena.boolean_of(id) ? "i1" : "i0";
      case Kind::Int: return "i" + std::to_string(arena.int_of(id));
      case Kind::BigInt: return "i" + arena.text_of(id);
      case Kind::Float: {
        double v = arena.float_of(id);
        if (std::trunc(v) == v && std::fabs(v) < 9.2e18) {
          return "i" + std::to_string(static_cast<std::int64_t>(v));
        }
        return "f" + float_text(v);
      }
      case Kind::Str:
        return "s" + std::to_string(arena.text_of(id).size()) + ":" + arena.text_of(id);
      case Kind::Bytes:
        return "b" + std::to_string(arena.text_of(id).size()) + ":" + arena.text_of(id);
      case Kind::Complex: {
        auto [re, im] = arena.complex_of(id);
        return "c" + float_text(re) + "," + float_text(im);
      }
      // Objects hash by identity in Python.
      case Kind::Global:
      case Kind::Dtype:
      case Kind::StorageType:
      case Kind::Storage:
      case Kind::Tensor:
      case Kind::Object:
      case Kind::ScriptClass: return "@" + std::to_string(id);
      case Kind::Tuple:
      case Kind::List:
      case Kind::Set:
      case Kind::Dict: return std::nullopt;
    }
    return std::nullopt;
  });
}

std::string key_text(const Arena& arena, ValueId root) {
  if (arena.kind(root) == Kind::Str) return arena.text_of(root);
  auto text = spell(arena, root, [&](ValueId id) -> std::optional<std::string> {
    switch (arena.kind(id)) {
      case Kind::None: return "None";
      case Kind::Bool: return arena.boolean_of(id) ? "True" : "False";
      case Kind::Int: return std::to_string(arena.int_of(id));
      case Kind::BigInt: return arena.text_of(id);
      case Kind::Float: return float_text(arena.float_of(id));
      case Kind::Str: return "'" + arena.text_of(id) + "'";
      case Kind::Bytes: return fmt::format("<bytes: {}>", arena.text_of(id).size());
      default: return fmt::format("<{}>", kind_name(arena.kind(id)));
    }
  });
  return text ? *text : "<key too large>";
}

}  // namespace ckg::checkpoint::detail
