#include "checkpoint/detail/torch_objects.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <limits>
#include <optional>
#include <utility>

#include "checkpoint/detail/bytes.h"
#include "checkpoint/detail/text.h"

namespace ckg::checkpoint::detail {

namespace {

constexpr std::array<std::string_view, 33> kGlobalNames{{
    "collections.OrderedDict",
    "collections.Counter",
    "collections.defaultdict",
    "torch._utils._rebuild_tensor",
    "torch._utils._rebuild_tensor_v2",
    "torch._utils._rebuild_tensor_v3",
    "torch._utils._rebuild_parameter",
    "torch._utils._rebuild_parameter_with_state",
    "torch._tensor._rebuild_from_type_v2",
    "torch._utils._rebuild_meta_tensor_no_storage",
    "torch._utils._rebuild_qtensor",
    "torch._utils._rebuild_sparse_tensor",
    "torch._utils._rebuild_sparse_csr_tensor",
    "torch.nn.parameter.Parameter",
    "torch.Tensor",
    "torch.Size",
    "torch.device",
    "torch.serialization._get_layout",
    "_codecs.encode",
    "builtins.set",
    "builtins.frozenset",
    "builtins.bytes",
    "builtins.bytearray",
    "builtins.complex",
    "argparse.Namespace",
    "numpy.core.multiarray._reconstruct",
    "numpy.core.multiarray.scalar",
    "numpy.ndarray",
    "numpy.dtype",
    "pathlib.Path",
    "pytorch_lightning.utilities.parsing.AttributeDict",
    "torch.jit._pickle.build_intlist",
    "torch.jit._pickle.restore_type_tag",
}};

static_assert(kGlobalNames.size() == static_cast<std::size_t>(GlobalId::ScriptRestoreTypeTag) + 1,
              "one name per GlobalId, in enum order");

// Names that resolve to the same object as an allow-listed one (module moves across versions).
constexpr std::array<std::pair<std::string_view, GlobalId>, 15> kExtraNames{{
    {"torch._tensor.Tensor", GlobalId::TensorClass},
    {"torch.nn.Parameter", GlobalId::Parameter},
    {"numpy._core.multiarray._reconstruct", GlobalId::NumpyReconstruct},
    {"numpy._core.multiarray.scalar", GlobalId::NumpyScalar},
    {"pathlib.PosixPath", GlobalId::PathlibPath},
    {"pathlib.WindowsPath", GlobalId::PathlibPath},
    {"pathlib.PurePosixPath", GlobalId::PathlibPath},
    {"pathlib.PureWindowsPath", GlobalId::PathlibPath},
    {"lightning.fabric.utilities.data.AttributeDict", GlobalId::AttributeDict},
    {"lightning_fabric.utilities.data.AttributeDict", GlobalId::AttributeDict},
    {"lightning.pytorch.utilities.parsing.AttributeDict", GlobalId::AttributeDict},
    {"torch._utils._rebuild_from_type_v2", GlobalId::RebuildFromTypeV2},
    {"torch.jit._pickle.build_tensorlist", GlobalId::ScriptTypedList},
    {"torch.jit._pickle.build_doublelist", GlobalId::ScriptTypedList},
    {"torch.jit._pickle.build_boollist", GlobalId::ScriptTypedList},
}};

// Pickles written by Python 2 (and protocol <3 by Python 3) name builtins the old way; Python's
// own unpickler (fix_imports) renames them first, so matching happens on the new names.
std::pair<std::string, std::string> python3_name(std::string_view module, std::string_view name) {
  static constexpr std::array<std::pair<std::string_view, std::string_view>, 6> kModules{{
      {"__builtin__", "builtins"},
      {"exceptions", "builtins"},
      {"copy_reg", "copyreg"},
      {"cPickle", "pickle"},
      {"UserDict", "collections"},
      {"commands", "subprocess"},
  }};
  static constexpr std::array<std::array<std::string_view, 3>, 4> kNames{{
      {"intern", "sys", "intern"},
      {"reduce", "functools", "reduce"},
      {"unicode", "builtins", "str"},
      {"execfile", "builtins", "exec"},
  }};
  if (module == "__builtin__") {
    for (const auto& [old_name, new_module, new_name] : kNames) {
      if (name == old_name) return {std::string(new_module), std::string(new_name)};
    }
  }
  for (const auto& [old_module, new_module] : kModules) {
    if (module == old_module) return {std::string(new_module), std::string(name)};
  }
  return {std::string(module), std::string(name)};
}

// A deny list never decides what is allowed (the allow-list does); it only drops the
// "(not on the allow-list)" hint for globals that run code or touch files, which need no hint.
bool runs_code(const std::string& module, const std::string& name) {
  static constexpr std::array<std::string_view, 24> kModules{{
      "os",
      "posix",
      "nt",
      "sys",
      "subprocess",
      "importlib",
      "pickle",
      "_pickle",
      "marshal",
      "runpy",
      "socket",
      "pip",
      "timeit",
      "shutil",
      "ctypes",
      "pty",
      "code",
      "webbrowser",
      "multiprocessing",
      "asyncio",
      "pkgutil",
      "bdb",
      "io",
      "_io",
  }};
  static constexpr std::array<std::string_view, 16> kBuiltins{{
      "eval",
      "exec",
      "getattr",
      "setattr",
      "delattr",
      "__import__",
      "open",
      "compile",
      "globals",
      "locals",
      "vars",
      "input",
      "breakpoint",
      "apply",
      "execfile",
      "memoryview",
  }};
  static constexpr std::array<std::string_view, 6> kQualified{{
      "functools.partial",
      "operator.attrgetter",
      "operator.itemgetter",
      "operator.methodcaller",
      "torch.load",
      "torch.storage._load_from_bytes",
  }};
  for (auto denied : kModules) {
    if (module == denied ||
        (module.size() > denied.size() && module.compare(0, denied.size(), denied) == 0 &&
         module[denied.size()] == '.')) {
      return true;
    }
  }
  if (module == "builtins") {
    for (auto denied : kBuiltins) {
      if (name == denied) return true;
    }
  }
  const std::string qualified = module + "." + name;
  for (auto denied : kQualified) {
    if (qualified == denied) return true;
  }
  return false;
}

bool refused_by_weights_only(GlobalId id) {
  switch (id) {
    case GlobalId::DefaultDict:
    case GlobalId::ArgparseNamespace:
    case GlobalId::NumpyReconstruct:
    case GlobalId::NumpyScalar:
    case GlobalId::NumpyNdarray:
    case GlobalId::NumpyDtype:
    case GlobalId::PathlibPath:
    case GlobalId::AttributeDict: return true;
    default: return false;
  }
}

bool rebuilds_tensor(GlobalId id) {
  switch (id) {
    case GlobalId::RebuildTensor:
    case GlobalId::RebuildTensorV2:
    case GlobalId::RebuildTensorV3:
    case GlobalId::RebuildParameter:
    case GlobalId::RebuildParameterWithState:
    case GlobalId::RebuildMetaTensorNoStorage:
    case GlobalId::RebuildQTensor:
    case GlobalId::Parameter: return true;
    default: return false;
  }
}

bool is_identifier(std::string_view text) {
  if (text.empty() || (text[0] >= '0' && text[0] <= '9')) return false;
  return std::all_of(text.begin(), text.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
  });
}

// __torch__ or __torch__.a.b, and a plain class name: nothing that could reach an attribute.
bool is_script_class(const std::string& module, const std::string& name) {
  if (module != "__torch__" && module.rfind("__torch__.", 0) != 0) return false;
  std::size_t start = 0;
  while (start <= module.size()) {
    const std::size_t end = std::min(module.find('.', start), module.size());
    if (!is_identifier(std::string_view(module).substr(start, end - start))) return false;
    start = end + 1;
  }
  return is_identifier(name);
}

}  // namespace

std::string_view global_name(GlobalId id) {
  return kGlobalNames[static_cast<std::size_t>(id)];
}

void TorchObjects::warn_once(std::string message) {
  if (warned_.insert(message).second) warnings_.push_back(std::move(message));
}

Result<ValueId> TorchObjects::global(std::string_view module, std::string_view name,
                                     std::uint32_t offset) {
  auto [py3_module, py3_name] = python3_name(module, name);
  const std::string qualified = py3_module + "." + py3_name;
  // Exact matches only: dotted or dunder tricks ("_rebuild_tensor_v2.__globals__") miss.
  std::optional<GlobalId> allowed;
  for (std::size_t i = 0; i < kGlobalNames.size(); ++i) {
    if (kGlobalNames[i] == qualified) allowed = static_cast<GlobalId>(i);
  }
  for (const auto& [extra, id] : kExtraNames) {
    if (extra == qualified) allowed = id;
  }
  const bool script_only =
      allowed == GlobalId::ScriptTypedList || allowed == GlobalId::ScriptRestoreTypeTag;
  if (allowed && (!script_only || torchscript_)) return arena_.make_global(*allowed, offset);
  // TorchScript archives name their module classes __torch__.<path>.<Class>; they are only
  // names here (code/ is never read) and become opaque objects holding their attributes.
  if (torchscript_ && is_script_class(py3_module, py3_name)) {
    return arena_.make_script_class(qualified, offset);
  }
  if (py3_module == "torch") {
    if (const Dtype* dtype = dtype_by_name(py3_name)) return arena_.make_dtype(dtype, offset);
    if (const Dtype* dtype = dtype_by_storage_class(py3_name)) {
      return arena_.make_storage_type(dtype, offset);
    }
  }
  // Constants and types that appear as values (quantization schemes, memory formats, a
  // defaultdict's factory) become their names: a label cannot be called, so nothing can run.
  static constexpr std::array<std::string_view, 18> kLabels{{
      "torch.per_tensor_affine",
      "torch.per_channel_affine",
      "torch.per_tensor_symmetric",
      "torch.per_channel_symmetric",
      "torch.per_channel_affine_float_qparams",
      "torch.contiguous_format",
      "torch.channels_last",
      "torch.channels_last_3d",
      "torch.preserve_format",
      "builtins.list",
      "builtins.dict",
      "builtins.tuple",
      "builtins.int",
      "builtins.float",
      "builtins.str",
      "builtins.bool",
      "builtins.object",
      "typing.Any",
  }};
  if (std::find(kLabels.begin(), kLabels.end(), qualified) != kLabels.end()) {
    return arena_.make_str(qualified, offset);
  }
  // Untyped storages hold bytes; torch's own loader treats them as uint8 storages.
  if (qualified == "torch.UntypedStorage" || qualified == "torch._UntypedStorage" ||
      qualified == "torch.storage.UntypedStorage" || qualified == "torch.storage._UntypedStorage") {
    return arena_.make_storage_type(dtype_by_name("uint8"), offset);
  }
  // Named as Python would resolve it: protocol 2 writes __builtin__.eval for builtins.eval.
  const std::string shown = escape_for_display(qualified, 200);
  // A partial runs code only when called, and in listing mode nothing is called (an object is
  // never callable): models keep `partial(nn.LayerNorm, eps=1e-6)` as attributes (torchvision's
  // ViT, ConvNeXt, Swin), so their whole-module pickles list like the others.
  const bool inert_partial = limits_.inert_classes && qualified == "functools.partial";
  if (runs_code(py3_module, py3_name) && !inert_partial) return error_at(std::nullopt, "refusing global " + shown);
  if (limits_.inert_classes) {
    warn_once(fmt::format("{} is listed by name, never built (torch.load would import and run it)", shown));
    return arena_.make_script_class(qualified, offset);
  }
  return error_at(std::nullopt, "refusing global " + shown + " (not on the allow-list)");
}

namespace {

std::optional<std::int64_t> int_arg(const Arena& arena, ValueId id) {
  if (arena.kind(id) != Kind::Int) return std::nullopt;
  return arena.int_of(id);
}

bool is_sequence(const Arena& arena, ValueId id) {
  return arena.kind(id) == Kind::Tuple || arena.kind(id) == Kind::List;
}

// Latin-1 text (each code point < 256) to bytes: what _codecs.encode(s, "latin1") returns.
std::optional<std::string> latin1_bytes(const std::string& text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c < 0x80) {
      out.push_back(static_cast<char>(c));
    } else if ((c == 0xC2 || c == 0xC3) && i + 1 < text.size()) {
      out.push_back(
          static_cast<char>(((c & 0x03) << 6) | (static_cast<unsigned char>(text[++i]) & 0x3F)));
    } else {
      return std::nullopt;
    }
  }
  return out;
}

bool is_latin1_name(const std::string& encoding) {
  return encoding == "latin1" || encoding == "latin-1" || encoding == "latin_1" ||
         encoding == "iso-8859-1" || encoding == "iso8859-1";
}

}  // namespace

Result<ValueId> TorchObjects::call(ValueId callable, ValueId args_id, std::uint32_t offset) {
  if (arena_.kind(callable) == Kind::ScriptClass) {
    return arena_.make_object(arena_.text_of(callable), args_id, offset);
  }
  if (arena_.kind(callable) != Kind::Global) {
    return error_at(std::nullopt,
                    fmt::format("cannot call a {} (only allow-listed globals are callable)",
                                kind_name(arena_.kind(callable))));
  }
  const GlobalId id = arena_.global_of(callable);
  const std::string_view who = global_name(id);
  if (arena_.kind(args_id) != Kind::Tuple) {
    return error_at(std::nullopt, fmt::format("bad arguments to {}: not a tuple", who));
  }
  // Nothing on the allow-list takes more: a long tuple named through the memo is not copied.
  constexpr std::size_t kMaxArguments = 8;
  if (arena_.items_of(args_id).size() > kMaxArguments) {
    return error_at(std::nullopt, fmt::format("bad arguments to {}: {} arguments", who,
                                              arena_.items_of(args_id).size()));
  }
  // A copy: building values below may grow the arena and move its storage.
  const std::vector<ValueId> args = arena_.items_of(args_id);
  const auto arity = [&](std::size_t low, std::size_t high) -> std::optional<ReadError> {
    if (args.size() >= low && args.size() <= high) return std::nullopt;
    if (low == high) {
      return error_at(
          std::nullopt,
          fmt::format("bad arguments to {}: expected {} arguments, got {}", who, low, args.size()));
    }
    return error_at(std::nullopt,
                    fmt::format("bad arguments to {}: expected {} to {} arguments, got {}", who,
                                low, high, args.size()));
  };
  const auto wrong = [&](std::string_view what) {
    return error_at(std::nullopt, fmt::format("bad arguments to {}: {}", who, what));
  };

  switch (id) {
    case GlobalId::OrderedDict:
    case GlobalId::Counter:
    case GlobalId::DefaultDict:
    case GlobalId::AttributeDict: {
      if (auto e = arity(0, 1)) return *e;
      if (refused_by_weights_only(id)) {
        warn_once(
            fmt::format("weights_only=True refuses {} (torch.load needs weights_only=False)", who));
      }
      const ValueId dict = arena_.make_dict(who, offset);
      if (args.empty() || id == GlobalId::DefaultDict) return dict;  // the factory is a label
      const ValueId source = args[0];
      if (arena_.kind(source) == Kind::Dict) {
        arena_.count_work(arena_.dict_of(source).items.size());
        const auto items = arena_.dict_of(source).items;
        for (const auto& [k, v] : items) arena_.set_item(dict, k, v);
        return dict;
      }
      if (!is_sequence(arena_, source)) return wrong("expected a dict or a sequence of pairs");
      arena_.count_work(arena_.items_of(source).size());
      const std::vector<ValueId> pairs = arena_.items_of(source);
      for (ValueId pair : pairs) {
        if (!is_sequence(arena_, pair) || arena_.items_of(pair).size() != 2) {
          return wrong("expected (key, value) pairs");
        }
        const auto kv = arena_.items_of(pair);
        if (!arena_.set_item(dict, kv[0], kv[1])) return wrong("unhashable key");
      }
      return dict;
    }
    case GlobalId::RebuildTensor:
    case GlobalId::RebuildTensorV2:
    case GlobalId::RebuildTensorV3:
    case GlobalId::RebuildQTensor: return rebuild_tensor(id, args, offset);
    case GlobalId::RebuildMetaTensorNoStorage: {
      if (auto e = arity(4, 4)) return *e;
      if (arena_.kind(args[0]) != Kind::Dtype) return wrong("dtype must be a torch dtype");
      if (arena_.kind(args[3]) != Kind::Bool) return wrong("requires_grad must be a bool");
      return make_view(who, std::nullopt, arena_.dtype_of(args[0]), 0, args[1], args[2],
                       arena_.boolean_of(args[3]), offset);
    }
    case GlobalId::RebuildParameter: return rebuild_parameter(args, 3, 3, offset);
    case GlobalId::RebuildParameterWithState: return rebuild_parameter(args, 4, 4, offset);
    case GlobalId::Parameter: return rebuild_parameter(args, 1, 2, offset);
    case GlobalId::RebuildFromTypeV2: {
      if (auto e = arity(4, 4)) return *e;
      const ValueId func = args[0];
      const ValueId type = args[1];
      if (arena_.kind(func) != Kind::Global || !rebuilds_tensor(arena_.global_of(func))) {
        return wrong("func must be a tensor rebuild function");
      }
      if (arena_.kind(type) != Kind::Global || (arena_.global_of(type) != GlobalId::TensorClass &&
                                                arena_.global_of(type) != GlobalId::Parameter)) {
        return wrong("type must be torch.Tensor or torch.nn.Parameter");
      }
      auto tensor = call(func, args[2], offset);
      if (!tensor) return tensor;
      if (arena_.kind(*tensor) != Kind::Tensor) return wrong("func did not produce a tensor");
      if (arena_.global_of(type) != GlobalId::Parameter) return tensor;
      TensorData data = arena_.tensor_of(*tensor);
      data.is_parameter = true;
      return arena_.make_tensor(std::move(data), offset);
    }
    case GlobalId::TensorClass: return wrong("torch.Tensor is only a type tag here");
    case GlobalId::Size: {
      if (auto e = arity(0, 1)) return *e;
      std::vector<ValueId> dims;
      if (!args.empty()) {
        if (!is_sequence(arena_, args[0])) return wrong("expected a sequence of ints");
        arena_.count_work(arena_.items_of(args[0]).size());
        dims = arena_.items_of(args[0]);
      }
      for (ValueId dim : dims) {
        if (arena_.kind(dim) != Kind::Int) return wrong("expected a sequence of ints");
      }
      return arena_.make_sequence(Kind::Tuple, std::move(dims), offset);
    }
    case GlobalId::Device: {
      if (auto e = arity(1, 2)) return *e;
      if (arena_.kind(args[0]) != Kind::Str) return wrong("device type must be a str");
      std::string device = arena_.text_of(args[0]);
      if (args.size() == 2 && arena_.kind(args[1]) != Kind::None) {
        auto index = int_arg(arena_, args[1]);
        if (!index) return wrong("device index must be an int");
        device += ":" + std::to_string(*index);
      }
      return arena_.make_str(std::move(device), offset);
    }
    case GlobalId::GetLayout: {
      if (auto e = arity(1, 1)) return *e;
      if (arena_.kind(args[0]) != Kind::Str) return wrong("layout must be a str");
      return arena_.make_str(arena_.text_of(args[0]), offset);
    }
    case GlobalId::CodecsEncode: {
      if (auto e = arity(2, 2)) return *e;
      if (arena_.kind(args[0]) != Kind::Str || arena_.kind(args[1]) != Kind::Str ||
          !is_latin1_name(arena_.text_of(args[1]))) {
        return wrong("only (str, 'latin1') is supported");
      }
      auto bytes = latin1_bytes(arena_.text_of(args[0]));
      if (!bytes) return wrong("text is not latin-1");
      return arena_.make_bytes(std::move(*bytes), offset);
    }
    case GlobalId::BuiltinSet:
    case GlobalId::BuiltinFrozenSet: {
      if (auto e = arity(0, 1)) return *e;
      std::vector<ValueId> items;
      if (!args.empty()) {
        if (!is_sequence(arena_, args[0]) && arena_.kind(args[0]) != Kind::Set) {
          return wrong("expected a sequence");
        }
        arena_.count_work(arena_.items_of(args[0]).size());
        items = arena_.items_of(args[0]);
      }
      for (ValueId item : items) {
        if (!arena_.key_id(item)) return wrong("unhashable set element");
      }
      return arena_.make_sequence(Kind::Set, std::move(items), offset);
    }
    case GlobalId::BuiltinBytes:
    case GlobalId::BuiltinBytearray: {
      if (auto e = arity(0, 2)) return *e;
      if (args.empty()) return arena_.make_bytes({}, offset);
      if (args.size() == 1 && arena_.kind(args[0]) == Kind::Bytes) {
        return arena_.make_bytes(arena_.text_of(args[0]), offset);
      }
      if (args.size() == 2 && arena_.kind(args[0]) == Kind::Str &&
          arena_.kind(args[1]) == Kind::Str && is_latin1_name(arena_.text_of(args[1]))) {
        auto bytes = latin1_bytes(arena_.text_of(args[0]));
        if (bytes) return arena_.make_bytes(std::move(*bytes), offset);
      }
      return wrong("only bytes or (str, 'latin-1') are supported");
    }
    case GlobalId::BuiltinComplex: {
      if (auto e = arity(0, 2)) return *e;
      double parts[2] = {0, 0};
      for (std::size_t i = 0; i < args.size(); ++i) {
        if (arena_.kind(args[i]) == Kind::Float) {
          parts[i] = arena_.float_of(args[i]);
        } else if (arena_.kind(args[i]) == Kind::Int) {
          parts[i] = static_cast<double>(arena_.int_of(args[i]));
        } else {
          return wrong("expected numbers");
        }
      }
      return arena_.make_complex(parts[0], parts[1], offset);
    }
    case GlobalId::ScriptTypedList: {
      if (auto e = arity(1, 1)) return *e;
      if (arena_.kind(args[0]) != Kind::List) return wrong("expected a list");
      return args[0];
    }
    case GlobalId::ScriptRestoreTypeTag: {
      if (auto e = arity(2, 2)) return *e;
      return args[0];  // the type tag is a TorchScript type string: a label
    }
    case GlobalId::RebuildSparseTensor:
    case GlobalId::RebuildSparseCsrTensor:
    case GlobalId::ArgparseNamespace:
    case GlobalId::NumpyReconstruct:
    case GlobalId::NumpyScalar:
    case GlobalId::NumpyNdarray:
    case GlobalId::NumpyDtype:
    case GlobalId::PathlibPath: return call_opaque(id, args_id, offset);
  }
  return wrong("not callable");
}

Result<ValueId> TorchObjects::call_opaque(GlobalId id, ValueId args, std::uint32_t offset) {
  if (refused_by_weights_only(id)) {
    warn_once(fmt::format("weights_only=True refuses {} (torch.load needs weights_only=False)",
                          global_name(id)));
  }
  return arena_.make_object(std::string(global_name(id)), args, offset);
}

Result<ValueId> TorchObjects::rebuild_tensor(GlobalId id, const std::vector<ValueId>& args,
                                             std::uint32_t offset) {
  const std::string_view who = global_name(id);
  std::size_t low = 4, high = 4;
  if (id == GlobalId::RebuildTensorV2) low = 6, high = 7;
  if (id == GlobalId::RebuildTensorV3) low = 7, high = 8;
  if (id == GlobalId::RebuildQTensor) low = 7, high = 7;
  if (args.size() < low || args.size() > high) {
    return error_at(
        std::nullopt,
        fmt::format("bad arguments to {}: expected {} arguments, got {}", who,
                    low == high ? std::to_string(low) : fmt::format("{} or {}", low, high),
                    args.size()));
  }
  if (arena_.kind(args[0]) != Kind::Storage) {
    return error_at(std::nullopt,
                    fmt::format("bad arguments to {}: storage must be a storage, got {}", who,
                                kind_name(arena_.kind(args[0]))));
  }
  const StorageRef ref = arena_.storage_of(args[0]);
  const Dtype* dtype = arena_.storages()[ref.storage].dtype;
  bool requires_grad = false;
  if (id != GlobalId::RebuildTensor) {
    const ValueId flag = id == GlobalId::RebuildQTensor ? args[5] : args[4];
    if (arena_.kind(flag) != Kind::Bool) {
      return error_at(std::nullopt,
                      fmt::format("bad arguments to {}: requires_grad must be a bool", who));
    }
    requires_grad = arena_.boolean_of(flag);
  }
  if (id == GlobalId::RebuildTensorV3) {
    if (arena_.kind(args[6]) != Kind::Dtype) {
      return error_at(std::nullopt,
                      fmt::format("bad arguments to {}: dtype must be a torch dtype", who));
    }
    dtype = arena_.dtype_of(args[6]);
  }
  auto base = int_arg(arena_, args[1]);
  if (!base)
    return error_at(std::nullopt,
                    fmt::format("bad arguments to {}: storage_offset must be an int", who));
  return make_view(who, ref, dtype, *base, args[2], args[3], requires_grad, offset);
}

Result<ValueId> TorchObjects::rebuild_parameter(const std::vector<ValueId>& args,
                                                std::size_t min_args, std::size_t max_args,
                                                std::uint32_t offset) {
  const std::string_view who = min_args == 4   ? global_name(GlobalId::RebuildParameterWithState)
                               : min_args == 3 ? global_name(GlobalId::RebuildParameter)
                                               : global_name(GlobalId::Parameter);
  if (args.size() < min_args || args.size() > max_args) {
    return error_at(std::nullopt, fmt::format("bad arguments to {}: expected {} arguments, got {}",
                                              who, max_args, args.size()));
  }
  if (arena_.kind(args[0]) != Kind::Tensor) {
    return error_at(std::nullopt, fmt::format("bad arguments to {}: data must be a tensor", who));
  }
  TensorData data = arena_.tensor_of(args[0]);
  data.is_parameter = true;
  data.requires_grad = true;  // Parameter's default
  if (args.size() > 1) {
    if (arena_.kind(args[1]) != Kind::Bool) {
      return error_at(std::nullopt,
                      fmt::format("bad arguments to {}: requires_grad must be a bool", who));
    }
    data.requires_grad = arena_.boolean_of(args[1]);
  }
  return arena_.make_tensor(std::move(data), offset);
}

Result<ValueId> TorchObjects::make_view(std::string_view who, std::optional<StorageRef> ref,
                                        const Dtype* dtype, std::int64_t base, ValueId size,
                                        ValueId stride, bool requires_grad, std::uint32_t offset) {
  const auto wrong = [&](std::string_view what) {
    return error_at(std::nullopt, fmt::format("bad arguments to {}: {}", who, what));
  };
  if (base < 0) return error_at(std::nullopt, fmt::format("negative storage offset {}", base));
  if (!is_sequence(arena_, size)) return wrong("size must be a tuple of ints");
  if (!is_sequence(arena_, stride)) return wrong("stride must be a tuple of ints");
  const auto& sizes = arena_.items_of(size);
  const auto& strides = arena_.items_of(stride);
  if (sizes.size() > limits_.max_rank) {
    return error_at(std::nullopt, fmt::format("tensor rank {} exceeds {} (limit max_rank)",
                                              sizes.size(), limits_.max_rank));
  }
  if (sizes.size() != strides.size()) {
    return error_at(std::nullopt, fmt::format("size and stride differ in length ({} vs {})",
                                              sizes.size(), strides.size()));
  }
  TensorData data;
  data.dtype = dtype;
  data.requires_grad = requires_grad;
  std::uint64_t numel = 1;
  std::uint64_t last = static_cast<std::uint64_t>(base);  // offset of the last element
  bool overflow = false;
  for (std::size_t i = 0; i < sizes.size(); ++i) {
    auto n = int_arg(arena_, sizes[i]);
    auto s = int_arg(arena_, strides[i]);
    if (!n || !s) return wrong("size and stride must hold ints");
    if (*n < 0)
      return error_at(std::nullopt, fmt::format("negative size {} in dimension {}", *n, i));
    if (*s < 0)
      return error_at(std::nullopt, fmt::format("negative stride {} in dimension {}", *s, i));
    data.shape.push_back(*n);
    data.strides.push_back(*s);
    auto next = checked_mul(numel, static_cast<std::uint64_t>(*n));
    if (!next) return error_at(std::nullopt, "element count overflows");
    numel = *next;
    if (*n > 0) {
      auto step = checked_mul(static_cast<std::uint64_t>(*n - 1), static_cast<std::uint64_t>(*s));
      auto moved = step ? checked_add(last, *step) : std::nullopt;
      if (!moved)
        overflow = true;
      else
        last = *moved;
    }
  }
  auto nbytes = checked_mul(numel, dtype->itemsize);
  if (!nbytes || *nbytes > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
    return error_at(std::nullopt,
                    fmt::format("size overflows ({} elements of {})", numel, dtype->name));
  }
  data.nbytes = *nbytes;
  data.storage_offset = base;
  if (!ref) return arena_.make_tensor(std::move(data), offset);  // meta tensors have no bytes

  // Bounds are checked in bytes so typed, untyped (v3) and legacy view storages share one rule:
  // the view's last element must lie inside the storage; an empty view's offset may not pass it.
  const PickledStorage& storage = arena_.storages()[ref->storage];
  const std::uint64_t storage_bytes = ref->view_numel * storage.dtype->itemsize;
  std::optional<std::uint64_t> needed;
  if (numel == 0) {
    needed = checked_mul(static_cast<std::uint64_t>(base), dtype->itemsize);
  } else if (!overflow) {
    auto count = checked_add(last, 1);
    needed = count ? checked_mul(*count, dtype->itemsize) : std::nullopt;
  }
  if (!needed || *needed > storage_bytes) {
    return error_at(
        std::nullopt,
        fmt::format(
            "tensor view out of bounds: offset {}, size {}, stride {} needs {} bytes of storage {} "
            "({} bytes)",
            base, fmt::join(data.shape, "x"), fmt::join(data.strides, "x"),
            needed ? std::to_string(*needed) : std::string("more than 2^64"), storage.key,
            storage_bytes));
  }
  const std::uint64_t view_bytes = ref->view_offset * storage.dtype->itemsize;
  if (view_bytes % dtype->itemsize != 0) {
    return error_at(std::nullopt,
                    fmt::format("storage view offset of {} bytes is not a multiple of {} ({})",
                                view_bytes, dtype->itemsize, dtype->name));
  }
  data.storage_offset = base + static_cast<std::int64_t>(view_bytes / dtype->itemsize);
  data.storage = ref->storage;
  return arena_.make_tensor(std::move(data), offset);
}

Status TorchObjects::build(ValueId target, ValueId state) {
  if (arena_.kind(target) == Kind::Object) {
    arena_.object_of(target).state = state;
    return Ok{};
  }
  // Only dict subclasses carry attributes (OrderedDict's `_metadata`); a plain dict has none.
  if (arena_.kind(target) != Kind::Dict || arena_.dict_of(target).class_name.empty()) {
    return error_at(
        std::nullopt,
        fmt::format("BUILD target must be an OrderedDict or an allow-listed object, got {}",
                    kind_name(arena_.kind(target))));
  }
  std::vector<ValueId> parts{state};
  // (dict_state, slot_state) as __reduce_ex__ writes it for objects with __slots__.
  if (arena_.kind(state) == Kind::Tuple && arena_.items_of(state).size() == 2) {
    parts = arena_.items_of(state);
  }
  for (ValueId part : parts) {
    if (arena_.kind(part) == Kind::None) continue;
    if (arena_.kind(part) != Kind::Dict) {
      return error_at(std::nullopt,
                      fmt::format("BUILD state for {} must be a dict, got {}",
                                  arena_.dict_of(target).class_name, kind_name(arena_.kind(part))));
    }
    if (!arena_.dict_of(target).attrs) {
      const ValueId attrs = arena_.make_dict("", arena_.offset(part));
      arena_.dict_of(target).attrs = attrs;
    }
    const ValueId attrs = *arena_.dict_of(target).attrs;
    arena_.count_work(arena_.dict_of(part).items.size());
    const auto items = arena_.dict_of(part).items;
    for (const auto& [k, v] : items) arena_.set_item(attrs, k, v);
  }
  return Ok{};
}

Result<ValueId> TorchObjects::persistent_load(ValueId pid, std::uint32_t offset) {
  if (persistent_ids_ == PersistentIds::None) {
    return error_at(std::nullopt, "unexpected persistent id (BINPERSID) in this pickle");
  }
  const std::size_t expected = persistent_ids_ == PersistentIds::TorchZip ? 5 : 6;
  const auto wrong = [&](std::string_view what) {
    return error_at(std::nullopt, fmt::format("bad persistent id: {}", what));
  };
  if (arena_.kind(pid) != Kind::Tuple) return wrong("not a tuple");
  const std::vector<ValueId>& parts = arena_.items_of(pid);  // nothing below adds sequences
  // Pointers, not copies: a memo reference may name a long string a million times.
  const auto text = [&](ValueId id) -> const std::string* {
    if (arena_.kind(id) == Kind::Str || arena_.kind(id) == Kind::Bytes) return &arena_.text_of(id);
    return nullptr;
  };
  // A legacy whole-module pickle names each module class with its source: ('module', class,
  // file, source), for which torch.load returns the class. With inert classes it is that name.
  if (limits_.inert_classes && persistent_ids_ == PersistentIds::TorchLegacy && parts.size() == 4 && text(parts[0]) &&
      *text(parts[0]) == "module" && arena_.kind(parts[1]) == Kind::ScriptClass) {
    return parts[1];
  }
  if (parts.empty() || !text(parts[0]) || *text(parts[0]) != "storage") {
    return wrong("expected ('storage', ...)");
  }
  if (parts.size() != expected) {
    return wrong(fmt::format("expected {} fields, got {}", expected, parts.size()));
  }
  if (arena_.kind(parts[1]) != Kind::StorageType) return wrong("field 1 must be a storage type");
  // torch names the record f"data/{key}": only a str key names one.
  if (arena_.kind(parts[2]) != Kind::Str || arena_.text_of(parts[2]).empty()) {
    return wrong("storage key must be a non-empty str");
  }
  const std::string* key = &arena_.text_of(parts[2]);
  const std::string* location = text(parts[3]);
  if (!location) return wrong("location must be a str");
  auto numel = int_arg(arena_, parts[4]);
  if (!numel || *numel < 0) return wrong("numel must be a non-negative int");
  const Dtype* dtype = arena_.dtype_of(parts[1]);
  if (!checked_mul(static_cast<std::uint64_t>(*numel), dtype->itemsize)) {
    return error_at(std::nullopt, fmt::format("storage {} size overflows ({} elements of {})", *key,
                                              *numel, dtype->name));
  }

  const auto& storages = arena_.storages();
  // By key id: a key named again through the memo is not hashed again.
  auto [it, inserted] = storage_by_key_.try_emplace(
      *arena_.key_id(parts[2]), static_cast<std::uint32_t>(storages.size()));
  if (inserted) {
    arena_.add_storage(
        PickledStorage{*key, dtype, static_cast<std::uint64_t>(*numel), *location, offset});
  } else {
    const PickledStorage& seen = storages[it->second];
    if (seen.dtype != dtype || seen.numel != static_cast<std::uint64_t>(*numel)) {
      return error_at(
          std::nullopt,
          fmt::format("conflicting storage use for key {}: {} x{} at offset {}, now {} x{}", *key,
                      seen.dtype->name, seen.numel, seen.offset, dtype->name, *numel));
    }
  }
  StorageRef ref{it->second, 0, static_cast<std::uint64_t>(*numel)};
  if (expected == 6 && arena_.kind(parts[5]) != Kind::None) {
    // Legacy views: (view_key, offset, size) in elements of the root storage.
    const ValueId view = parts[5];
    if (arena_.kind(view) != Kind::Tuple || arena_.items_of(view).size() != 3) {
      return wrong("view metadata must be (key, offset, size)");
    }
    const auto fields = arena_.items_of(view);
    auto view_offset = int_arg(arena_, fields[1]);
    auto view_numel = int_arg(arena_, fields[2]);
    if (!text(fields[0]) || !view_offset || !view_numel || *view_offset < 0 || *view_numel < 0) {
      return wrong("view metadata must be (str, int, int)");
    }
    auto end = checked_add(static_cast<std::uint64_t>(*view_offset),
                           static_cast<std::uint64_t>(*view_numel));
    if (!end || *end > static_cast<std::uint64_t>(*numel)) {
      return error_at(
          std::nullopt,
          fmt::format("storage view past its root: elements [{}, {}+{}) of storage {} with {}",
                      *view_offset, *view_offset, *view_numel, *key, *numel));
    }
    ref.view_offset = static_cast<std::uint64_t>(*view_offset);
    ref.view_numel = static_cast<std::uint64_t>(*view_numel);
  }
  return arena_.make_storage(ref, offset);
}

}  // namespace ckg::checkpoint::detail
