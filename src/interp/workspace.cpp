// Workspace: one ProjectSession per project, shared by every analysis made through it.
#include "interp/workspace.h"

#include <map>
#include <set>

#include "interp/session.h"

namespace ckg::interp {

struct Workspace::Impl {
  const parse::FileSystem& files;
  std::map<std::string, std::unique_ptr<ProjectSession>> sessions;  // by root and top-level package
  std::vector<std::string> watched;
};

Workspace::Workspace(const parse::FileSystem& files) : impl_(std::make_unique<Impl>(Impl{files, {}, {}})) {}

void Workspace::watch(const std::string& path) {
  impl_->watched.push_back(path);
  for (auto& [key, session] : impl_->sessions) session->interpreter().watch(path);
}

std::vector<manifest::SourceRange> Workspace::executed_at_load(const std::string& path) const {
  std::set<manifest::SourceRange> out;
  for (auto& [key, session] : impl_->sessions) {
    const auto& ran = session->interpreter().executed_at_load(path);
    out.insert(ran.begin(), ran.end());
  }
  return {out.begin(), out.end()};
}
Workspace::~Workspace() = default;

ProjectSession& Workspace::session_for(const std::string& file) {
  index::ModulePath where = index::locate_module(file, impl_->files);
  auto& session = impl_->sessions[where.root + "|" + where.dotted_name.substr(0, where.dotted_name.find('.'))];
  if (!session) {
    session = std::make_unique<ProjectSession>(where, impl_->files);
    for (const auto& path : impl_->watched) session->interpreter().watch(path);
  }
  return *session;
}

PredictionResult Workspace::predict(const Target& target, const std::vector<ConfigItem>& config) {
  return session_for(target.file).predict(target, config);
}

std::variant<LoadSimulation, PredictionError> Workspace::simulate_load(const Target& target, const std::vector<ConfigItem>& config,
                                                                      const manifest::KeyManifest& checkpoint) {
  return session_for(target.file).simulate_load(target, config, checkpoint);
}

BranchResult Workspace::branches(const Target& target, const std::vector<ConfigItem>& config, BranchLimits limits) {
  return enumerate_branches_in(session_for(target.file), target, config, limits);
}

std::vector<ModelTarget> Workspace::list_models(const std::string& file, std::optional<PredictionError>* error) {
  std::vector<ModelTarget> out;
  parse::LoadResult loaded = parse::load_source(file, impl_->files);
  if (!loaded.file || loaded.file->first_syntax_error()) {
    auto problem = loaded.file ? *loaded.file->first_syntax_error() : *loaded.error;
    if (error) *error = PredictionError{file, problem.where.line, problem.reason};
    return out;
  }
  Interpreter& in = session_for(file).interpreter();
  std::string module_error;
  ModuleNs* module = in.load_project_file(file, &module_error);
  if (!module) {
    if (error) *error = PredictionError{file, 0, module_error};
    return out;
  }
  for (const auto& def : index::ProjectIndex::definitions(*loaded.file)) {
    const Value* v = module->globals->vars.find(def.name);
    if (!v) continue;
    auto params_of = [](const FunctionObj& fn, std::size_t skip) {
      std::vector<std::string> required;
      for (std::size_t i = skip; i < fn.params.size(); ++i) {
        const Param& p = fn.params[i];
        if (!p.default_value && (p.kind == Param::Kind::positional || p.kind == Param::Kind::keyword_only)) required.push_back(p.name);
      }
      return required;
    };
    if (auto* cls = v->as<ClassObj>(); cls && cls->derives_from_module && cls->qualname == module->name + "." + def.name) {
      ModelTarget t{def.name, def.line, true, {}};
      if (const Value* init = cls->lookup("__init__"); init && init->as<FunctionObj>()) t.required = params_of(*init->as<FunctionObj>(), 1);
      out.push_back(std::move(t));
    } else if (auto* fn = v->as<FunctionObj>(); fn && fn->globals == module && def.name.rfind("_", 0) != 0) {
      auto required = params_of(*fn, 0);
      if (required.empty()) out.push_back({def.name, def.line, false, {}});
    }
  }
  return out;
}

}  // namespace ckg::interp
