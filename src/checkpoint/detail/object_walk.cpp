#include "checkpoint/detail/object_walk.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <deque>
#include <map>

#include "checkpoint/detail/torch_objects.h"

namespace ckg::checkpoint::detail {

namespace {

constexpr std::string_view kSparsePrefix = "torch._utils._rebuild_sparse";

bool is_container(Kind kind) {
  return kind == Kind::Dict || kind == Kind::List || kind == Kind::Tuple || kind == Kind::Set ||
         kind == Kind::Object;
}

// What torch.load's result exposes below a container, as (path element, value) pairs: dict items,
// sequence elements, and for opaque objects their attribute dict (argparse.Namespace) or their
// constructor arguments and state.
class Children {
 public:
  Children(const Arena& arena, ValueId id) : arena_(arena), id_(id) {
    if (arena.kind(id) == Kind::Object) {
      const ObjectData& object = arena.object_of(id);
      if (object.state && arena.kind(*object.state) == Kind::Dict) {
        attrs_ = *object.state;
      }
    }
  }

  std::size_t size() const {
    switch (arena_.kind(id_)) {
      case Kind::Dict: return arena_.dict_of(id_).items.size();
      case Kind::List:
      case Kind::Tuple:
      case Kind::Set: return arena_.items_of(id_).size();
      case Kind::Object:
        if (attrs_) return arena_.dict_of(*attrs_).items.size();
        return arena_.object_of(id_).state ? 2 : 1;
      default: return 0;
    }
  }

  std::pair<std::string, ValueId> at(std::size_t i) const {
    switch (arena_.kind(id_)) {
      case Kind::Dict: {
        const auto& [key, value] = arena_.dict_of(id_).items[i];
        return {key_text(arena_, key), value};
      }
      case Kind::Object: {
        if (attrs_) {
          const auto& [key, value] = arena_.dict_of(*attrs_).items[i];
          return {key_text(arena_, key), value};
        }
        const ObjectData& object = arena_.object_of(id_);
        return i == 0 ? std::pair<std::string, ValueId>{"args", object.args}
                      : std::pair<std::string, ValueId>{"state", *object.state};
      }
      default: return {std::to_string(i), arena_.items_of(id_)[i]};
    }
  }

 private:
  const Arena& arena_;
  ValueId id_;
  std::optional<ValueId> attrs_;
};

// A model state_dict: string keys, at least one tensor, and nothing but tensors unless it carries
// the `_metadata` attribute Module.state_dict() sets (then extra states may sit beside them).
bool is_state_dict(const Arena& arena, ValueId id) {
  if (arena.kind(id) != Kind::Dict) return false;
  const DictData& dict = arena.dict_of(id);
  std::size_t tensors = 0;
  bool only_tensors = true;
  for (const auto& [k, v] : dict.items) {
    if (arena.kind(k) != Kind::Str) return false;
    if (arena.kind(v) == Kind::Tensor)
      ++tensors;
    else
      only_tensors = false;
  }
  const bool has_metadata = dict.attrs && str_key_value(arena, *dict.attrs, "_metadata");
  return tensors > 0 && (only_tensors || has_metadata);
}

bool is_optimizer_state(const Arena& arena, ValueId id) {
  auto state = str_key_value(arena, id, "state");
  auto groups = str_key_value(arena, id, "param_groups");
  return state && groups && arena.kind(*state) == Kind::Dict && arena.kind(*groups) == Kind::List;
}

// Where training scripts keep the model weights, most specific first; EMA copies come last so
// the live model wins when both are present.
constexpr std::array<std::string_view, 15> kStateDictKeys{{
    "state_dict",
    "model_state_dict",
    "model",
    "module",
    "model_state",
    "net",
    "network",
    "weights",
    "params",
    "state",
    "ema",
    "model_ema",
    "state_dict_ema",
    "ema_state_dict",
    "ema_model",
}};
constexpr std::size_t kSearchDepth = 4;

struct Located {
  ValueId id;
  KeyPath path;
};

// Breadth-first over containers near the root, each value once, skipping `excluded`.
template <class Visit>
void breadth_first(const Arena& arena, ValueId root, const std::vector<ValueId>& excluded,
                   Visit visit) {
  std::deque<std::pair<Located, std::size_t>> queue{{Located{root, {}}, 0}};
  std::vector<bool> seen(arena.size(), false);
  seen[root] = true;
  while (!queue.empty()) {
    auto [here, depth] = std::move(queue.front());
    queue.pop_front();
    if (!visit(here)) return;
    if (depth >= kSearchDepth) continue;
    Children children(arena, here.id);
    for (std::size_t i = 0; i < children.size(); ++i) {
      auto [key, child] = children.at(i);
      if (seen[child] || !is_container(arena.kind(child))) continue;
      if (std::find(excluded.begin(), excluded.end(), child) != excluded.end()) continue;
      seen[child] = true;
      KeyPath path = here.path;
      path.push_back(std::move(key));
      queue.push_back({Located{child, std::move(path)}, depth + 1});
    }
  }
}

std::vector<Located> find_optimizers(const Arena& arena, ValueId root) {
  std::vector<Located> found;
  std::vector<ValueId> excluded;
  breadth_first(arena, root, excluded, [&](const Located& here) {
    if (is_optimizer_state(arena, here.id)) found.push_back(here);
    return true;
  });
  return found;
}

std::optional<Located> find_state_dict(const Arena& arena, ValueId root,
                                       const std::vector<ValueId>& optimizers) {
  if (is_state_dict(arena, root)) return Located{root, {}};
  std::optional<Located> named;
  std::optional<Located> any;
  breadth_first(arena, root, optimizers, [&](const Located& here) {
    for (std::string_view key : kStateDictKeys) {
      auto child = str_key_value(arena, here.id, key);
      if (child && is_state_dict(arena, *child)) {
        KeyPath path = here.path;
        path.emplace_back(key);
        named = Located{*child, std::move(path)};
        return false;
      }
    }
    if (!any && !here.path.empty() && is_state_dict(arena, here.id)) any = here;
    return true;
  });
  return named ? named : any;
}

ReadError limit_error(const Arena& arena, ValueId id, std::string_view record, std::string reason) {
  return ReadError{{}, arena.offset(id), std::move(reason), std::string(record)};
}

// Findings repeated per path (a cycle reached through a million shared paths) are reported a
// few times and then counted, so the warnings stay readable and bounded.
class RepeatedWarnings {
 public:
  explicit RepeatedWarnings(std::vector<std::string>& out) : out_(out) {}
  ~RepeatedWarnings() {
    for (const auto& [what, count] : counts_) {
      if (count > kShown) out_.push_back(fmt::format("... and {} more: {}", count - kShown, what));
    }
  }
  void add(const std::string& what, std::string message) {
    if (++counts_[what] <= kShown) out_.push_back(std::move(message));
  }

 private:
  static constexpr int kShown = 10;
  std::vector<std::string>& out_;
  std::map<std::string, int> counts_;
};

// Every tensor reachable from the root, once per path, in iteration order.
Status list_tensors(const Arena& arena, ValueId root, std::string_view record,
                    const ReadLimits& limits, Structure& out) {
  struct Frame {
    ValueId id;
    std::size_t next;
  };
  std::vector<Frame> stack;
  std::vector<bool> on_path(arena.size(), false);
  KeyPath path;
  std::uint64_t visited = 0;
  RepeatedWarnings warnings(out.warnings);

  // Containers get a frame and keep their key on the path until the frame is done.
  auto visit = [&](ValueId id) -> Status {
    if (++visited > limits.max_visited_nodes) {
      return limit_error(arena, id, record,
                         fmt::format("object graph expands past {} nodes (shared references)",
                                     limits.max_visited_nodes));
    }
    const Kind kind = arena.kind(id);
    if (kind == Kind::Tensor) {
      out.tensors.emplace_back(path, id);
    } else if (kind == Kind::Object &&
               arena.object_of(id).class_name.rfind(kSparsePrefix, 0) == 0) {
      warnings.add("sparse tensors", fmt::format("sparse tensor at [{}] is not listed (unsupported "
                                                 "tensor kind)",
                                                 fmt::join(path, ", ")));
    } else if (is_container(kind)) {
      if (on_path[id]) {
        warnings.add("reference cycles",
                     fmt::format("reference cycle at [{}]", fmt::join(path, ", ")));
      } else if (stack.size() >= limits.max_depth) {
        return limit_error(arena, id, record,
                           fmt::format("nesting deeper than {}", limits.max_depth));
      } else {
        on_path[id] = true;
        stack.push_back(Frame{id, 0});
        return Ok{};
      }
    }
    if (!path.empty() && !stack.empty()) path.pop_back();
    return Ok{};
  };

  auto status = visit(root);
  if (!status) return status;
  while (!stack.empty()) {
    Frame& frame = stack.back();
    Children children(arena, frame.id);
    if (frame.next == children.size()) {
      on_path[frame.id] = false;
      stack.pop_back();
      if (!path.empty()) path.pop_back();
      continue;
    }
    auto [key, child] = children.at(frame.next++);
    path.push_back(std::move(key));
    status = visit(child);
    if (!status) return status;
  }
  return Ok{};
}

std::string truncate_utf8(const std::string& text, std::size_t max_bytes) {
  if (text.size() <= max_bytes) return text;
  std::size_t cut = max_bytes;
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
  return fmt::format("{}...({} bytes)", text.substr(0, cut), text.size());
}

nlohmann::json float_json(double v) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  return v;
}

// numpy.core.multiarray.scalar(dtype, raw bytes) as the number it stands for, when the dtype is
// a plain little-endian one; epochs and metrics saved as numpy scalars are common.
std::optional<nlohmann::json> numpy_scalar(const Arena& arena, const ObjectData& object) {
  if (object.class_name != "numpy.core.multiarray.scalar") return std::nullopt;
  const auto& args = arena.items_of(object.args);
  if (args.size() != 2 || arena.kind(args[0]) != Kind::Object ||
      arena.kind(args[1]) != Kind::Bytes) {
    return std::nullopt;
  }
  const ObjectData& dtype = arena.object_of(args[0]);
  const auto& dtype_args = arena.items_of(dtype.args);
  if (dtype.class_name != "numpy.dtype" || dtype_args.empty() ||
      arena.kind(dtype_args[0]) != Kind::Str) {
    return std::nullopt;
  }
  if (dtype.state && arena.kind(*dtype.state) == Kind::Tuple) {
    const auto& state = arena.items_of(*dtype.state);
    if (state.size() > 1 && arena.kind(state[1]) == Kind::Str && arena.text_of(state[1]) == ">") {
      return std::nullopt;  // big-endian data
    }
  }
  const std::string& code = arena.text_of(dtype_args[0]);
  const std::string& raw = arena.text_of(args[1]);
  auto load = [&](auto sample) -> std::optional<decltype(sample)> {
    if (raw.size() != sizeof(sample)) return std::nullopt;
    std::memcpy(&sample, raw.data(), sizeof(sample));
    return sample;
  };
  if (code == "f8") {
    if (auto v = load(double{})) return float_json(*v);
  }
  if (code == "f4") {
    if (auto v = load(float{})) return float_json(*v);
  }
  if (code == "i8") {
    if (auto v = load(std::int64_t{})) return *v;
  }
  if (code == "i4") {
    if (auto v = load(std::int32_t{})) return *v;
  }
  if (code == "i2") {
    if (auto v = load(std::int16_t{})) return *v;
  }
  if (code == "i1") {
    if (auto v = load(std::int8_t{})) return *v;
  }
  if (code == "u8") {
    if (auto v = load(std::uint64_t{})) return *v;
  }
  if (code == "u4") {
    if (auto v = load(std::uint32_t{})) return *v;
  }
  if (code == "u2") {
    if (auto v = load(std::uint16_t{})) return *v;
  }
  if (code == "u1") {
    if (auto v = load(std::uint8_t{})) return *v;
  }
  if (code == "b1") {
    if (auto v = load(std::uint8_t{})) return *v != 0;
  }
  return std::nullopt;
}

// numpy.core.multiarray._reconstruct(...) + BUILD (version, shape, dtype, fortran, data): the
// array's shape and dtype code, which is what metadata needs from it.
std::optional<nlohmann::json> numpy_array(const Arena& arena, const ObjectData& object) {
  if (object.class_name != "numpy.core.multiarray._reconstruct" || !object.state ||
      arena.kind(*object.state) != Kind::Tuple) {
    return std::nullopt;
  }
  const auto& state = arena.items_of(*object.state);
  if (state.size() != 5 || arena.kind(state[1]) != Kind::Tuple ||
      arena.kind(state[2]) != Kind::Object) {
    return std::nullopt;
  }
  nlohmann::json shape = nlohmann::json::array();
  for (ValueId dim : arena.items_of(state[1])) {
    if (arena.kind(dim) != Kind::Int) return std::nullopt;
    shape.push_back(arena.int_of(dim));
  }
  const auto& dtype_args = arena.items_of(arena.object_of(state[2]).args);
  if (dtype_args.empty() || arena.kind(dtype_args[0]) != Kind::Str) return std::nullopt;
  return nlohmann::json{
      {"__class__", "numpy.ndarray"}, {"shape", shape}, {"dtype", arena.text_of(dtype_args[0])}};
}

// pathlib paths as the path text.
std::optional<nlohmann::json> path_text(const Arena& arena, const ObjectData& object) {
  if (object.class_name != "pathlib.Path") return std::nullopt;
  std::string text;
  for (ValueId part : arena.items_of(object.args)) {
    if (arena.kind(part) != Kind::Str) return std::nullopt;
    if (!text.empty() && text.back() != '/') text += '/';
    text += arena.text_of(part);
  }
  return text;
}

// Plain values as JSON. Containers are built post-order without recursion; tensors and the
// state_dict are left out, and a container that held only those disappears with them.
class MetadataBuilder {
 public:
  MetadataBuilder(const Arena& arena, const ReadLimits& limits, std::optional<ValueId> skip,
                  std::vector<std::string>& warnings)
      : arena_(arena),
        limits_(limits),
        skip_(skip),
        warnings_(warnings),
        on_path_(arena.size(), false) {}

  // nullopt when the whole value was left out.
  Result<std::optional<nlohmann::json>> build(ValueId root, std::string_view record) {
    std::optional<nlohmann::json> result;
    auto status = visit(root, {}, record, result);
    if (!status) return std::move(status).error();
    while (!stack_.empty()) {
      Frame& frame = stack_.back();
      Children children(arena_, frame.id);
      if (frame.next == children.size()) {
        Frame done = std::move(frame);
        stack_.pop_back();
        on_path_[done.id] = false;
        std::optional<nlohmann::json> value;
        if (!done.pruned_all || done.child_count == 0) value = std::move(done.value);
        attach(done.key, std::move(value), result);
        continue;
      }
      auto [key, child] = children.at(frame.next++);
      status = visit(child, std::move(key), record, result);
      if (!status) return std::move(status).error();
    }
    return result;
  }

 private:
  struct Frame {
    ValueId id;
    std::size_t next = 0;
    std::string key;  // in the parent
    nlohmann::json value;
    std::size_t child_count = 0;
    bool pruned_all = true;
  };

  void attach(const std::string& key, std::optional<nlohmann::json> value,
              std::optional<nlohmann::json>& result) {
    if (stack_.empty()) {
      result = std::move(value);
      return;
    }
    Frame& parent = stack_.back();
    ++parent.child_count;
    if (!value) return;
    parent.pruned_all = false;
    if (parent.value.is_object())
      parent.value[key] = std::move(*value);
    else
      parent.value.push_back(std::move(*value));
  }

  Status visit(ValueId id, std::string key, std::string_view record,
               std::optional<nlohmann::json>& result) {
    if (++visited_ > limits_.max_visited_nodes) {
      return limit_error(arena_, id, record,
                         fmt::format("object graph expands past {} nodes (shared references)",
                                     limits_.max_visited_nodes));
    }
    const Kind kind = arena_.kind(id);
    if (kind == Kind::Tensor || (skip_ && id == *skip_)) {
      attach(key, std::nullopt, result);
      return Ok{};
    }
    if (kind == Kind::Object) {
      const ObjectData& object = arena_.object_of(id);
      for (auto decode : {numpy_scalar, numpy_array, path_text}) {
        if (auto value = decode(arena_, object)) {
          attach(key, std::move(*value), result);
          return Ok{};
        }
      }
      if (object.class_name.rfind(kSparsePrefix, 0) == 0) {
        attach(key, std::nullopt, result);
        return Ok{};
      }
    }
    if (!is_container(kind)) {
      attach(key, leaf(id), result);
      return Ok{};
    }
    if (on_path_[id]) {
      attach(key, nlohmann::json("<cycle>"), result);
      return Ok{};
    }
    if (stack_.size() >= limits_.max_json_depth) {
      if (!warned_depth_) {
        warnings_.push_back(
            fmt::format("metadata nested deeper than {} levels is elided", limits_.max_json_depth));
        warned_depth_ = true;
      }
      attach(key,
             nlohmann::json(fmt::format("<nested deeper than {} levels>", limits_.max_json_depth)),
             result);
      return Ok{};
    }
    Frame frame{id, 0, std::move(key), nlohmann::json::array(), 0, true};
    if (kind == Kind::Dict || kind == Kind::Object) frame.value = nlohmann::json::object();
    if (kind == Kind::Object) {
      frame.value["__class__"] = arena_.object_of(id).class_name;
    }
    on_path_[id] = true;
    stack_.push_back(std::move(frame));
    return Ok{};
  }

  nlohmann::json leaf(ValueId id) const {
    switch (arena_.kind(id)) {
      case Kind::None: return nullptr;
      case Kind::Bool: return arena_.boolean_of(id);
      case Kind::Int: return arena_.int_of(id);
      case Kind::BigInt: return arena_.text_of(id);
      case Kind::Float: return float_json(arena_.float_of(id));
      case Kind::Complex: {
        auto [re, im] = arena_.complex_of(id);
        return fmt::format("({}{:+}j)", re, im);
      }
      case Kind::Str: return truncate_utf8(arena_.text_of(id), limits_.max_metadata_string_bytes);
      case Kind::Bytes: return fmt::format("<{} bytes>", arena_.text_of(id).size());
      case Kind::Dtype: return fmt::format("torch.{}", arena_.dtype_of(id)->name);
      case Kind::StorageType: return fmt::format("<storage type {}>", arena_.dtype_of(id)->name);
      case Kind::Storage: {
        const StorageRef& ref = arena_.storage_of(id);
        const PickledStorage& storage = arena_.storages()[ref.storage];
        return fmt::format("<storage {} {} x{}>", storage.key, storage.dtype->name, ref.view_numel);
      }
      case Kind::Global: return fmt::format("<global {}>", global_name(arena_.global_of(id)));
      case Kind::ScriptClass: return fmt::format("<class {}>", arena_.text_of(id));
      default: return nullptr;
    }
  }

  const Arena& arena_;
  const ReadLimits& limits_;
  std::optional<ValueId> skip_;
  std::vector<std::string>& warnings_;
  std::vector<Frame> stack_;
  std::vector<bool> on_path_;
  std::uint64_t visited_ = 0;
  bool warned_depth_ = false;
};

}  // namespace

Result<Structure> walk_object(const Arena& arena, ValueId root, std::string_view record,
                              const ReadLimits& limits) {
  Structure out;
  auto listed = list_tensors(arena, root, record, limits, out);
  if (!listed) return std::move(listed).error();

  const std::vector<Located> optimizers = find_optimizers(arena, root);
  std::vector<ValueId> optimizer_ids;
  for (const Located& optimizer : optimizers) {
    optimizer_ids.push_back(optimizer.id);
    out.optimizer_paths.push_back(optimizer.path);
  }
  const std::optional<Located> state_dict = find_state_dict(arena, root, optimizer_ids);
  std::optional<ValueId> state_dict_id;
  if (state_dict) {
    out.state_dict_path = state_dict->path;
    state_dict_id = state_dict->id;
    const auto& attrs = arena.dict_of(state_dict->id).attrs;
    if (auto versions = attrs ? str_key_value(arena, *attrs, "_metadata") : std::nullopt) {
      MetadataBuilder builder(arena, limits, std::nullopt, out.warnings);
      auto json = builder.build(*versions, record);
      if (!json) return std::move(json).error();
      if (*json) out.state_dict_metadata = std::move(**json);
    }
  }

  MetadataBuilder builder(arena, limits, state_dict_id, out.warnings);
  auto metadata = builder.build(root, record);
  if (!metadata) return std::move(metadata).error();
  if (*metadata) out.metadata = std::move(**metadata);
  return out;
}

}  // namespace ckg::checkpoint::detail
