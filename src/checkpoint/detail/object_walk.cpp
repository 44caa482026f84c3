#include "checkpoint/detail/object_walk.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <map>
#include <unordered_map>

#include "checkpoint/detail/torch_objects.h"

namespace ckg::checkpoint::detail {

namespace {

constexpr std::string_view kSparsePrefix = "torch._utils._rebuild_sparse";

bool is_container(Kind kind) {
  return kind == Kind::Dict || kind == Kind::List || kind == Kind::Tuple || kind == Kind::Set ||
         kind == Kind::Object;
}

std::string truncate_utf8(const std::string& text, std::size_t max_bytes) {
  if (text.size() <= max_bytes) return text;
  std::size_t cut = max_bytes;
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
  return fmt::format("{}...({} bytes)", text.substr(0, cut), text.size());
}

// What torch.load's result exposes below a container, as (path element, value) pairs: dict items,
// sequence elements, and for opaque objects their attribute dict (argparse.Namespace) or their
// constructor arguments and state. Keys are spelled only when asked for: a walk crosses many
// edges, and one key may be a long string named again and again through the memo.
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

  ValueId value(std::size_t i) const {
    switch (arena_.kind(id_)) {
      case Kind::Dict: return arena_.dict_of(id_).items[i].second;
      case Kind::Object: {
        if (attrs_) return arena_.dict_of(*attrs_).items[i].second;
        const ObjectData& object = arena_.object_of(id_);
        return i == 0 ? object.args : *object.state;
      }
      default: return arena_.items_of(id_)[i];
    }
  }

  // The path element of child `i`; str keys longer than `max_bytes` are cut (metadata only:
  // tensor paths keep their keys whole).
  std::string key(std::size_t i, std::size_t max_bytes = SIZE_MAX) const {
    std::optional<ValueId> key;
    if (arena_.kind(id_) == Kind::Dict) key = arena_.dict_of(id_).items[i].first;
    if (attrs_) key = arena_.dict_of(*attrs_).items[i].first;
    if (!key) {
      if (arena_.kind(id_) == Kind::Object) return i == 0 ? "args" : "state";
      return std::to_string(i);
    }
    if (arena_.kind(*key) == Kind::Str) return truncate_utf8(arena_.text_of(*key), max_bytes);
    return key_text(arena_, *key);
  }

 private:
  const Arena& arena_;
  ValueId id_;
  std::optional<ValueId> attrs_;
};

// Text the walks hand out, tensor key paths and metadata, counted in bytes (each path element also
// costs a string's own size): memo references let a small file name one long key path, or one
// long string, millions of times.
class OutputBudget {
 public:
  explicit OutputBudget(std::uint64_t limit) : limit_(limit) {}

  bool spend(std::uint64_t bytes) {
    spent_ += bytes;
    return spent_ <= limit_;
  }
  std::string exceeded() const {
    return fmt::format("key paths and metadata exceed {} bytes (limit max_output_bytes)", limit_);
  }

 private:
  std::uint64_t limit_;
  std::uint64_t spent_ = 0;
};

// What one metadata value costs besides its key and text: its place in the JSON document.
constexpr std::uint64_t kNodeBytes = 16;

// One path element as the output budget counts it.
std::uint64_t element_cost(const std::string& element) {
  return sizeof(std::string) + element.size();
}

ReadError limit_error(const Arena& arena, ValueId id, std::string_view record, std::string reason) {
  return ReadError{{}, arena.offset(id), std::move(reason), std::string(record)};
}

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

// Breadth-first over containers near the root, each value once, skipping `excluded` ones. `visit`
// sees a container and a way to spell its path (charged to `output`); it returns false to stop.
template <class Visit>
Status breadth_first(const Arena& arena, ValueId root, const std::vector<bool>& excluded,
                     std::string_view record, OutputBudget& output, Visit visit) {
  // The nodes double as the queue; a node's path is its parent's plus one key, spelled on demand.
  struct Node {
    ValueId id;
    std::size_t parent;  // index into nodes; the root is its own parent
    std::size_t child;   // position among the parent's children
    std::size_t depth;
  };
  std::vector<Node> nodes{{root, 0, 0, 0}};
  std::vector<bool> seen(arena.size(), false);
  seen[root] = true;
  for (std::size_t head = 0; head < nodes.size(); ++head) {
    const Node here = nodes[head];
    const auto path = [&]() -> Result<KeyPath> {
      KeyPath out;
      for (std::size_t at = head; at != 0; at = nodes[at].parent) {
        out.push_back(Children(arena, nodes[nodes[at].parent].id).key(nodes[at].child));
        if (!output.spend(element_cost(out.back()))) {
          return limit_error(arena, here.id, record, output.exceeded());
        }
      }
      std::reverse(out.begin(), out.end());
      return out;
    };
    auto go_on = visit(here.id, here.depth, path);
    if (!go_on) return std::move(go_on).error();
    if (!*go_on) return Ok{};
    if (here.depth >= kSearchDepth) continue;
    Children children(arena, here.id);
    for (std::size_t i = 0; i < children.size(); ++i) {
      const ValueId child = children.value(i);
      if (seen[child] || excluded[child] || !is_container(arena.kind(child))) continue;
      seen[child] = true;
      nodes.push_back(Node{child, head, i, here.depth + 1});
    }
  }
  return Ok{};
}

Result<std::vector<Located>> find_optimizers(const Arena& arena, ValueId root,
                                             std::string_view record, OutputBudget& output) {
  std::vector<Located> found;
  const std::vector<bool> none(arena.size(), false);
  auto status = breadth_first(arena, root, none, record, output,
                              [&](ValueId id, std::size_t, const auto& path) -> Result<bool> {
                                if (!is_optimizer_state(arena, id)) return true;
                                auto spelled = path();
                                if (!spelled) return std::move(spelled).error();
                                found.push_back(Located{id, std::move(*spelled)});
                                return true;
                              });
  if (!status) return std::move(status).error();
  return found;
}

Result<std::optional<Located>> find_state_dict(const Arena& arena, ValueId root,
                                               const std::vector<Located>& optimizers,
                                               std::string_view record, OutputBudget& output) {
  // is_state_dict scans a dict, and one dict may be named under many parents: answers are kept.
  std::vector<std::int8_t> known(arena.size(), -1);
  const auto state_dict = [&](ValueId id) {
    if (known[id] < 0) known[id] = is_state_dict(arena, id);
    return known[id] == 1;
  };
  if (state_dict(root)) return std::optional<Located>(Located{root, {}});
  std::vector<bool> excluded(arena.size(), false);
  for (const Located& optimizer : optimizers) excluded[optimizer.id] = true;
  std::optional<Located> named;
  std::optional<Located> any;
  auto status = breadth_first(
      arena, root, excluded, record, output,
      [&](ValueId id, std::size_t depth, const auto& path) -> Result<bool> {
        for (std::string_view key : kStateDictKeys) {
          auto child = str_key_value(arena, id, key);
          if (child && state_dict(*child)) {
            auto spelled = path();
            if (!spelled) return std::move(spelled).error();
            spelled->emplace_back(key);
            named = Located{*child, std::move(*spelled)};
            return false;
          }
        }
        if (!any && depth > 0 && state_dict(id)) {
          auto spelled = path();
          if (!spelled) return std::move(spelled).error();
          // A pickled nn.Module's own fields (`inspect --objects`) hold some of its tensors, not
          // its state_dict.
          static constexpr std::array<std::string_view, 2> kModuleFields{{"_parameters", "_buffers"}};
          const bool module_field =
              !spelled->empty() && std::find(kModuleFields.begin(), kModuleFields.end(), spelled->back()) != kModuleFields.end();
          if (!module_field) any = Located{id, std::move(*spelled)};
        }
        return true;
      });
  if (!status) return std::move(status).error();
  return named ? named : any;
}

// A pickled nn.Module (`torch.save(model)`, listed with inert classes): an object whose state
// holds torch's registries. Its state, or nullopt.
std::optional<ValueId> module_state(const Arena& arena, ValueId id) {
  if (arena.kind(id) != Kind::Object) return std::nullopt;
  const auto& state = arena.object_of(id).state;
  if (!state) return std::nullopt;
  for (std::string_view registry : {"_parameters", "_buffers", "_modules"}) {
    if (!str_key_value(arena, *state, registry)) return std::nullopt;
  }
  return state;
}

// The pickled module nearest the root, when no state_dict was found.
Result<std::optional<Located>> find_module(const Arena& arena, ValueId root, std::string_view record,
                                           OutputBudget& output) {
  std::optional<Located> found;
  const std::vector<bool> none(arena.size(), false);
  auto status = breadth_first(arena, root, none, record, output,
                              [&](ValueId id, std::size_t, const auto& path) -> Result<bool> {
                                if (!module_state(arena, id)) return true;
                                auto spelled = path();
                                if (!spelled) return std::move(spelled).error();
                                found = Located{id, std::move(*spelled)};
                                return false;
                              });
  if (!status) return std::move(status).error();
  return found;
}

// What module.state_dict() returns for a pickled module: each module's parameters, then its
// persistent buffers, then its children's entries, keyed by the dotted module path
// (torch.nn.Module._save_to_state_dict and state_dict's recursion), as (key, tensor path below
// the module). A module nested in itself is not entered again (torch would recurse forever).
Result<std::vector<std::pair<std::string, KeyPath>>> module_state_dict(const Arena& arena, ValueId module,
                                                                     std::string_view record,
                                                                     const ReadLimits& limits,
                                                                     OutputBudget& output) {
  struct Pending {
    ValueId module;
    std::string prefix;
    KeyPath path;
    std::vector<ValueId> ancestors;
  };
  std::vector<std::pair<std::string, KeyPath>> out;
  std::vector<Pending> stack{{module, "", {}, {}}};
  const auto name_of = [&](ValueId key) -> std::optional<std::string> {
    if (arena.kind(key) != Kind::Str) return std::nullopt;
    return arena.text_of(key);
  };
  while (!stack.empty()) {
    Pending here = std::move(stack.back());
    stack.pop_back();
    if (here.ancestors.size() > limits.max_depth) {
      return limit_error(arena, here.module, record, fmt::format("modules nested deeper than {} (max_depth)", limits.max_depth));
    }
    const ValueId state = *module_state(arena, here.module);
    std::vector<std::string> non_persistent;
    if (auto names = str_key_value(arena, state, "_non_persistent_buffers_set"); names && arena.kind(*names) == Kind::Set) {
      for (ValueId name : arena.items_of(*names)) {
        if (auto text = name_of(name)) non_persistent.push_back(*text);
      }
    }
    for (std::string_view registry : {"_parameters", "_buffers"}) {
      const ValueId tensors = *str_key_value(arena, state, registry);
      if (arena.kind(tensors) != Kind::Dict) continue;
      for (const auto& [key, value] : arena.dict_of(tensors).items) {
        auto name = name_of(key);
        if (!name || arena.kind(value) != Kind::Tensor) continue;  // a None entry has no key
        if (registry == "_buffers" && std::find(non_persistent.begin(), non_persistent.end(), *name) != non_persistent.end()) continue;
        KeyPath path = here.path;
        path.emplace_back(registry);
        path.push_back(*name);
        std::string full = here.prefix + *name;
        if (!output.spend(element_cost(full))) return limit_error(arena, value, record, output.exceeded());
        out.emplace_back(std::move(full), std::move(path));
      }
    }
    const ValueId children = *str_key_value(arena, state, "_modules");
    if (arena.kind(children) != Kind::Dict) continue;
    const auto& items = arena.dict_of(children).items;
    for (auto it = items.rbegin(); it != items.rend(); ++it) {  // the stack pops the first child first
      auto name = name_of(it->first);
      const ValueId child = it->second;
      if (!name || !module_state(arena, child) || child == here.module ||
          std::find(here.ancestors.begin(), here.ancestors.end(), child) != here.ancestors.end()) {
        continue;
      }
      Pending next{child, here.prefix + *name + ".", here.path, here.ancestors};
      next.path.emplace_back("_modules");
      next.path.push_back(*name);
      next.ancestors.push_back(here.module);
      stack.push_back(std::move(next));
    }
  }
  return out;
}

// Findings repeated per path (a cycle reached through a million shared paths) are reported a
// few times and then counted, so the warnings stay readable and bounded. Messages are made only
// for the ones shown.
class RepeatedWarnings {
 public:
  explicit RepeatedWarnings(std::vector<std::string>& out) : out_(out) {}
  ~RepeatedWarnings() {
    for (const auto& [what, count] : counts_) {
      if (count > kShown) out_.push_back(fmt::format("... and {} more: {}", count - kShown, what));
    }
  }
  template <class Message>
  void add(const std::string& what, Message message) {
    if (++counts_[what] <= kShown) out_.push_back(message());
  }

 private:
  static constexpr int kShown = 10;
  std::vector<std::string>& out_;
  std::map<std::string, int> counts_;
};

// Every tensor reachable from the root, once per path, in iteration order.
Status list_tensors(const Arena& arena, ValueId root, std::string_view record,
                    const ReadLimits& limits, OutputBudget& output, Structure& out) {
  // One frame per open container; `next` is one past the child being visited, so the path of
  // the value being visited is the key of each frame's current child.
  struct Frame {
    ValueId id;
    std::size_t next;
  };
  std::vector<Frame> stack;
  std::vector<bool> on_path(arena.size(), false);
  std::uint64_t visited = 0;
  RepeatedWarnings warnings(out.warnings);

  // The path spelled out for a tensor: output, so charged element by element.
  const auto tensor_path = [&](ValueId id) -> Result<KeyPath> {
    KeyPath path;
    path.reserve(stack.size());
    for (const Frame& frame : stack) {
      path.push_back(Children(arena, frame.id).key(frame.next - 1));
      if (!output.spend(element_cost(path.back()))) {
        return limit_error(arena, id, record, output.exceeded());
      }
    }
    return path;
  };
  // The path in a warning: a few hundred bytes at most.
  const auto shown_path = [&] {
    std::string text;
    for (const Frame& frame : stack) {
      if (text.size() > 300) return text + ", ...";
      text += (text.empty() ? "" : ", ") + Children(arena, frame.id).key(frame.next - 1, 60);
    }
    return text;
  };

  // Containers get a frame; their key stays on the path until the frame is done.
  auto visit = [&](ValueId id) -> Status {
    if (++visited > limits.max_visited_nodes) {
      return limit_error(arena, id, record,
                         fmt::format("object graph expands past {} nodes (shared references; limit "
                                     "max_visited_nodes)",
                                     limits.max_visited_nodes));
    }
    const Kind kind = arena.kind(id);
    if (kind == Kind::Tensor) {
      auto path = tensor_path(id);
      if (!path) return std::move(path).error();
      out.tensors.emplace_back(std::move(*path), id);
    } else if (kind == Kind::Object &&
               arena.object_of(id).class_name.rfind(kSparsePrefix, 0) == 0) {
      warnings.add("sparse tensors", [&] {
        return fmt::format("sparse tensor at [{}] is not listed (unsupported tensor kind)",
                           shown_path());
      });
    } else if (is_container(kind)) {
      if (on_path[id]) {
        warnings.add("reference cycles",
                     [&] { return fmt::format("reference cycle at [{}]", shown_path()); });
      } else if (stack.size() >= limits.max_depth) {
        return limit_error(arena, id, record,
                           fmt::format("nesting deeper than {} (limit max_depth)", limits.max_depth));
      } else {
        on_path[id] = true;
        stack.push_back(Frame{id, 0});
      }
    }
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
      continue;
    }
    status = visit(children.value(frame.next++));
    if (!status) return status;
  }
  return Ok{};
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
                  OutputBudget& output, std::vector<std::string>& warnings)
      : arena_(arena),
        limits_(limits),
        skip_(skip),
        output_(output),
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
      const std::size_t i = frame.next++;
      status = visit(children.value(i), children.key(i, limits_.max_metadata_string_bytes), record,
                     result);
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
                         fmt::format("object graph expands past {} nodes (shared references; limit "
                                     "max_visited_nodes)",
                                     limits_.max_visited_nodes));
    }
    if (!output_.spend(key.size() + kNodeBytes)) {
      return limit_error(arena_, id, record, output_.exceeded());
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
      nlohmann::json value = leaf(id);
      if (value.is_string() && !output_.spend(value.get_ref<const std::string&>().size())) {
        return limit_error(arena_, id, record, output_.exceeded());
      }
      attach(key, std::move(value), result);
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
  OutputBudget& output_;
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
  OutputBudget output(limits.max_output_bytes);
  auto listed = list_tensors(arena, root, record, limits, output, out);
  if (!listed) return std::move(listed).error();

  auto optimizers = find_optimizers(arena, root, record, output);
  if (!optimizers) return std::move(optimizers).error();
  for (const Located& optimizer : *optimizers) out.optimizer_paths.push_back(optimizer.path);
  auto state_dict = find_state_dict(arena, root, *optimizers, record, output);
  if (!state_dict) return std::move(state_dict).error();
  std::optional<ValueId> state_dict_id;
  if (*state_dict) {
    out.state_dict_path = (*state_dict)->path;
    state_dict_id = (*state_dict)->id;
    const auto& attrs = arena.dict_of(*state_dict_id).attrs;
    if (auto versions = attrs ? str_key_value(arena, *attrs, "_metadata") : std::nullopt) {
      MetadataBuilder builder(arena, limits, std::nullopt, output, out.warnings);
      auto json = builder.build(*versions, record);
      if (!json) return std::move(json).error();
      if (*json) out.state_dict_metadata = std::move(**json);
    }
  }

  if (!*state_dict && limits.inert_classes) {
    auto module = find_module(arena, root, record, output);
    if (!module) return std::move(module).error();
    if (*module) {
      auto entries = module_state_dict(arena, (*module)->id, record, limits, output);
      if (!entries) return std::move(entries).error();
      // Each tensor is listed once per path, so every entry's path below the module is there.
      std::unordered_map<std::string, std::size_t> listed;
      const std::size_t depth = (*module)->path.size();
      for (std::size_t i = 0; i < out.tensors.size(); ++i) {
        const KeyPath& path = out.tensors[i].first;
        if (path.size() > depth && std::equal((*module)->path.begin(), (*module)->path.end(), path.begin())) {
          listed.emplace(fmt::format("{}", fmt::join(path.begin() + static_cast<std::ptrdiff_t>(depth), path.end(), std::string_view("\0", 1))), i);
        }
      }
      for (auto& [key, path] : *entries) {
        if (auto at = listed.find(fmt::format("{}", fmt::join(path, std::string_view("\0", 1)))); at != listed.end()) {
          out.module_state_dict.emplace_back(std::move(key), at->second);
        }
      }
      out.state_dict_path = std::move((*module)->path);
    }
  }

  MetadataBuilder builder(arena, limits, state_dict_id, output, out.warnings);
  auto metadata = builder.build(root, record);
  if (!metadata) return std::move(metadata).error();
  if (*metadata) out.metadata = std::move(**metadata);
  return out;
}

}  // namespace ckg::checkpoint::detail
