#include "checkpoint/detail/weights_only.h"

#include <fmt/format.h>

#include <set>
#include <string_view>
#include <vector>

namespace ckg::checkpoint::detail {

namespace {

// The opcodes torch 1.13's Unpickler.load handles; anything else is "Unsupported operand N".
constexpr std::string_view kOpcodes =
    "c\x81Rbaesu(t\x85\x86\x87N\x89\x88)]}\x8fJKMXUQhjqr\x8a\x80.";

// Its _get_allowed_globals(), spelled as GLOBAL writes them (exact "module.name" keys).
const std::set<std::string>& allowed_globals() {
  static const std::set<std::string> names = [] {
    std::set<std::string> out{"collections.OrderedDict",
                              "torch.nn.parameter.Parameter",
                              "torch.serialization._get_layout",
                              "torch.Size",
                              "torch.Tensor",
                              "torch._utils._rebuild_parameter",
                              "torch._utils._rebuild_tensor",
                              "torch._utils._rebuild_tensor_v2",
                              "torch._utils._rebuild_sparse_tensor",
                              "torch._utils._rebuild_meta_tensor_no_storage",
                              "torch._utils._rebuild_sparse_csr_tensor",
                              "torch.complex32",
                              "torch.complex64",
                              "torch.complex128",
                              "torch.float16",
                              "torch.float32",
                              "torch.float64",
                              "torch.int8",
                              "torch.int16",
                              "torch.int32",
                              "torch.int64",
                              "torch.storage.TypedStorage",
                              "torch.storage.UntypedStorage"};
    // torch._tensor_classes and torch._storage_classes of that build.
    const std::vector<std::string> sparse{"BFloat16", "Byte", "Char", "Double", "Float",
                                          "Half",     "Int",  "Long", "Short"};
    std::vector<std::string> dense = sparse;
    dense.push_back("Bool");
    for (const auto& type : dense) {
      out.insert("torch." + type + "Tensor");
      out.insert("torch.cuda." + type + "Tensor");
      out.insert("torch." + type + "Storage");
      out.insert("torch.cuda." + type + "Storage");
    }
    for (const auto& type : sparse) {
      out.insert("torch.sparse." + type + "Tensor");
      out.insert("torch.cuda.sparse." + type + "Tensor");
    }
    for (const char* type : {"ComplexDouble", "ComplexFloat"}) {
      out.insert(std::string("torch.") + type + "Storage");
      out.insert(std::string("torch.cuda.") + type + "Storage");
    }
    for (const char* type : {"QInt32", "QInt8", "QUInt2x4", "QUInt4x2", "QUInt8"}) {
      out.insert(std::string("torch.") + type + "Storage");
    }
    return out;
  }();
  return names;
}

}  // namespace

std::optional<std::string> weights_only_1_13_refusal(const Unpickled& pickled) {
  for (std::size_t op = 0; op < pickled.opcodes.size(); ++op) {
    if (pickled.opcodes[op] && kOpcodes.find(static_cast<char>(op)) == std::string_view::npos) {
      return fmt::format("unsupported opcode {} (\"Unsupported operand {}\")",
                         opcode_text(static_cast<unsigned char>(op)), op);
    }
  }
  for (const std::string& name : pickled.globals) {
    if (!allowed_globals().count(name)) return fmt::format("unsupported global {}", name);
  }
  return std::nullopt;
}

}  // namespace ckg::checkpoint::detail
