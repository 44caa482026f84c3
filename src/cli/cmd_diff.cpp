// `ckptguard diff OLD.py NEW.py` and `ckptguard diff --base REV [--staged] [PATHS...]`:
// every edit that breaks loading checkpoints saved with the old code, with the remap that fixes it.
#include <sstream>

#include <fmt/format.h>

#include "cli/arguments.h"
#include "cli/commands.h"
#include "cli/diff_runner.h"
#include "diagnostics/codes.h"
#include "report/diff_report.h"

namespace ckg::cli {

static const char* const kDiffUsage =
    "usage: ckptguard diff [--base REV] [--staged] [PATHS...] [--format text|json] [--ignore CODES] [--no-branches] [--no-cache]\n"
    "                      [--fail-incomplete]\n"
    "       ckptguard diff OLD NEW [--format text|json] [--ignore CODES] [--no-branches] [--fail-incomplete]\n"
    "  Report edits that break loading checkpoints saved with the old code, in every model the\n"
    "  change can affect (through imports, base classes, helpers, constants and re-exports), each\n"
    "  pointed at the edited line, with the key remap and migration that fix it. Without OLD NEW,\n"
    "  compares the work tree (or with --staged the index) with --base REV (default HEAD); PATHS\n"
    "  limit the changed files. OLD NEW are two files or two directories.\n"
    "  --no-branches compares the default configuration only (faster); --no-cache ignores the\n"
    "  analysis cache (.ckptguard_cache/ at the repository root, or $CKPTGUARD_CACHE_DIR).\n"
    "  --fail-incomplete also exits 1 when an affected model was compared incompletely or not at all.\n"
    "  Exit 0 no breaking change, 1 breaking changes, 2 usage or input error (a changed file that\n"
    "  does not compile, a path that does not exist).\n";

int run_diff(const std::vector<std::string>& argv, Io io) {
  std::string error;
  auto args = parse_args(argv, ArgSpec{{"--base", "--format", "--ignore"}, {"--staged", "--no-branches", "--no-cache", "--fail-incomplete"}}, &error);
  if (args && args->flags.count("--help")) {
    io.out << kDiffUsage;
    return kExitOk;
  }
  std::optional<std::string> format;
  if (args) format = output_format(*args, {"text", "json"}, &error);
  std::optional<std::string> base = args ? args->last("--base") : std::nullopt;
  bool two_paths = args && !base && args->positional.size() == 2 && !args->flags.count("--staged");
  if (error.empty() && !base && !two_paths) base = "HEAD";  // the work tree (or the index) against HEAD
  if (!error.empty()) {
    io.err << "ckptguard diff: " << error << "\n";
    return kExitUsage;
  }
  DiffRequest request;
  request.base = base;
  request.staged = args->flags.count("--staged") != 0;
  request.branches = args->flags.count("--no-branches") == 0;
  request.cache = args->flags.count("--no-cache") == 0;
  if (base) request.paths = args->positional;
  else request.old_path = args->positional[0], request.new_path = args->positional[1];
  for (const auto& spec : args->options["--ignore"]) {
    std::stringstream s(spec);
    for (std::string code; std::getline(s, code, ',');) {
      if (auto unknown = diag::unknown_code(code)) {
        io.err << "ckptguard diff: --ignore: " << *unknown << "\n";
        return kExitUsage;
      }
      request.ignored.insert(std::string(diag::find_code(code)->code));
    }
  }
  DiffOutcome outcome = run_model_diff(request);
  if (!outcome.errors.empty()) {
    for (const auto& e : outcome.errors) io.err << e << "\n";
    return kExitUsage;
  }
  if (*format == "json") {
    io.out << report::diff_to_json(outcome.report).dump(2) << "\n";
  } else {
    auto source_line = [&](const std::string& file, int line) {
      std::string text = outcome.source_text(file);
      std::istringstream in(text);
      std::string l;
      for (int i = 1; std::getline(in, l); ++i) {
        if (i == line) return l;
      }
      return std::string();
    };
    io.out << report::render_diff_text(outcome.report, source_line);
  }
  const auto& findings = outcome.report.findings;
  bool breaking = std::any_of(findings.begin(), findings.end(), [](auto& d) { return d.severity == diag::Severity::error; });
  // Under --fail-incomplete, what could not be checked fails the hook as a break does.
  bool unknown = !outcome.report.incomplete.empty() || !outcome.report.not_compared.empty();
  return breaking || (args->flags.count("--fail-incomplete") && unknown) ? kExitFindings : kExitOk;
}

}  // namespace ckg::cli
