// Which edited line caused a finding. A key's provenance (the statement that registered it and
// the chain of project calls that created its layers, in each version) is intersected with the
// changed lines; failing that, the changed lines the model's construction executed; failing
// that, the first edit in a changed file the model can reach.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "changes/line_diff.h"
#include "changes/project_version.h"
#include "diagnostics/diagnostic.h"
#include "manifest/branch_set.h"

namespace ckg::changes {

// The changed lines of every changed file, on both sides.
class FileEdits {
 public:
  FileEdits(const ProjectVersion& old_version, const ProjectVersion& new_version, const std::vector<std::string>& changed);

  struct Edit {
    std::string file;
    int new_line = 0;  // first changed line of the new version (0: the file is gone)
    int old_line = 0;  // and of the old version (0: the file is new)
  };
  // The edit whose changed lines overlap `r` on that side, if any.
  std::optional<Edit> touching(const manifest::SourceRange& r, bool new_side) const;
  // The first edit in `file`, if it changed.
  std::optional<Edit> first_in(const std::string& file) const;

 private:
  std::map<std::string, std::vector<Hunk>> hunks_;
};

// Points finding `f` (of one model, one branch) at the edit that caused it: sets its span to the
// edited line of the new version and `data.edit` / `data.old_edit` to both sides' lines.
void attribute_edit(diag::Diagnostic& f, const manifest::BranchSet& old_set, const manifest::BranchSet& new_set,
                    const FileEdits& edits, const std::set<std::string>& reachable_changes, const std::string& model_file,
                    int model_line);

}  // namespace ckg::changes
