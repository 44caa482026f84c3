// The project index: which file is which Python module, parsed once, with its top-level names.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "parse/source_file.h"

namespace ckg::index {

// Where a file sits in its package tree.
struct ModulePath {
  std::string root;         // directory that would be on sys.path
  std::string dotted_name;  // e.g. "torchvision.models.resnet"
  bool is_package = false;  // the file is an __init__.py
};

// A top-level class or function definition, found without evaluating anything.
struct Definition {
  enum class Kind { class_def, function_def };
  Kind kind;
  std::string name;
  TSNode node;                     // the class_definition / function_definition node
  int line = 0;
  std::vector<std::string> bases;  // source text of each base expression (classes only)
};

// The directories of installed packages (the user's interpreter's sys.path), searched after a
// project's own roots by every ProjectIndex created afterwards. Empty by default: imports outside
// the project are then opaque.
void set_library_path(std::vector<std::string> dirs);
const std::vector<std::string>& library_path();

// Whether `dir` holds installed packages (site-packages, dist-packages) rather than a project.
bool is_site_directory(const std::string& dir);

// Walks up from `file` through directories holding __init__.py to find its package root.
ModulePath locate_module(const std::string& file, const parse::FileSystem& files = parse::disk());

class ProjectIndex {
 public:
  // `search_roots` play the role of sys.path for absolute imports inside the project, followed by
  // library_path(); every file is read through `files` (which must outlive the index).
  explicit ProjectIndex(std::vector<std::string> search_roots, const parse::FileSystem& files = parse::disk());

  // Parses `path` once; later calls return the cached tree. Never throws.
  parse::LoadResult load(const std::string& path);

  // Finds the file of an absolute dotted module name under the search roots.
  std::optional<std::string> find_module(const std::string& dotted_name) const;
  // Whether `dotted_name` names a package directory (even without a file).
  bool is_package_dir(const std::string& dotted_name) const;

  // Absolute module name for `from <dots><name> import ...` written in module `current`.
  static std::optional<std::string> resolve_relative(const ModulePath& current, int level, const std::string& name);
  // The file a relative import names by directories alone: `from ..ops.misc import x` in
  // pkg/models/net.py is pkg/ops/misc.py. For an import that climbs above the top regular package,
  // which CPython allows only inside a namespace package (PEP 420: a directory without
  // __init__.py on the path).
  std::optional<std::string> find_relative_file(const std::string& importer, int level, const std::string& dotted) const;

  // Top-level classes and functions of a parsed file, in source order.
  static std::vector<Definition> definitions(const parse::SourceFile& file);

  const std::vector<std::string>& search_roots() const { return roots_; }
  const parse::FileSystem& files() const { return files_; }
  void add_search_root(const std::string& root);
  // Limits absolute imports to one top-level package (the target's), so that siblings in a
  // shared site-packages directory (PIL, numpy, ...) are outside the project.
  void restrict_to_package(const std::string& top_level) { top_level_ = top_level; }

 private:
  std::vector<std::string> roots_;
  std::vector<std::string> libraries_;  // library_path() when the index was made
  const parse::FileSystem& files_;
  std::string top_level_;  // empty: any module under the roots
  std::map<std::string, parse::LoadResult> cache_;
};

}  // namespace ckg::index
