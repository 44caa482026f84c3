// `ckptguard report [PATHS...] [--base REV] [--staged] --format FMT [-o FILE]`: everything a
// reviewer needs for a change in one run — lint findings, checkpoint-breaking model edits with
// their remaps, and each changed model's branches and compatibility matrix.
#include <filesystem>
#include <fstream>

#include <fmt/format.h>

#include "analyzers/lint.h"
#include "cli/arguments.h"
#include "cli/commands.h"
#include "cli/diff_runner.h"
#include "cli/lint_runner.h"
#include "compare/model_diff.h"
#include "report/review_report.h"

namespace ckg::cli {

namespace fs = std::filesystem;

static const char* const kReportUsage =
    "usage: ckptguard report [PATHS...] [--base REV] [--staged] [--format text|json|sarif|github|markdown|html]\n"
    "                        [-o FILE] [--no-branches]\n"
    "  Lint PATHS (default: the files changed since REV, or '.') and, with --base, the model edits that\n"
    "  break old checkpoints; markdown and html add each changed model's branches, keys and\n"
    "  compatibility matrix. Exit 0 nothing breaking, 1 error-level findings, 2 usage or input error.\n";

int run_report(const std::vector<std::string>& argv, Io io) {
  std::vector<std::string> args_in = argv;
  for (auto& a : args_in) {
    if (a == "-o") a = "--output";
  }
  std::string error;
  auto args = parse_args(args_in, ArgSpec{{"--base", "--format", "--output"}, {"--staged", "--no-branches"}}, &error);
  if (args && args->flags.count("--help")) {
    io.out << kReportUsage;
    return kExitOk;
  }
  std::optional<std::string> format;
  if (args) format = output_format(*args, {"text", "json", "sarif", "github", "markdown", "html"}, &error);
  if (error.empty() && args->flags.count("--staged") && !args->last("--base")) error = "--staged needs --base REV";
  if (!error.empty()) {
    io.err << "ckptguard report: " << error << "\n";
    return kExitUsage;
  }

  report::ReviewReport review;
  std::vector<diag::Diagnostic> diff_findings;
  std::function<std::string(const std::string&)> diff_source;
  std::vector<std::string> lint_roots = args->positional;
  if (auto base = args->last("--base")) {
    DiffRequest request;
    request.base = base;
    request.staged = args->flags.count("--staged") != 0;
    request.paths = args->positional;
    request.branches = args->flags.count("--no-branches") == 0;
    DiffOutcome diff = run_model_diff(request);
    if (!diff.errors.empty()) {
      for (const auto& e : diff.errors) io.err << e << "\n";
      return kExitUsage;
    }
    diff_findings = diff.report.findings;
    diff_source = diff.source_text;
    if (lint_roots.empty()) {
      for (const auto& f : diff.report.changed_files) {
        if (fs::is_regular_file(fs::path(diff.root) / f)) lint_roots.push_back((fs::path(diff.root) / f).string());
      }
    }
    for (const auto& m : diff.report.models) {
      std::string display = fmt::format("{}::{}", m.file, m.name);
      report::ModelSection section{display, m.new_set, {}, {}};
      if (!m.old_set.branches.empty()) {
        for (const auto& k : m.old_set.branches.front().manifest.keys) section.old_keys.push_back(k.name);
      }
      for (const auto& f : diff.report.findings) {
        if (!f.data.contains("models") || !f.data["models"].contains(display) || !f.data.contains("remap")) continue;
        for (const auto& [k, v] : f.data["remap"].items()) section.remap[k] = v.get<std::string>();
      }
      review.models.push_back(std::move(section));
    }
    review.title = fmt::format("ckptguard review: changes since {}", *base);
  }

  LintOutcome lint;
  if (!args->last("--base") || !lint_roots.empty()) {
    LintRequest request;
    request.roots = lint_roots;
    lint = run_lint_paths(request);
    if (lint.error) {
      io.err << *lint.error << "\n";
      return kExitUsage;
    }
  }
  review.findings = lint.report;
  auto rules = compare::diff_rules();
  review.findings.rules.insert(review.findings.rules.end(), rules.begin(), rules.end());
  for (auto& d : diff_findings) review.findings.diagnostics.push_back(d);
  std::stable_sort(review.findings.diagnostics.begin(), review.findings.diagnostics.end(),
                   [](auto& a, auto& b) { return std::tie(a.span.file, a.span.line) < std::tie(b.span.file, b.span.line); });
  auto lint_source = lint.report.source;
  auto texts = std::make_shared<std::map<std::string, std::string>>();
  review.findings.source = [lint_source, diff_source, texts](const std::string& path) -> std::string_view {
    if (lint_source) {
      std::string_view text = lint_source(path);
      if (!text.empty()) return text;
    }
    auto it = texts->find(path);
    if (it == texts->end()) it = texts->emplace(path, diff_source ? diff_source(path) : std::string()).first;
    return it->second;
  };

  std::optional<std::string> output = args->last("--output");
  std::string rendered = *format == "markdown" ? report::render_review_markdown(review)
                         : *format == "html"   ? report::render_review_html(review)
                                               : render_diagnostics(review.findings, *format, output.has_value());
  if (output) {
    std::ofstream f(*output, std::ios::binary);
    f << rendered;
    if (!f) {
      io.err << *output << ": cannot be written\n";
      return kExitUsage;
    }
  } else {
    io.out << rendered;
  }
  const auto& all = review.findings.diagnostics;
  bool breaking = std::any_of(all.begin(), all.end(), [](auto& d) { return d.severity == diag::Severity::error; });
  return breaking ? kExitFindings : kExitOk;
}

}  // namespace ckg::cli
