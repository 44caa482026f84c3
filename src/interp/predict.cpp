// predict_keys(): load the target's file, build the target with the given arguments, and read
// off its state_dict keys.
#include "interp/predict.h"

#include <map>
#include <memory>

#include <fmt/format.h>

#include "interp/interpreter.h"
#include "interp/session.h"
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

static std::string project_key(const index::ModulePath& where) {
  return where.root + "|" + where.dotted_name.substr(0, where.dotted_name.find('.'));
}

PredictionResult predict_keys(const Target& target, const std::vector<ConfigItem>& config) {
  return ProjectSession(index::locate_module(target.file)).predict(target, config);
}

std::vector<ModelTarget> list_models(const std::string& file, std::optional<PredictionError>* error) {
  std::vector<ModelTarget> out;
  parse::LoadResult loaded = parse::load_source(file);
  if (!loaded.file || loaded.file->first_syntax_error()) {
    auto problem = loaded.file ? *loaded.file->first_syntax_error() : *loaded.error;
    if (error) *error = PredictionError{file, problem.where.line, problem.reason};
    return out;
  }
  ProjectSession session(index::locate_module(file));
  Interpreter& in = session.interpreter();
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

std::vector<PredictionResult> predict_keys_batch(const std::vector<PredictionRequest>& requests) {
  std::map<std::string, std::unique_ptr<ProjectSession>> sessions;
  std::vector<PredictionResult> out;
  for (const auto& r : requests) {
    index::ModulePath where = index::locate_module(r.target.file);
    auto& session = sessions[project_key(where)];
    if (!session) session = std::make_unique<ProjectSession>(where);
    out.push_back(session->predict(r.target, r.config));
  }
  return out;
}

}  // namespace ckg::interp
