// Running lint over paths, and rendering diagnostics in every output format; shared by the
// `lint` and `report` commands.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "config/lint_config.h"
#include "report/diagnostics_render.h"

namespace ckg::cli {

struct LintRequest {
  std::vector<std::string> roots;            // files or directories (searched for *.py)
  std::optional<std::string> config_path;    // --config: one settings file for every file
  config::SelectionOverrides overrides;      // --select / --ignore / --extend-select
};

struct LintOutcome {
  std::optional<std::string> error;  // one line: usage, configuration or input problem
  report::DiagnosticsReport report;  // rules, diagnostics, files checked, source access
  std::shared_ptr<std::map<std::string, std::string>> texts;  // keeps report.source valid
};

LintOutcome run_lint_paths(const LintRequest& request);

// Codes separated by commas or spaces, from repeated options.
std::vector<std::string> split_codes(const std::vector<std::string>& values);

// Colour for text output: never into a file; NO_COLOR, FORCE_COLOR, then whether stdout is a TTY.
bool use_colour(bool to_file);

// `report` in `format` (text, json, sarif, github, markdown, html). `github` also appends the
// Markdown summary to $GITHUB_STEP_SUMMARY when that is set.
std::string render_diagnostics(const report::DiagnosticsReport& report, const std::string& format, bool to_file);

}  // namespace ckg::cli
