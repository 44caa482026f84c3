// The imports of a Python file, found by reading its tokens (no parse): every `import` and
// `from ... import` anywhere in the file (inside functions, under `if TYPE_CHECKING`, in `try`),
// and `importlib.import_module("...")` / `__import__("...")` with a literal name.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace ckg::changes {

struct ImportSpec {
  int level = 0;                   // leading dots of a relative import
  std::string module;              // dotted name after the dots ("" for `from . import x`)
  std::vector<std::string> names;  // `from M import a, b`: a and b (maybe submodules); "*" too
  int line = 0;
};

std::vector<ImportSpec> scan_imports(std::string_view source);

}  // namespace ckg::changes
