// `ckptguard check CKPT FILE::NAME [--config KEY=VALUE]... [--format text|json]`
// `ckptguard check CKPT OTHER_CKPT [--format text|json]` (checkpoint vs checkpoint)
#include <fmt/format.h>

#include "checkpoint/checkpoint_info.h"
#include "cli/commands.h"
#include "cli/target_request.h"
#include "compare/checkpoint_manifest.h"
#include "interp/branches.h"
#include "report/check_report.h"

namespace ckg::cli {

static const char* const kCheckUsage =
    "usage: ckptguard check CKPT FILE::NAME [--config KEY=VALUE]... [--optimizer CLASS] [--format text|json]\n"
    "       ckptguard check CKPT OTHER_CKPT [--format text|json]\n"
    "  Will CKPT load into NAME built with the config (or into a model whose state_dict is\n"
    "  OTHER_CKPT) with load_state_dict(strict=True)? Does its optimizer state fit the model (and\n"
    "  --optimizer CLASS, e.g. SGD)? Exit 0 yes, 1 no, 2 usage or input error.\n";

int run_check(const std::vector<std::string>& argv, Io io) {
  // The model side is either FILE::NAME (parsed like `keys`) or a second checkpoint.
  std::vector<std::string> rest;
  std::string ckpt_path;
  std::optional<std::string> optimizer;
  bool options_done = false;
  for (std::size_t i = 0; i < argv.size(); ++i) {
    if (!options_done && argv[i] == "--optimizer" && i + 1 < argv.size()) {
      optimizer = argv[++i];
      continue;
    }
    if (!options_done && argv[i].rfind("--optimizer=", 0) == 0) {
      optimizer = argv[i].substr(12);
      continue;
    }
    bool is_option = !options_done && argv[i].size() > 1 && argv[i][0] == '-';
    if (argv[i] == "--") options_done = true;
    if (!is_option && ckpt_path.empty() && (i == 0 || argv[i - 1] != "--config") && (i == 0 || argv[i - 1] != "--format")) {
      ckpt_path = argv[i];
      continue;
    }
    rest.push_back(argv[i]);
  }
  if (ckpt_path.empty() && std::find(argv.begin(), argv.end(), "--help") == argv.end() &&
      std::find(argv.begin(), argv.end(), "-h") == argv.end()) {
    io.err << "ckptguard check: missing CKPT\n";
    return kExitUsage;
  }
  auto request = parse_target_request(rest, "check", kCheckUsage, io, /*allow_path=*/true);
  if (!request.run) return request.exit_code;

  auto info = checkpoint::read_checkpoint(ckpt_path);
  if (!info) {
    io.err << checkpoint::describe(info.error()) << "\n";
    return kExitUsage;
  }
  if (!info->state_dict_path) {
    io.err << fmt::format("{}: no model state_dict found in the checkpoint\n", ckpt_path);
    return kExitUsage;
  }
  manifest::KeyManifest ckpt = compare::manifest_from_checkpoint(*info);

  report::CheckReport report;
  report.checkpoint = ckpt_path;
  report.model = request.spec;
  report.state_dict_path = info->state_dict_path;
  manifest::KeyManifest model;
  if (request.is_path) {
    auto other = checkpoint::read_checkpoint(request.spec);
    if (!other) {
      io.err << checkpoint::describe(other.error()) << "\n";
      return kExitUsage;
    }
    model = compare::manifest_from_checkpoint(*other);
  } else {
    interp::PredictionResult predicted = interp::predict_keys(request.target, request.config);
    if (predicted.error) return report_prediction_error(*predicted.error, io);
    model = predicted.prediction->manifest;
    for (const auto& u : predicted.prediction->unresolved) {
      report.notes.push_back(fmt::format("prediction incomplete at {}:{}: {}", u.file, u.line, u.reason));
    }
  }
  report.load = compare::simulate_load(ckpt, model);
  report.optimizers = compare::check_optimizers(*info, model, optimizer);
  if (!report.load.compatible()) {
    report.suggestions = compare::suggest_fixes(ckpt, model);
    // The checkpoint may come from another configuration of the same model: say which.
    if (!request.is_path) {
      interp::BranchResult branches = interp::enumerate_branches(request.target, request.config);
      if (branches.set) {
        for (const auto& b : branches.set->branches) {
          if (!compare::simulate_load(ckpt, b.manifest).compatible()) continue;
          std::vector<std::string> args;
          for (const auto& [k, v] : b.witness) args.push_back(fmt::format("--config {}={}", k, v));
          report.matching_configs.push_back(fmt::format("{}", fmt::join(args, " ")));
        }
      }
    }
  }
  if (request.format == "json") io.out << report::check_to_json(report).dump(2) << "\n";
  else io.out << report::render_check_text(report);
  bool optimizers_ok = std::all_of(report.optimizers.begin(), report.optimizers.end(), [](auto& o) { return o.compatible(); });
  return report.load.compatible() && optimizers_ok ? kExitOk : kExitFindings;
}

}  // namespace ckg::cli
