// The object graph an unpickled checkpoint describes, as plain data. Values live in an arena and
// refer to each other by index, so shared references and even cycles (a list holding itself) are
// representable, and destroying the graph never recurses. Nothing here can execute code: allowed
// globals are tokens, opaque objects keep their class name and arguments.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "checkpoint/detail/dtypes.h"

namespace ckg::checkpoint::detail {

using ValueId = std::uint32_t;
// Python's key equality as a number: equal keys (1, 1.0 and True; equal strings; tuples of equal
// keys) share one KeyId.
using KeyId = std::uint32_t;

enum class Kind : std::uint8_t {
  None,
  Bool,
  Int,     // fits int64
  BigInt,  // up to ReadLimits::max_int_bytes, kept as decimal text
  Float,
  Complex,
  Str,
  Bytes,
  Tuple,
  List,
  Set,
  Dict,         // dict, OrderedDict, Counter, defaultdict...: class name + ordered items
  Global,       // an allow-listed callable or type, as a token
  Dtype,        // torch.float32...
  StorageType,  // torch.FloatStorage, torch.UntypedStorage
  Storage,      // a persistent-id storage reference (possibly a legacy view)
  Tensor,
  Object,       // an opaque allow-listed object (argparse.Namespace, numpy scalars...): never built
  ScriptClass,  // a TorchScript class (__torch__.*): a name, instantiated as an Object
};

const char* kind_name(Kind kind);

// The allow-list (security-notes §4 A and B). Tokens only; builders live in torch_globals.cpp.
enum class GlobalId : std::uint8_t {
  OrderedDict,
  Counter,
  DefaultDict,
  RebuildTensor,
  RebuildTensorV2,
  RebuildTensorV3,
  RebuildParameter,
  RebuildParameterWithState,
  RebuildFromTypeV2,
  RebuildMetaTensorNoStorage,
  RebuildQTensor,
  RebuildSparseTensor,
  RebuildSparseCsrTensor,
  Parameter,
  TensorClass,
  Size,
  Device,
  GetLayout,
  CodecsEncode,
  BuiltinSet,
  BuiltinFrozenSet,
  BuiltinBytes,
  BuiltinBytearray,
  BuiltinComplex,
  // Opaque: recorded, never constructed, and torch's weights_only loader refuses them.
  ArgparseNamespace,
  NumpyReconstruct,
  NumpyScalar,
  NumpyNdarray,
  NumpyDtype,
  PathlibPath,
  AttributeDict,
  // TorchScript archives only: typed containers that torch.jit._pickle hands back unchanged.
  ScriptTypedList,
  ScriptRestoreTypeTag,
};

// A storage declared by a persistent id, before the format layer binds it to bytes.
struct PickledStorage {
  std::string key;
  const Dtype* dtype = nullptr;  // uint8 for untyped storages
  std::uint64_t numel = 0;       // elements of dtype
  std::string location;
  std::uint32_t offset = 0;  // first BINPERSID naming it
};

// What a Storage value refers to: a whole storage, or (legacy format) an element range of one.
struct StorageRef {
  std::uint32_t storage = 0;  // index into Arena::storages()
  std::uint64_t view_offset = 0;
  std::uint64_t view_numel = 0;
};

struct TensorData {
  std::optional<std::uint32_t> storage;  // unset for meta tensors
  const Dtype* dtype = nullptr;
  std::vector<std::int64_t> shape;
  std::vector<std::int64_t> strides;
  std::int64_t storage_offset = 0;  // elements, already including any legacy view offset
  std::uint64_t nbytes = 0;
  bool requires_grad = false;
  bool is_parameter = false;
};

struct DictData {
  std::string_view class_name;  // "" for a plain dict, else e.g. "collections.OrderedDict"
  std::vector<std::pair<ValueId, ValueId>> items;
  std::unordered_map<KeyId, std::uint32_t> positions;  // key -> index into items
  std::optional<ValueId> attrs;  // BUILD state of an OrderedDict (state_dict `_metadata`)
};

struct ObjectData {
  std::string class_name;        // TorchScript class names come from the file
  ValueId args;                  // a Tuple
  std::optional<ValueId> state;  // from BUILD
};

class Arena {
 public:
  Arena();

  // Singletons: None, False, True are shared like in Python.
  ValueId none() const { return 0; }
  ValueId boolean(bool b) const { return b ? 2 : 1; }

  ValueId make_int(std::int64_t v, std::uint32_t offset);
  ValueId make_big_int(std::string decimal, std::uint32_t offset);
  ValueId make_float(double v, std::uint32_t offset);
  ValueId make_complex(double re, double im, std::uint32_t offset);
  ValueId make_str(std::string text, std::uint32_t offset);
  ValueId make_bytes(std::string bytes, std::uint32_t offset);
  ValueId make_sequence(Kind kind, std::vector<ValueId> items, std::uint32_t offset);
  ValueId make_dict(std::string_view class_name, std::uint32_t offset);
  ValueId make_global(GlobalId id, std::uint32_t offset);
  ValueId make_dtype(const Dtype* dtype, std::uint32_t offset);
  ValueId make_storage_type(const Dtype* dtype, std::uint32_t offset);
  ValueId make_storage(StorageRef ref, std::uint32_t offset);
  ValueId make_tensor(TensorData tensor, std::uint32_t offset);
  ValueId make_object(std::string class_name, ValueId args, std::uint32_t offset);
  ValueId make_script_class(std::string name, std::uint32_t offset);

  std::size_t size() const { return values_.size(); }
  Kind kind(ValueId id) const { return values_[id].kind; }
  std::uint32_t offset(ValueId id) const { return values_[id].offset; }

  bool boolean_of(ValueId id) const { return values_[id].payload != 0; }
  std::int64_t int_of(ValueId id) const { return static_cast<std::int64_t>(values_[id].payload); }
  double float_of(ValueId id) const;
  std::pair<double, double> complex_of(ValueId id) const { return complexes_[index(id)]; }
  // Str, Bytes, BigInt (decimal) and ScriptClass (qualified name)
  const std::string& text_of(ValueId id) const { return strings_[index(id)]; }
  const std::vector<ValueId>& items_of(ValueId id) const { return sequences_[index(id)]; }
  const DictData& dict_of(ValueId id) const { return dicts_[index(id)]; }
  DictData& dict_of(ValueId id) { return dicts_[index(id)]; }
  GlobalId global_of(ValueId id) const { return static_cast<GlobalId>(values_[id].payload); }
  const Dtype* dtype_of(ValueId id) const;  // Dtype and StorageType values
  const StorageRef& storage_of(ValueId id) const { return storage_refs_[index(id)]; }
  const TensorData& tensor_of(ValueId id) const { return tensors_[index(id)]; }
  const ObjectData& object_of(ValueId id) const { return objects_[index(id)]; }
  ObjectData& object_of(ValueId id) { return objects_[index(id)]; }

  // list.extend / set.update (set elements must be hashable: checked by the caller).
  void extend(ValueId sequence, const std::vector<ValueId>& items);
  // dict[key] = value with Python's semantics (a repeated key keeps its first position).
  // False when the key is unhashable.
  bool set_item(ValueId dict, ValueId key, ValueId value);

  // The key id of a hashable value, nullopt for unhashable ones (list, dict, set), which Python
  // refuses too. Computed once per value and remembered, without recursion: a key referenced a
  // million times through the memo costs one hash, and a tuple's id is built from its items' ids,
  // so shared tuples-of-tuples never expand.
  std::optional<KeyId> key_id(ValueId id);
  // The key id of the str `text`, if some hashed value had it.
  std::optional<KeyId> str_key_id(std::string_view text) const;

  // Two meters the unpickler holds against its limits: the bytes the graph takes in memory, and
  // the elements copied or hashed beyond what opcodes pushed one by one (BUILD and OrderedDict(d)
  // copy a whole dict, set(l) a list...). Both grow only.
  std::uint64_t footprint() const;
  std::uint64_t work() const { return work_; }
  void count_work(std::uint64_t elements) { work_ += elements; }

  void add_storage(PickledStorage storage);
  const std::vector<PickledStorage>& storages() const { return storages_; }

 private:
  struct Value {
    Kind kind;
    std::uint32_t offset;
    std::uint64_t payload;  // Int/Bool bits, Float bits, GlobalId, Dtype*, or a side-table index
  };
  std::uint32_t index(ValueId id) const { return static_cast<std::uint32_t>(values_[id].payload); }
  ValueId push(Kind kind, std::uint64_t payload, std::uint32_t offset, std::uint64_t bytes = 0);
  ValueId push_text(Kind kind, std::string text, std::uint32_t offset);
  std::optional<std::string> leaf_key(ValueId id) const;
  KeyId intern(std::string canonical);

  std::vector<Value> values_;
  std::vector<std::string> strings_;
  std::vector<std::pair<double, double>> complexes_;
  std::vector<std::vector<ValueId>> sequences_;
  std::vector<DictData> dicts_;
  std::vector<StorageRef> storage_refs_;
  std::vector<TensorData> tensors_;
  std::vector<ObjectData> objects_;
  std::vector<PickledStorage> storages_;
  std::unordered_map<std::string, KeyId> interned_;  // canonical key text -> id
  std::unordered_map<ValueId, KeyId> key_ids_;        // values hashed so far
  std::uint64_t footprint_ = 0;
  std::uint64_t work_ = 0;
};

// dict[key] for a str key, or nullopt (also when `dict` is not a dict).
std::optional<ValueId> str_key_value(const Arena& arena, ValueId dict, std::string_view key);

// A dict key as one path element: strings as-is, ints in decimal, anything else Python-repr-like
// (at most `max_bytes` of it; longer keys read "<key too large>").
std::string key_text(const Arena& arena, ValueId id, std::size_t max_bytes = 4096);

}  // namespace ckg::checkpoint::detail
