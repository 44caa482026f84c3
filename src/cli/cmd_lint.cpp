// `ckptguard lint [PATHS...] [--format F] [--select CODES] [--ignore CODES] [--output FILE] ...`
#include <fstream>

#include <fmt/format.h>

#include "analyzers/lint.h"
#include "cli/lint_runner.h"
#include "cli/arguments.h"
#include "cli/commands.h"
#include "config/lint_config.h"

namespace ckg::cli {

static const char* const kLintUsage =
    "usage: ckptguard lint [PATHS...] [--format text|json|sarif|github|markdown|html]\n"
    "                      [--select CODES] [--extend-select CODES] [--ignore CODES]\n"
    "                      [--config FILE] [--output FILE] [--exit-zero]\n"
    "  Check Python sources for checkpoint pitfalls (directories are searched for *.py; default '.').\n"
    "  CODES is a comma-separated list of codes or prefixes (CKG301, CKG4, ALL); see 'ckptguard rules'.\n"
    "  Settings come from the closest pyproject.toml with a [tool.ckptguard] table (select, ignore,\n"
    "  extend-select, per-file-ignores) unless --config names one; the command line overrides them.\n"
    "  Silence one finding with '# ckptguard: ignore[CKG301]' on its line or its statement's first line.\n"
    "  Exit codes: 0 no findings, 1 findings (0 with --exit-zero), 2 usage, configuration or input error.\n";

int run_lint(const std::vector<std::string>& argv, Io io) {
  std::string error;
  auto args = parse_args(argv, ArgSpec{{"--format", "--select", "--ignore", "--extend-select", "--config", "--output"},
                                       {"--exit-zero"}},
                         &error);
  if (args && args->flags.count("--help")) {
    io.out << kLintUsage;
    return kExitOk;
  }
  std::optional<std::string> format;
  if (args) format = output_format(*args, {"text", "json", "sarif", "github", "markdown", "html"}, &error);
  std::vector<std::string> known;
  for (const auto& r : lint::rule_infos()) known.push_back(r.code);
  config::SelectionOverrides overrides;
  if (format) {
    if (args->options.count("--select")) overrides.select = split_codes(args->options.at("--select"));
    if (args->options.count("--ignore")) overrides.ignore = split_codes(args->options.at("--ignore"));
    if (args->options.count("--extend-select")) overrides.extend_select = split_codes(args->options.at("--extend-select"));
    for (const auto* list : {&overrides.ignore, &overrides.extend_select}) {
      if (auto e = config::check_selectors(*list, known); e && error.empty()) error = *e;
    }
    if (overrides.select) {
      if (auto e = config::check_selectors(*overrides.select, known); e && error.empty()) error = *e;
    }
  }
  if (!error.empty()) {
    io.err << "ckptguard lint: " << error << "\n";
    return kExitUsage;
  }

  LintRequest request;
  request.roots = args->positional;
  request.config_path = args->last("--config");
  request.overrides = overrides;
  LintOutcome outcome = run_lint_paths(request);
  if (outcome.error) {
    io.err << *outcome.error << "\n";
    return kExitUsage;
  }
  const report::DiagnosticsReport& report = outcome.report;
  std::optional<std::string> output_path = args->last("--output");
  std::string rendered = render_diagnostics(report, *format, output_path.has_value());
  if (output_path) {
    std::ofstream f(*output_path, std::ios::binary);
    f << rendered;
    if (!f) {
      io.err << *output_path << ": cannot be written\n";
      return kExitUsage;
    }
  } else {
    io.out << rendered;
  }
  if (report.diagnostics.empty() || args->flags.count("--exit-zero")) return kExitOk;
  return kExitFindings;
}

}  // namespace ckg::cli
