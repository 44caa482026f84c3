// Key prediction: the public entry point of the interpreter stage.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "index/project_index.h"
#include "manifest/key_manifest.h"

namespace ckg::interp {

// The interpreter's budgets (README, section Limits). Predictions use the ones set last in the
// process; a breach stops the prediction with an error naming the limit.
struct InterpreterLimits {
  std::int64_t max_steps = 20'000'000;  // evaluated nodes and executed statements
  int max_call_depth = 200;
  std::int64_t max_loop_iterations = 10'000'000;  // while-loops; the step budget bounds the rest
  std::int64_t max_sequence = 1'000'000;
  // Bytes model code may allocate in one prediction (strings, sequences, materialised ranges
  // and iterations, big ints), counted as they are made and never given back: a bound on
  // memory and on the time spent copying.
  std::uint64_t max_alloc_bytes = 1ull << 30;
  std::int64_t max_int_bits = 65'536;  // an int; model code needs 64
  // Wall-clock seconds of one prediction: the step budget bounds work the interpreter counts,
  // this bounds what it does not (a slow regular expression, a huge sort) on any machine.
  std::int64_t max_seconds = 60;
};
void set_interpreter_limits(const InterpreterLimits& limits);
const InterpreterLimits& interpreter_limits();
// Applies `NAME=VALUE[,NAME=VALUE]...` to `limits`; the error says which item is wrong.
std::optional<std::string> parse_interpreter_limits(const std::string& spec, InterpreterLimits& limits);

// `FILE::NAME` split into its parts.
struct Target {
  std::string file;
  std::string name;  // a class or a module-level factory function
};

// One `--config KEY=VALUE`, VALUE being Python literal source text.
struct ConfigItem {
  std::string key;
  std::string value_source;
};

struct Prediction {
  manifest::KeyManifest manifest;
  std::vector<manifest::Unresolved> unresolved;
  // Statements of watched files (Workspace::watch) that building the model ran.
  std::vector<manifest::SourceRange> executed;
  // Where project code changes how checkpoints load: load_state_dict pre- and post-hooks, and
  // _load_from_state_dict / load_state_dict overrides (key migrations, _version upgrades).
  std::vector<manifest::SourceRange> load_customizations;
};

// What `model.load_state_dict(checkpoint, strict=True)` does to a checkpoint known by its keys,
// with the model's own load hooks and _load_from_state_dict overrides run on the way (torch
// 1.13's algorithm, interpreted).
struct LoadSimulation {
  std::vector<std::string> missing, unexpected;  // in torch's order
  std::vector<std::string> messages;             // torch's error_msgs (size mismatches, ...)
  std::optional<std::string> pytorch_error;      // str() of the RuntimeError torch raises
  bool compatible() const { return !pytorch_error; }
};

// Why a prediction could not be made at all (exit code 2 at the CLI).
struct PredictionError {
  std::string file;
  int line = 0;
  std::string message;
  bool not_a_model = false;  // the function ran and returned something other than an nn.Module
};

struct PredictionResult {
  std::optional<Prediction> prediction;
  std::optional<PredictionError> error;
};

// Parses `FILE::NAME`; nullopt when the `::` separator or either part is missing.
std::optional<Target> parse_target(const std::string& spec);
// Validates KEY=VALUE syntax (the value is parsed later, as a Python literal).
std::optional<ConfigItem> parse_config_item(const std::string& spec, std::string* error);

// Builds the target with the given constructor arguments, without running any user code
// for real, and returns the state_dict keys it would have.
PredictionResult predict_keys(const Target& target, const std::vector<ConfigItem>& config);

struct PredictionRequest {
  Target target;
  std::vector<ConfigItem> config;
};

// Builds the target, then loads a checkpoint known by its keys into it (load_state_dict,
// strict=True) with the model's own load hooks and _load_from_state_dict overrides interpreted.
std::variant<LoadSimulation, PredictionError> simulate_load(const Target& target, const std::vector<ConfigItem>& config,
                                                            const manifest::KeyManifest& checkpoint);

// A model a file defines: an nn.Module class, or a module-level function callable without
// arguments (a builder). `required` lists constructor arguments that have no default.
struct ModelTarget {
  std::string name;
  int line = 0;
  bool is_class = false;
  std::vector<std::string> required;
};

// The models FILE defines, in source order. Loading the file runs nothing for real.
std::vector<ModelTarget> list_models(const std::string& file, std::optional<PredictionError>* error);

// Many predictions in one process: requests in the same project share one interpreter, so
// each project file is parsed and loaded once (e.g. every torchvision builder).
std::vector<PredictionResult> predict_keys_batch(const std::vector<PredictionRequest>& requests);

// Runs FILE's top level as a script, for the conformance suite, which compares what print()
// wrote with CPython's output. As in CPython, an exception nobody catches ends the script: it
// is the error, beside the output printed before it. (A project module loaded for a model keeps
// going instead: a failing statement binds its names to Unknowns.)
struct ScriptRun {
  std::string output;
  std::optional<PredictionError> error;
};
ScriptRun run_script(const std::string& file);

}  // namespace ckg::interp
