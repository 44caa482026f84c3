// The code-review report (`ckptguard report`): findings from lint and the model-edit diff, and
// for each changed model its configuration branches, their keys, and which branch's checkpoint
// loads into which, as a pull-request comment (Markdown) or a self-contained HTML page.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "manifest/branch_set.h"
#include "report/diagnostics_render.h"

namespace ckg::report {

struct ModelSection {
  std::string name;  // FILE::NAME
  manifest::BranchSet branches;        // the new version
  std::map<std::string, std::string> remap;  // old -> new keys for this model
  std::vector<std::string> old_keys;   // the old default configuration's keys (empty: new model)
};

struct ReviewReport {
  DiagnosticsReport findings;
  std::vector<ModelSection> models;
  std::string title = "ckptguard review";
};

std::string render_review_markdown(const ReviewReport& report);
std::string render_review_html(const ReviewReport& report);

}  // namespace ckg::report
