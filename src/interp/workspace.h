// A workspace: analyses of many targets, possibly in several projects, that share one interpreter
// per project so that each project's modules are parsed and loaded once.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "interp/branches.h"
#include "interp/predict.h"
#include "parse/file_system.h"

namespace ckg::interp {

class ProjectSession;

class Workspace {
 public:
  // Every source is read through `files` (the disk by default), which must outlive the workspace.
  explicit Workspace(const parse::FileSystem& files = parse::disk());
  ~Workspace();
  Workspace(const Workspace&) = delete;
  Workspace& operator=(const Workspace&) = delete;

  std::vector<ModelTarget> list_models(const std::string& file, std::optional<PredictionError>* error);

  // Records which statements of `path` predictions run (Prediction::executed, Branch::executed).
  void watch(const std::string& path);
  // Statements of a watched file that ran while it was loaded as a module (once per workspace).
  std::vector<manifest::SourceRange> executed_at_load(const std::string& path) const;
  PredictionResult predict(const Target& target, const std::vector<ConfigItem>& config);
  BranchResult branches(const Target& target, const std::vector<ConfigItem>& config, BranchLimits limits = {});
  std::variant<LoadSimulation, PredictionError> simulate_load(const Target& target, const std::vector<ConfigItem>& config,
                                                              const manifest::KeyManifest& checkpoint);

 private:
  ProjectSession& session_for(const std::string& file);
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace ckg::interp
