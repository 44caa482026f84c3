// predict_keys(): load the target's file, build the target with the given arguments, and read
// off its state_dict keys.
#include "interp/predict.h"

#include <charconv>
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

static InterpreterLimits current_limits;

void set_interpreter_limits(const InterpreterLimits& limits) { current_limits = limits; }
const InterpreterLimits& interpreter_limits() { return current_limits; }

std::optional<std::string> parse_interpreter_limits(const std::string& spec, InterpreterLimits& limits) {
  std::size_t start = 0;
  while (start <= spec.size()) {
    std::size_t end = spec.find(',', start);
    std::string item = spec.substr(start, end == std::string::npos ? std::string::npos : end - start);
    start = end == std::string::npos ? spec.size() + 1 : end + 1;
    if (item.empty()) continue;
    std::size_t eq = item.find('=');
    std::string name = item.substr(0, eq);
    std::uint64_t value = 0;
    std::string digits = eq == std::string::npos ? std::string() : item.substr(eq + 1);
    auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
    if (digits.empty() || ec != std::errc() || ptr != digits.data() + digits.size() || value == 0 || value > (std::uint64_t{1} << 62)) {
      return fmt::format("'{}': expected NAME=N, N a positive integer", item);
    }
    auto as_int64 = static_cast<std::int64_t>(value);
    if (name == "max_steps") limits.max_steps = as_int64;
    else if (name == "max_call_depth") {
      // each Python call takes a dozen C++ frames: deeper than this, the process stack would not hold
      if (value > 2'000) return fmt::format("'{}': max_call_depth is at most 2000", item);
      limits.max_call_depth = static_cast<int>(value);
    }
    else if (name == "max_loop_iterations") limits.max_loop_iterations = as_int64;
    else if (name == "max_sequence") limits.max_sequence = as_int64;
    else if (name == "max_alloc_bytes") limits.max_alloc_bytes = value;
    else if (name == "max_int_bits") limits.max_int_bits = as_int64;
    else if (name == "max_seconds") {
      if (value > 1'000'000) return fmt::format("'{}': max_seconds is at most 1000000", item);
      limits.max_seconds = as_int64;
    }
    else return fmt::format("'{}': not an interpreter limit (max_steps, max_call_depth, max_loop_iterations, max_sequence, max_alloc_bytes, max_int_bits, max_seconds)", name);
  }
  return std::nullopt;
}

ScriptRun run_script(const std::string& file) {
  ProjectSession session(index::locate_module(file));
  Interpreter& in = session.interpreter();
  ScriptRun run;
  in.print_sink = &run.output;
  in.script_mode = true;
  std::string error;
  try {
    if (!in.load_project_file(file, &error)) run.error = PredictionError{file, 0, error};
    in.close_generators();  // as CPython's finalization does: their finally blocks print too
  } catch (PyError& e) {
    run.error = PredictionError{e.where.file, e.where.line, e.described()};
  } catch (AnalysisAbort& e) {
    run.error = PredictionError{e.where.file, e.where.line, e.reason};
  }
  return run;
}

std::vector<ModelTarget> list_models(const std::string& file, std::optional<PredictionError>* error) {
  return Workspace().list_models(file, error);
}

}  // namespace ckg::interp
