// The user's Python environment, for following imports into installed packages the way the
// user's interpreter would: which interpreter, and its sys.path.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace ckg::cli {

// The interpreter a project runs with: `--python` when given, else `[tool.ckptguard] python`
// of the closest pyproject.toml (relative to its directory), else a `.venv` (or `venv`) beside
// the project (in `target_file`'s directory or above), else `python3` on PATH.
std::string choose_python(const std::optional<std::string>& flag, const std::string& target_file);

// sys.path of `python` (without its first entry, the script directory), existing directories
// only. Asked once without importing anything beyond `site`, and cached under
// $XDG_CACHE_HOME/ckptguard (or ~/.cache/ckptguard) by interpreter, its modification time,
// PYTHONPATH and working directory. Empty when the interpreter cannot be run.
std::vector<std::string> python_sys_path(const std::string& python);

// choose_python + python_sys_path, installed as the library path of every project index
// (index::set_library_path). CKPTGUARD_NO_LIBRARIES=1 turns it off (imports outside the project
// stay opaque).
void use_python_environment(const std::optional<std::string>& flag, const std::string& target_file);

}  // namespace ckg::cli
