#include "checkpoint/detail/pickle_value.h"

#include <fmt/format.h>

#include <algorithm>
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

std::uint64_t Arena::footprint() const {
  // Side tables by capacity (vectors grow by doubling); contents (strings, items, hash nodes)
  // as they were added.
  return footprint_ + values_.capacity() * sizeof(Value) +
         strings_.capacity() * sizeof(std::string) + complexes_.capacity() * sizeof(complexes_[0]) +
         sequences_.capacity() * sizeof(sequences_[0]) + dicts_.capacity() * sizeof(DictData) +
         storage_refs_.capacity() * sizeof(StorageRef) +
         tensors_.capacity() * sizeof(TensorData) + objects_.capacity() * sizeof(ObjectData) +
         storages_.capacity() * sizeof(PickledStorage);
}

ValueId Arena::push(Kind kind, std::uint64_t payload, std::uint32_t offset, std::uint64_t bytes) {
  values_.push_back(Value{kind, offset, payload});
  footprint_ += bytes;
  return static_cast<ValueId>(values_.size() - 1);
}

ValueId Arena::push_text(Kind kind, std::string text, std::uint32_t offset) {
  const std::uint64_t bytes = text.size();
  strings_.push_back(std::move(text));
  return push(kind, strings_.size() - 1, offset, bytes);
}

ValueId Arena::make_int(std::int64_t v, std::uint32_t offset) {
  return push(Kind::Int, static_cast<std::uint64_t>(v), offset);
}

ValueId Arena::make_big_int(std::string decimal, std::uint32_t offset) {
  return push_text(Kind::BigInt, std::move(decimal), offset);
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
  return push_text(Kind::Str, std::move(text), offset);
}

ValueId Arena::make_bytes(std::string bytes, std::uint32_t offset) {
  return push_text(Kind::Bytes, std::move(bytes), offset);
}

ValueId Arena::make_sequence(Kind kind, std::vector<ValueId> items, std::uint32_t offset) {
  const std::uint64_t bytes = items.size() * sizeof(ValueId);
  sequences_.push_back(std::move(items));
  return push(kind, sequences_.size() - 1, offset, bytes);
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
  const std::uint64_t bytes = (tensor.shape.size() + tensor.strides.size()) * sizeof(std::int64_t);
  tensors_.push_back(std::move(tensor));
  return push(Kind::Tensor, tensors_.size() - 1, offset, bytes);
}

ValueId Arena::make_script_class(std::string name, std::uint32_t offset) {
  return push_text(Kind::ScriptClass, std::move(name), offset);
}

ValueId Arena::make_object(std::string class_name, ValueId args, std::uint32_t offset) {
  const std::uint64_t bytes = class_name.size();
  objects_.push_back(ObjectData{std::move(class_name), args, std::nullopt});
  return push(Kind::Object, objects_.size() - 1, offset, bytes);
}

void Arena::add_storage(PickledStorage storage) {
  footprint_ += storage.key.size() + storage.location.size();
  storages_.push_back(std::move(storage));
}

void Arena::extend(ValueId sequence, const std::vector<ValueId>& items) {
  auto& target = sequences_[index(sequence)];
  target.insert(target.end(), items.begin(), items.end());
  footprint_ += items.size() * sizeof(ValueId);
}

bool Arena::set_item(ValueId dict, ValueId key, ValueId value) {
  auto id = key_id(key);
  if (!id) return false;
  DictData& data = dicts_[index(dict)];
  auto [it, inserted] =
      data.positions.try_emplace(*id, static_cast<std::uint32_t>(data.items.size()));
  if (inserted) {
    data.items.emplace_back(key, value);
    // An item and its hash-map node (key, index, next pointer, cached hash).
    footprint_ += sizeof(data.items.back()) + 32;
  } else {
    data.items[it->second].second = value;
  }
  return true;
}

std::optional<ValueId> str_key_value(const Arena& arena, ValueId dict, std::string_view key) {
  if (arena.kind(dict) != Kind::Dict) return std::nullopt;
  auto id = arena.str_key_id(key);
  if (!id) return std::nullopt;
  const DictData& data = arena.dict_of(dict);
  auto it = data.positions.find(*id);
  if (it == data.positions.end()) return std::nullopt;
  return data.items[it->second].second;
}

namespace {

std::string float_text(double v) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  return fmt::format("{}", v);
}

std::string str_canonical(std::string_view text) {
  return fmt::format("s{}:{}", text.size(), text);
}

}  // namespace

// Canonical text of a hashable leaf: 1, 1.0 and True collide as they do in a dict; objects hash
// by identity, as in Python.
std::optional<std::string> Arena::leaf_key(ValueId id) const {
  switch (kind(id)) {
    case Kind::None: return "n";
    case Kind::Bool: return boolean_of(id) ? "i1" : "i0";
    case Kind::Int: return "i" + std::to_string(int_of(id));
    case Kind::BigInt: return "i" + text_of(id);
    case Kind::Float: {
      double v = float_of(id);
      if (std::trunc(v) == v && std::fabs(v) < 9.2e18) {
        return "i" + std::to_string(static_cast<std::int64_t>(v));
      }
      return "f" + float_text(v);
    }
    case Kind::Str: return str_canonical(text_of(id));
    case Kind::Bytes: return fmt::format("b{}:{}", text_of(id).size(), text_of(id));
    case Kind::Complex: {
      auto [re, im] = complex_of(id);
      return "c" + float_text(re) + "," + float_text(im);
    }
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
}

KeyId Arena::intern(std::string canonical) {
  const auto next = static_cast<KeyId>(interned_.size());
  const std::uint64_t bytes = canonical.size() + sizeof(std::string) + 32;
  auto [it, inserted] = interned_.try_emplace(std::move(canonical), next);
  if (inserted) footprint_ += bytes;
  return it->second;
}

std::optional<KeyId> Arena::key_id(ValueId root) {
  // Post-order over tuples with an explicit stack: items are created before the tuple holding
  // them, so the graph below a tuple has no cycles, and each tuple is scanned at most twice.
  std::vector<ValueId> pending{root};
  while (!pending.empty()) {
    const ValueId id = pending.back();
    if (key_ids_.count(id)) {
      pending.pop_back();
      continue;
    }
    std::string canonical;
    if (kind(id) == Kind::Tuple) {
      const auto& items = items_of(id);
      work_ += items.size();
      bool ready = true;
      canonical = "(";
      for (ValueId item : items) {
        auto known = key_ids_.find(item);
        if (known != key_ids_.end()) {
          canonical += std::to_string(known->second) + ",";
        } else if (kind(item) == Kind::List || kind(item) == Kind::Dict ||
                   kind(item) == Kind::Set) {
          return std::nullopt;
        } else {
          pending.push_back(item);
          ready = false;
        }
      }
      if (!ready) continue;
      canonical += ")";
    } else {
      auto leaf = leaf_key(id);
      if (!leaf) return std::nullopt;
      canonical = std::move(*leaf);
    }
    pending.pop_back();
    key_ids_.emplace(id, intern(std::move(canonical)));
    footprint_ += 32;
  }
  return key_ids_.at(root);
}

std::optional<KeyId> Arena::str_key_id(std::string_view text) const {
  auto it = interned_.find(str_canonical(text));
  if (it == interned_.end()) return std::nullopt;
  return it->second;
}

namespace {

// Spells a value out without recursion: tuples push their parts on a work list. Stops, with
// nullopt, once the text passes `max_bytes`: a shared tuple-of-tuples key would expand without
// bound.
template <class Leaf>
std::optional<std::string> spell(const Arena& arena, ValueId root, std::size_t max_bytes,
                                 Leaf leaf) {
  std::string out;
  std::vector<std::variant<ValueId, const char*>> work{root};
  while (!work.empty()) {
    if (out.size() > max_bytes) return std::nullopt;
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
      // Only as many items as could still fit: each takes at least two bytes (", ").
      const std::size_t shown = std::min(items.size(), max_bytes / 2 + 1);
      for (std::size_t i = shown; i-- > 0;) {
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
  if (out.size() > max_bytes) return std::nullopt;
  return out;
}

}  // namespace

std::string key_text(const Arena& arena, ValueId root, std::size_t max_bytes) {
  if (arena.kind(root) == Kind::Str) return arena.text_of(root);
  auto text = spell(arena, root, max_bytes, [&](ValueId id) -> std::optional<std::string> {
    switch (arena.kind(id)) {
      case Kind::None: return "None";
      case Kind::Bool: return arena.boolean_of(id) ? "True" : "False";
      case Kind::Int: return std::to_string(arena.int_of(id));
      case Kind::BigInt: return arena.text_of(id);
      case Kind::Float: return float_text(arena.float_of(id));
      case Kind::Str:
        if (arena.text_of(id).size() > max_bytes) return std::nullopt;
        return "'" + arena.text_of(id) + "'";
      case Kind::Bytes: return fmt::format("<bytes: {}>", arena.text_of(id).size());
      default: return fmt::format("<{}>", kind_name(arena.kind(id)));
    }
  });
  return text ? *text : "<key too large>";
}

}  // namespace ckg::checkpoint::detail
