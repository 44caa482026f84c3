// `[tool.ckptguard]` lint settings from pyproject.toml, and the rule selection they imply.
// As in ruff: the closest pyproject.toml that has the table applies to a file, with no merging
// between files; command-line selections override it.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ckg::config {

struct PerFileIgnore {
  std::string pattern;  // glob relative to the config's directory: `*`, `?`, `[..]`, `**`
  std::vector<std::string> codes;
};

struct LintConfig {
  std::string path;  // the pyproject.toml it was read from; empty for defaults
  std::string root;  // its directory; per-file-ignores patterns are relative to it
  std::optional<std::vector<std::string>> select;
  std::vector<std::string> extend_select;
  std::vector<std::string> ignore;
  std::vector<PerFileIgnore> per_file_ignores;
  // [tool.ckptguard.configs."pkg.module:Class"]: constructor arguments (Python literal source)
  // for classes that need them, keyed as written ("module:Class", "path.py::Class" or "Class").
  std::map<std::string, std::vector<std::pair<std::string, std::string>>> model_configs;
  // [tool.ckptguard] python = "...": the project's interpreter, whose sys.path resolves imports of
  // installed packages (a path relative to `root` when it has a slash, else looked up on PATH).
  std::optional<std::string> python;

  // The arguments configured for `name` of module `dotted` (file `relative_path`), if any.
  const std::vector<std::pair<std::string, std::string>>* model_config(const std::string& dotted, const std::string& name,
                                                                       const std::string& relative_path) const;
};

// A config file that exists but cannot be used: one line, `path: reason`.
struct ConfigError {
  std::string path;
  std::string reason;
};

struct ConfigResult {
  std::optional<LintConfig> config;  // none: the file has no [tool.ckptguard] table
  std::optional<ConfigError> error;
};

// Reads the `[tool.ckptguard]` table of one pyproject.toml (or a ckptguard-only TOML file given
// with --config, whose top level is read when it has no [tool.ckptguard] table).
ConfigResult read_config(const std::string& path, bool top_level_fallback = false);

// The closest pyproject.toml with a [tool.ckptguard] table in `dir` or above it.
ConfigResult find_config(const std::string& dir);

// What the command line adds.
struct SelectionOverrides {
  std::optional<std::vector<std::string>> select;  // replaces the file's select, extend-select and ignore
  std::vector<std::string> ignore;                 // added to the ignores
  std::vector<std::string> extend_select;
};

// Which codes run on which file. Selectors are "ALL" or a code prefix ("CKG", "CKG3", "CKG301");
// between a select and an ignore that both match, the longer (more specific) wins, ignore on a
// tie; per-file-ignores always win. Codes in `always_on` (input problems) need no selection.
class RuleSelection {
 public:
  RuleSelection(LintConfig config, SelectionOverrides overrides, std::vector<std::string> always_on);
  // `relative_path` is the file's path relative to the config root (or as given, without config).
  bool enabled(std::string_view code, std::string_view relative_path) const;
  const LintConfig& config() const { return config_; }

 private:
  LintConfig config_;
  std::vector<std::string> select_, ignore_;
  std::vector<std::string> always_on_;
};

// An error message when a selector matches no known code ("unknown rule selector 'CKG999'").
std::optional<std::string> check_selectors(const std::vector<std::string>& selectors,
                                           const std::vector<std::string>& known_codes);

// Glob match of `path` (with `/` separators) or of any of its parent directories.
bool glob_match(std::string_view pattern, std::string_view path);

}  // namespace ckg::config
