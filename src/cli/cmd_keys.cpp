// `ckptguard keys FILE::NAME [--config KEY=VALUE]... [--fail-incomplete] [--format text|json]`
#include "cli/commands.h"
#include "cli/target_request.h"
#include "manifest/completeness.h"
#include "report/keys_report.h"

namespace ckg::cli {

static const char* const kKeysUsage =
    "usage: ckptguard keys FILE::NAME [--config KEY=VALUE]... [--python PYTHON] [--fail-incomplete] [--format text|json]\n"
    "  Predict the state_dict keys of class or factory NAME in FILE without running it. The\n"
    "  prediction is complete when every construct that decides a key was followed; otherwise the\n"
    "  reasons are listed. Exit 0 predicted (--fail-incomplete: and complete), 1 incomplete under\n"
    "  --fail-incomplete, 2 usage or input error.\n"
    "  --python PYTHON: the interpreter whose sys.path resolves imports of installed packages\n"
    "  (default: [tool.ckptguard] python, a .venv beside the project, or python3 on PATH).\n";

int run_keys(const std::vector<std::string>& argv, Io io) {
  auto request = parse_target_request(argv, "keys", kKeysUsage, io, false, {"text", "json"}, {"--fail-incomplete"});
  if (!request.run) return request.exit_code;
  interp::PredictionResult result = interp::predict_keys(request.target, request.config);
  if (result.error) return report_prediction_error(*result.error, io);
  report::KeysReport report{request.spec, {}, result.prediction->manifest, result.prediction->unresolved};
  for (const auto& c : request.config) report.config.emplace_back(c.key, c.value_source);
  if (request.format == "json") io.out << report::keys_to_json(report).dump(2) << "\n";
  else io.out << report::render_keys_text(report);
  if (request.flags.count("--fail-incomplete") && !manifest::incompleteness(report.manifest, report.unresolved).empty()) {
    return kExitFindings;
  }
  return kExitOk;
}

}  // namespace ckg::cli
