// Shared argument handling for `keys`, `branches` and the other target commands.
#include "cli/target_request.h"

#include <filesystem>

#include <fmt/format.h>

#include "cli/arguments.h"
#include "cli/python_env.h"
#include "text/did_you_mean.h"

namespace ckg::cli {

TargetRequest parse_target_request(const std::vector<std::string>& argv, const char* command, const char* usage, Io io,
                                   bool allow_path, const std::set<std::string>& formats,
                                   const std::set<std::string>& flags) {
  TargetRequest out;
  std::string error;
  auto args = parse_args(argv, ArgSpec{{"--config", "--format", "--python"}, flags}, &error);
  if (args && args->flags.count("--help")) {
    io.out << usage;
    return out;
  }
  std::optional<std::string> format;
  if (args) format = output_format(*args, formats, &error);
  if (args && format && args->positional.size() != 1) {
    error = args->positional.empty() ? "missing FILE::NAME" : "expected exactly one FILE::NAME";
  }
  std::optional<interp::Target> target;
  if (error.empty()) {
    target = interp::parse_target(args->positional[0]);
    out.is_path = !target && allow_path && args->positional[0].find("::") == std::string::npos;
    if (!target && !out.is_path) error = fmt::format("'{}' is not FILE::NAME", args->positional[0]);
    if (target && !std::filesystem::exists(target->file)) {
      // A misspelt file, named as every unreadable input is (`file: problem`), with the Python
      // files beside where it would be.
      std::error_code ec;
      std::filesystem::path dir = std::filesystem::path(target->file).parent_path();
      std::vector<std::string> siblings;
      for (const auto& entry : std::filesystem::directory_iterator(dir.empty() ? "." : dir, ec)) {
        if (entry.path().extension() == ".py") siblings.push_back((dir / entry.path().filename()).string());
      }
      io.err << fmt::format("{}: no such file{}\n", target->file, text::did_you_mean_suffix(target->file, siblings));
      out.exit_code = kExitUsage;
      return out;
    }
  }
  if (error.empty()) {
    auto it = args->options.find("--config");
    if (it != args->options.end()) {
      for (const auto& spec : it->second) {
        auto item = interp::parse_config_item(spec, &error);
        if (!item) break;
        out.config.push_back(*item);
      }
    }
  }
  if (!error.empty()) {
    io.err << fmt::format("ckptguard {}: {}\n", command, error);
    out.exit_code = kExitUsage;
    return out;
  }
  out.run = true;
  out.spec = args->positional[0];
  if (target) out.target = *target;
  // Imports outside the project resolve through the user's interpreter's sys.path.
  use_python_environment(args->last("--python"), target ? target->file : args->positional[0]);
  out.format = *format;
  for (const auto& f : flags) {
    if (args->flags.count(f)) out.flags.insert(f);
  }
  return out;
}

int report_prediction_error(const interp::PredictionError& e, Io io) {
  io.err << (e.line > 0 ? fmt::format("{}:{}: {}\n", e.file, e.line, e.message) : fmt::format("{}: {}\n", e.file, e.message));
  return kExitUsage;
}

}  // namespace ckg::cli
