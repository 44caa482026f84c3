// Running a model-edit diff: collecting both versions of the changed models (two files, or
// changed files against a git revision read with `git archive`), describing each model per
// configuration branch, and classifying the differences. Shared by `diff` and `report`.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "manifest/branch_set.h"
#include "report/diff_report.h"

namespace ckg::cli {

struct DiffRequest {
  std::optional<std::string> base;  // git revision; unset: compare `old_file` with `new_file`
  bool staged = false;              // the new version is the index, not the work tree
  std::vector<std::string> paths;   // limit to these paths (git mode)
  std::string old_file, new_file;   // file mode
  bool branches = true;             // every configuration branch, not only the default one
  std::set<std::string> ignored;    // codes to drop
};

// A model present in both versions, as the diff saw it.
struct ComparedModel {
  std::string display;  // FILE::NAME as shown
  std::string file;     // new version's path as shown
  int line = 0;
  manifest::BranchSet old_set, new_set;
};

struct DiffOutcome {
  std::optional<std::string> error;  // usage or input problem: one line, exit 2
  report::DiffReport report;
  std::vector<ComparedModel> models;
  std::vector<std::string> changed_files;  // as shown
  // Text of a line of a file as shown in findings (the new version), and the whole file.
  std::function<std::string(const std::string&, int)> source_line;
  std::function<std::string(const std::string&)> source_text;
  std::shared_ptr<void> keep_alive;  // temporary trees the paths point into
};

DiffOutcome run_model_diff(const DiffRequest& request);

}  // namespace ckg::cli
