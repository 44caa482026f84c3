// Running a model-edit diff from the command line: reading the two versions (two files, two
// directories, or changed files against a git revision), the configuration's selection, CPython's
// second opinion on files only tree-sitter rejects, and the analysis cache; the analysis itself
// is the changes stage's. Shared by `diff` and `report`.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "changes/change_analysis.h"

namespace ckg::cli {

struct DiffRequest {
  std::optional<std::string> base;  // git revision; unset: compare `old_path` with `new_path`
  bool staged = false;              // the new version is the index, not the work tree
  std::vector<std::string> paths;   // limit to these paths (git mode)
  std::string old_path, new_path;   // two files or two directories
  bool branches = true;             // every configuration branch, not only the default one
  bool cache = true;                // use the analysis cache (git mode)
  std::set<std::string> ignored;    // codes to drop
};

struct DiffOutcome {
  // A usage or input problem, or the changed files that do not compile: one line each, exit 2.
  std::vector<std::string> errors;
  changes::ChangeReport report;  // paths relative to the project root
  std::string root;              // the project root (the repository's work tree in git mode)
  // The new version's text of a file (relative path), for snippets.
  std::function<std::string(const std::string&)> source_text;
  std::shared_ptr<void> keep_alive;  // the versions the report's paths point into
};

DiffOutcome run_model_diff(const DiffRequest& request);

}  // namespace ckg::cli
