// A project session: one interpreter with a project's modules loaded, shared by every
// prediction (and every branch run) made in that project. Internal to the interpreter stage.
#pragma once

#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "interp/interpreter.h"
#include "interp/predict.h"

namespace ckg::interp {

// A target resolved and ready to be built: the class or factory and the --config values.
struct PreparedTarget {
  Value callee;
  ModuleNs* module = nullptr;
  std::vector<std::pair<std::string, Value>> config;
};

// The parameters of a class's __init__ (`skip_first`: self is the first) or of a factory
// function; nullptr for anything else.
const std::vector<Param>* signature_of(const Value& callee, bool& skip_first);

class ProjectSession {
 public:
  explicit ProjectSession(const index::ModulePath& where, const parse::FileSystem& files = parse::disk());

  // Loads the target's file, finds NAME, and evaluates each --config VALUE as a literal.
  std::variant<PreparedTarget, PredictionError> prepare(const Target& target, const std::vector<ConfigItem>& config);
  // Builds the prepared target with `args` and reads off its keys; a raise is an error. With
  // `load_into`, that checkpoint is then loaded into the built model (see simulate_load).
  std::variant<Prediction, PredictionError> build(const Target& target, const PreparedTarget& prepared, CallArgs args,
                                                  const manifest::KeyManifest* load_into = nullptr);
  // prepare + build with the --config values as keyword arguments.
  PredictionResult predict(const Target& target, const std::vector<ConfigItem>& config);
  // prepare + build, then load_state_dict(strict=True) of `checkpoint` into the model, with the
  // model's load hooks and overrides interpreted.
  std::variant<LoadSimulation, PredictionError> simulate_load(const Target& target, const std::vector<ConfigItem>& config,
                                                              const manifest::KeyManifest& checkpoint);

  Interpreter& interpreter() { return interp_; }

 private:
  index::ProjectIndex index_;
  Interpreter interp_;
  std::optional<LoadSimulation> loaded_;  // what the last build with `load_into` gave
};

struct BranchLimits;
struct BranchResult;
// Branch enumeration inside an existing session (branches.cpp).
BranchResult enumerate_branches_in(ProjectSession& session, const Target& target, const std::vector<ConfigItem>& config,
                                   BranchLimits limits);

}  // namespace ckg::interp
