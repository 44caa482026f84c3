// predict_keys(): load the target's file, build the target with the given arguments, and read
// off its state_dict keys.
#include "interp/predict.h"

#include <map>
#include <memory>

#include <fmt/format.h>

#include "interp/interpreter.h"
#include "interp/session.h"
#include "interp/workspace.h"
#include "parse/syntax.h"

namespace ckg::interp {

using parse::Kind;

std::optional<Target> parse_target(const std::string& spec) {
  std::size_t sep = spec.rfind("::");
  if (sep == std::string::npos || sep == 0 || sep + 2 >= spec.size()) return std::nullopt;
  return Target{spec.substr(0, sep), spec.substr(sep + 2)};
}

static bool is_identifier(const std::string& s) {
  if (s.empty() || std::isdigit(static_cast<unsigned char>(s[0]))) return false;
  return std::all_of(s.begin(), s.end(), [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; });
}

std::optional<ConfigItem> parse_config_item(const std::string& spec, std::string* error) {
  std::size_t eq = spec.find('=');
  if (eq == std::string::npos) {
    *error = fmt::format("--config '{}': expected KEY=VALUE", spec);
    return std::nullopt;
  }
  std::string key = spec.substr(0, eq);
  if (!is_identifier(key)) {
    *error = fmt::format("--config '{}': '{}' is not a Python identifier", spec, key);
    return std::nullopt;
  }
  return ConfigItem{key, spec.substr(eq + 1)};
}

PredictionResult predict_keys(const Target& target, const std::vector<ConfigItem>& config) {
  return ProjectSession(index::locate_module(target.file)).predict(target, config);
}

std::variant<LoadSimulation, PredictionError> simulate_load(const Target& target, const std::vector<ConfigItem>& config,
                                                            const manifest::KeyManifest& checkpoint) {
  return ProjectSession(index::locate_module(target.file)).simulate_load(target, config, checkpoint);
}

std::vector<PredictionResult> predict_keys_batch(const std::vector<PredictionRequest>& requests) {
  Workspace workspace;
  std::vector<PredictionResult> out;
  for (const auto& r : requests) out.push_back(workspace.predict(r.target, r.config));
  return out;
}

std::variant<std::string, PredictionError> run_script(const std::string& file) {
  ProjectSession session(index::locate_module(file));
  Interpreter& in = session.interpreter();
  std::string out;
  in.print_sink = &out;
  std::string error;
  try {
    if (!in.load_project_file(file, &error)) return PredictionError{file, 0, error};
  } catch (AnalysisAbort& e) {
    return PredictionError{e.where.file, e.where.line, e.reason};
  }
  return out;
}

std::vector<ModelTarget> list_models(const std::string& file, std::optional<PredictionError>* error) {
  return Workspace().list_models(file, error);
}

}  // namespace ckg::interp
