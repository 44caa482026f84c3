// The change analysis: which models a change can affect (through the project's import graph, so
// an edit in a helper file breaks the models that use it), how each one's state_dict changes per
// configuration branch, which edited line is responsible, and one finding per edit. The input is
// two versions of the source; nothing here knows about git.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "changes/analysis_cache.h"
#include "changes/project_version.h"
#include "compare/remap_rules.h"
#include "diagnostics/diagnostic.h"
#include "interp/branches.h"
#include "manifest/branch_set.h"
#include "parse/compile_check.h"

namespace ckg::changes {

struct ChangeOptions {
  bool branches = true;  // every configuration branch, not only the default one
  // A commit hook must stay fast: a smaller exploration budget than `branches` uses.
  interp::BranchLimits limits{128, 64};
  AnalysisCache* cache = nullptr;  // null: no cache
  // Whether a code is enabled for a file (configuration and --ignore); null: every code.
  std::function<bool(const std::string& code, const std::string& rel_file)> enabled;
  // Constructor arguments configured for a model that needs them ([tool.ckptguard.configs]),
  // by file (relative) and name; null or empty: none.
  std::function<std::vector<interp::ConfigItem>(const std::string& rel_file, const std::string& name)> model_config;
  // CPython's own verdict on a file only tree-sitter objects to (nullopt: it compiles); null:
  // trust the native verdict.
  std::function<std::optional<parse::CompileError>(const std::string& path)> confirm_compile;
};

// A changed file CPython would not compile: the change is refused.
struct BrokenFile {
  std::string file;  // relative to the project root
  parse::CompileError error;
};

// One model the change can affect, as both versions build it.
struct ComparedModel {
  std::string file;  // relative to the project root (the new version's)
  std::string name;
  int line = 0;
  manifest::BranchSet old_set, new_set;
  std::vector<std::string> through;  // the changed files its construction can reach
};

struct ChangeReport {
  std::vector<BrokenFile> broken;  // non-empty: nothing else was analysed
  std::vector<diag::Diagnostic> findings;  // one per edit, paths relative to the project root
  std::map<std::string, std::string> remap;  // old key -> new key, for every finding not suppressed
  std::vector<compare::RemapRule> remap_rules;  // the same, compact
  std::vector<std::string> notes;            // models skipped, and why
  std::vector<std::string> not_compared;     // FILE::NAME of affected models that could not be compared
  std::vector<ComparedModel> models;
  // Compared models whose prediction in either version is incomplete (manifest/completeness.h),
  // with the first reason: equal keys there do not mean nothing changed.
  std::vector<std::pair<std::string, std::string>> incomplete;  // FILE::NAME, "file:line: reason"
  std::vector<std::string> changed_files;  // relative, as given
  int affected_files = 0;                  // files whose models the change can affect
};

// `changed` lists the .py files (relative to the versions' roots) whose content differs.
ChangeReport analyze_change(const ProjectVersion& old_version, const ProjectVersion& new_version,
                            const std::vector<std::string>& changed, const ChangeOptions& options);

}  // namespace ckg::changes
