// `ckptguard check CKPT FILE::NAME [--config KEY=VALUE]... [--format FMT]`
// `ckptguard check CKPT OTHER_CKPT [--format FMT]` (checkpoint vs checkpoint)
#include <algorithm>
#include <map>
#include <memory>
#include <tuple>

#include <fmt/format.h>

#include "checkpoint/checkpoint_info.h"
#include "cli/commands.h"
#include "cli/target_request.h"
#include "compare/check_findings.h"
#include "compare/checkpoint_manifest.h"
#include "cli/lint_runner.h"
#include "parse/source_file.h"
#include "interp/branches.h"
#include "report/check_report.h"

namespace ckg::cli {

static const char* const kCheckUsage =
    "usage: ckptguard check CKPT FILE::NAME [--config KEY=VALUE]... [--optimizer CLASS] [--no-branches] [--format FMT]\n"
    "       ckptguard check CKPT OTHER_CKPT [--format FMT]\n"
    "       (both take --limit NAME=VALUE, a checkpoint reader limit: README, section Limits)\n"
    "  Will CKPT load into NAME built with the config (or into a model whose state_dict is\n"
    "  OTHER_CKPT) with load_state_dict(strict=True)? The model's own load hooks and\n"
    "  _load_from_state_dict overrides run on the checkpoint's keys. Does its optimizer state fit\n"
    "  the model (and --optimizer CLASS, e.g. SGD)? When it does not load, the configurations it\n"
    "  does load into are searched (--no-branches: not). Exit 0 yes, 1 no, 2 usage or input error.\n"
    "  FMT: text (default) or json print the check report; sarif, github, markdown and html print\n"
    "  its findings (CKG501-CKG505) as diagnostics, pointing at the layers' source lines.\n";

namespace {

// The check's findings in a review format, with the model's source for snippets and fingerprints.
std::string render_findings(const report::CheckReport& check, const manifest::KeyManifest& checkpoint,
                            const manifest::KeyManifest& model,
                            const diag::Span& fallback, const std::string& format) {
  report::DiagnosticsReport out;
  out.rules = compare::check_rules();
  out.files_checked = 1;
  out.title = "ckptguard check";
  out.diagnostics = compare::check_findings(check.checkpoint, checkpoint, model, check.load, check.suggestions,
                                            check.optimizers, fallback);
  std::stable_sort(out.diagnostics.begin(), out.diagnostics.end(), [](const auto& a, const auto& b) {
    return std::tie(a.span.file, a.span.line) < std::tie(b.span.file, b.span.line);
  });
  auto texts = std::make_shared<std::map<std::string, std::string>>();
  for (const auto& d : out.diagnostics) {
    if (texts->count(d.span.file) || d.span.file == check.model) continue;  // the other checkpoint is no source
    parse::LoadResult loaded = parse::load_source(d.span.file);
    if (loaded.file) texts->emplace(d.span.file, loaded.file->text());
  }
  out.source = [texts](const std::string& path) -> std::string_view {
    auto it = texts->find(path);
    return it == texts->end() ? std::string_view{} : std::string_view(it->second);
  };
  return render_diagnostics(out, format, /*to_file=*/false);
}

}  // namespace

int run_check(const std::vector<std::string>& argv, Io io) {
  // The model side is either FILE::NAME (parsed like `keys`) or a second checkpoint.
  std::vector<std::string> rest;
  std::string ckpt_path;
  std::optional<std::string> optimizer;
  checkpoint::ReadLimits limits;
  bool options_done = false, explore_branches = true;
  for (std::size_t i = 0; i < argv.size(); ++i) {
    if (!options_done && argv[i] == "--no-branches") {
      explore_branches = false;
      continue;
    }
    if (!options_done && argv[i] == "--limit" && i + 1 < argv.size()) {
      if (auto problem = checkpoint::set_limit(limits, argv[++i])) {
        io.err << "ckptguard check: --limit: " << *problem << "\n";
        return kExitUsage;
      }
      continue;
    }
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
  if (optimizer) {
    auto resolved = compare::optimizer_class(*optimizer);
    if (auto* problem = std::get_if<1>(&resolved)) {
      io.err << "ckptguard check: " << *problem << "\n";
      return kExitUsage;
    }
    optimizer = std::get<0>(resolved);
  }
  if (ckpt_path.empty() && std::find(argv.begin(), argv.end(), "--help") == argv.end() &&
      std::find(argv.begin(), argv.end(), "-h") == argv.end()) {
    io.err << "ckptguard check: missing CKPT\n";
    return kExitUsage;
  }
  auto request = parse_target_request(rest, "check", kCheckUsage, io, /*allow_path=*/true,
                                      {"text", "json", "sarif", "github", "markdown", "html"});
  if (!request.run) return request.exit_code;

  auto info = checkpoint::read_checkpoint(ckpt_path, limits);
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
  std::optional<compare::LoadReport> interpreted;  // the model's own load hooks ran on the checkpoint
  // load_state_dict with the model's hooks and overrides, when it has any, else from the manifests.
  auto load_into = [&](const std::vector<interp::ConfigItem>& config, const manifest::KeyManifest& keys,
                       const std::vector<manifest::SourceRange>& customizations) -> compare::LoadReport {
    if (!customizations.empty()) {
      auto sim = interp::simulate_load(request.target, config, ckpt);
      if (auto* s = std::get_if<interp::LoadSimulation>(&sim)) {
        return compare::interpreted_load(s->missing, s->unexpected, s->messages, s->pytorch_error, ckpt, keys);
      }
    }
    return compare::simulate_load(ckpt, keys);
  };
  if (request.is_path) {
    auto other = checkpoint::read_checkpoint(request.spec, limits);
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
    const auto& customizations = predicted.prediction->load_customizations;
    interpreted = load_into(request.config, model, customizations);
    for (const auto& c : customizations) {
      report.notes.push_back(fmt::format("the model's own load code ran on the checkpoint's keys: {}:{}", c.file, c.line));
    }
  }
  report.load = interpreted ? *interpreted : compare::simulate_load(ckpt, model);
  report.optimizers = compare::check_optimizers(*info, model, optimizer);
  if (!report.load.compatible()) {
    report.suggestions = compare::suggest_fixes(ckpt, model);
    // The checkpoint may come from another configuration of the same model: say which.
    if (!request.is_path && explore_branches) {
      interp::BranchResult branches = interp::enumerate_branches(request.target, request.config);
      // The --config values given are explored too (the checkpoint may come from the default
      // configuration): only those without a default stay fixed.
      if (branches.set) {
        std::vector<interp::ConfigItem> required;
        for (const auto& item : request.config) {
          auto p = std::find_if(branches.set->parameters.begin(), branches.set->parameters.end(),
                                [&](const auto& q) { return q.name == item.key; });
          if (p == branches.set->parameters.end() || !p->default_) required.push_back(item);
        }
        if (required.size() < request.config.size()) {
          interp::BranchResult wider = interp::enumerate_branches(request.target, required);
          if (wider.set) branches = std::move(wider);
        }
      }
      if (branches.set) {
        for (const auto& b : branches.set->branches) {
          std::vector<interp::ConfigItem> witness;
          for (const auto& [k, v] : b.witness) witness.push_back({k, v});
          if (!load_into(witness, b.manifest, b.load_customizations).compatible()) continue;
          // Stated against the command line: every key given keeps its place, with the value
          // this configuration needs.
          std::vector<std::string> args;
          for (const auto& [k, v] : b.witness) args.push_back(fmt::format("--config {}={}", k, v));
          for (const auto& item : request.config) {
            bool in_witness = std::any_of(b.witness.begin(), b.witness.end(), [&](const auto& kv) { return kv.first == item.key; });
            auto p = std::find_if(branches.set->parameters.begin(), branches.set->parameters.end(),
                                  [&](const auto& q) { return q.name == item.key; });
            if (!in_witness && p != branches.set->parameters.end() && p->default_) {
              args.push_back(fmt::format("--config {}={}", item.key, *p->default_));
            }
          }
          report.matching_configs.push_back(args.empty() ? std::string("(defaults)") : fmt::format("{}", fmt::join(args, " ")));
        }
      }
    }
  }
  if (request.format == "json") {
    io.out << report::check_to_json(report).dump(2) << "\n";
  } else if (request.format == "text") {
    io.out << report::render_check_text(report);
  } else {
    // Unlocatable findings point at the model's definition, or at the other checkpoint.
    diag::Span fallback{request.is_path ? request.spec : request.target.file, 1, 1, 1, 1};
    if (!request.is_path) {
      std::optional<interp::PredictionError> ignored;
      for (const auto& m : interp::list_models(request.target.file, &ignored)) {
        if (m.name == request.target.name) fallback.line = fallback.end_line = m.line;
      }
    }
    io.out << render_findings(report, ckpt, model, fallback, request.format);
  }
  bool optimizers_ok = std::all_of(report.optimizers.begin(), report.optimizers.end(), [](auto& o) { return o.compatible(); });
  return report.load.compatible() && optimizers_ok ? kExitOk : kExitFindings;
}

}  // namespace ckg::cli
