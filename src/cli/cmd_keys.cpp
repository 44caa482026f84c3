// `ckptguard keys FILE::NAME [--config KEY=VALUE]... [--format text|json]`
#include <fmt/format.h>

#include "cli/arguments.h"
#include "cli/commands.h"
#include "interp/predict.h"
#include "report/keys_report.h"

namespace ckg::cli {

static const char* const kKeysUsage =
    "usage: ckptguard keys FILE::NAME [--config KEY=VALUE]... [--format text|json]\n"
    "  Predict the state_dict keys of class or factory NAME in FILE without running it.\n";

int run_keys(const std::vector<std::string>& argv, Io io) {
  std::string error;
  auto args = parse_args(argv, ArgSpec{{"--config", "--format"}, {}}, &error);
  if (args && args->flags.count("--help")) {
    io.out << kKeysUsage;
    return kExitOk;
  }
  std::optional<std::string> format;
  if (args) format = output_format(*args, {"text", "json"}, &error);
  if (args && format && args->positional.size() != 1) {
    error = args->positional.empty() ? "missing FILE::NAME" : "expected exactly one FILE::NAME";
  }
  if (!error.empty()) {
    io.err << "ckptguard keys: " << error << "\n";
    return kExitUsage;
  }
  auto target = interp::parse_target(args->positional[0]);
  if (!target) {
    io.err << fmt::format("ckptguard keys: '{}' is not FILE::NAME\n", args->positional[0]);
    return kExitUsage;
  }
  std::vector<interp::ConfigItem> config;
  auto it = args->options.find("--config");
  if (it != args->options.end()) {
    for (const auto& spec : it->second) {
      auto item = interp::parse_config_item(spec, &error);
      if (!item) {
        io.err << "ckptguard keys: " << error << "\n";
        return kExitUsage;
      }
      config.push_back(*item);
    }
  }
  interp::PredictionResult result = interp::predict_keys(*target, config);
  if (result.error) {
    const auto& e = *result.error;
    io.err << (e.line > 0 ? fmt::format("{}:{}: {}\n", e.file, e.line, e.message) : fmt::format("{}: {}\n", e.file, e.message));
    return kExitUsage;
  }
  report::KeysReport report{args->positional[0], {}, result.prediction->manifest, result.prediction->unresolved};
  for (const auto& c : config) report.config.emplace_back(c.key, c.value_source);
  if (*format == "json") {
    io.out << report::keys_to_json(report).dump(2) << "\n";
  } else {
    io.out << report::render_keys_text(report);
  }
  return kExitOk;
}

}  // namespace ckg::cli
