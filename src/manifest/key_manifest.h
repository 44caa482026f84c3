// The predicted contents of `model.state_dict()`: keys in order, with kind, shape and dtype.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace ckg::manifest {

enum class TensorKind { parameter, buffer };

// Lines of a source file, 1-based and inclusive.
struct SourceRange {
  std::string file;
  int line = 0;
  int end_line = 0;

  bool operator==(const SourceRange& o) const { return file == o.file && line == o.line && end_line == o.end_line; }
  bool operator<(const SourceRange& o) const {
    return file != o.file ? file < o.file : line != o.line ? line < o.line : end_line < o.end_line;
  }
};

const char* to_string(TensorKind kind);

// One state_dict entry. A missing shape or dtype means the analyzer could not determine it.
struct KeyEntry {
  std::string name;
  TensorKind kind = TensorKind::parameter;
  std::optional<std::vector<std::int64_t>> shape;
  std::optional<std::string> dtype;  // spelled like torch: float32, int64, bfloat16, ...
  // Where project code registered this tensor or the layer that owns it (for diagnostics);
  // empty when unknown (checkpoints).
  std::string origin_file;
  int origin_line = 0;
  int origin_end_line = 0;  // the registering statement's last line
  // The earlier key holding the very same tensor (tied weights), else empty. model.parameters()
  // and optimizers see a tied tensor once.
  std::string alias_of;
};

// Something the analyzer could not follow; keys may be missing or incomplete because of it.
struct Unresolved {
  std::string file;
  int line = 0;
  std::string reason;

  bool operator==(const Unresolved& o) const { return file == o.file && line == o.line && reason == o.reason; }
};

// One module of the tree, as load_state_dict visits it (pre-order; a module registered under
// two names is visited twice). Checkpoints carry the same information as `_metadata`.
struct ModuleEntry {
  std::string path;  // "" for the root, "features.0", ...
  std::string type;  // class name, e.g. "BatchNorm2d"
  int version = 1;   // the class's _version (2 for torch's _NormBase)
  std::string origin_file;  // where project code registered this module (empty when unknown)
  int origin_line = 0;
  int origin_end_line = 0;
  // The project calls that were building this module when it was created, outermost first
  // (`conv_block(3, 8)` in the model, then `nn.BatchNorm2d(cout)` in the helper).
  std::vector<SourceRange> created_at;
};

struct KeyManifest {
  std::vector<KeyEntry> keys;        // state_dict order
  std::vector<ModuleEntry> modules;  // empty when unknown (e.g. a checkpoint without _metadata)
  std::vector<KeyEntry> non_persistent;  // buffers left out of the state_dict (persistent=False)

  const KeyEntry* find(const std::string& name) const;
  const ModuleEntry* find_module(const std::string& path) const;
};

}  // namespace ckg::manifest
