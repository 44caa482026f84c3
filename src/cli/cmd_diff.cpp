// `ckptguard diff OLD.py NEW.py` and `ckptguard diff --base REV [--staged] [PATHS...]`:
// every edit that breaks loading checkpoints saved with the old code, with the remap that fixes it.
#include <sstream>

#include <fmt/format.h>

#include "cli/arguments.h"
#include "cli/commands.h"
#include "cli/diff_runner.h"
#include "report/diff_report.h"

namespace ckg::cli {

static const char* const kDiffUsage =
    "usage: ckptguard diff OLD.py NEW.py [--format text|json] [--ignore CODES] [--no-branches]\n"
    "       ckptguard diff --base REV [--staged] [PATHS...] [--format text|json] [--ignore CODES] [--no-branches]\n"
    "  Report model edits that break loading checkpoints saved with the old code, with the key remap\n"
    "  and migration that fix them. Exit 0 no breaking change, 1 breaking changes, 2 usage or input error.\n";

int run_diff(const std::vector<std::string>& argv, Io io) {
  std::string error;
  auto args = parse_args(argv, ArgSpec{{"--base", "--format", "--ignore"}, {"--staged", "--no-branches"}}, &error);
  if (args && args->flags.count("--help")) {
    io.out << kDiffUsage;
    return kExitOk;
  }
  std::optional<std::string> format;
  if (args) format = output_format(*args, {"text", "json"}, &error);
  std::optional<std::string> base = args ? args->last("--base") : std::nullopt;
  if (error.empty() && !base && args->positional.size() != 2) error = "expected OLD.py NEW.py, or --base REV [PATHS...]";
  if (error.empty() && !base && args->flags.count("--staged")) error = "--staged needs --base REV";
  if (!error.empty()) {
    io.err << "ckptguard diff: " << error << "\n";
    return kExitUsage;
  }
  DiffRequest request;
  request.base = base;
  request.staged = args->flags.count("--staged") != 0;
  request.branches = args->flags.count("--no-branches") == 0;
  if (base) request.paths = args->positional;
  else request.old_file = args->positional[0], request.new_file = args->positional[1];
  for (const auto& spec : args->options["--ignore"]) {
    std::stringstream s(spec);
    for (std::string code; std::getline(s, code, ',');) request.ignored.insert(code);
  }
  DiffOutcome outcome = run_model_diff(request);
  if (outcome.error) {
    io.err << *outcome.error << "\n";
    return kExitUsage;
  }
  if (*format == "json") io.out << report::diff_to_json(outcome.report).dump(2) << "\n";
  else io.out << report::render_diff_text(outcome.report, outcome.source_line);
  const auto& findings = outcome.report.findings;
  bool breaking = std::any_of(findings.begin(), findings.end(), [](auto& d) { return d.severity == diag::Severity::error; });
  return breaking ? kExitFindings : kExitOk;
}

}  // namespace ckg::cli
