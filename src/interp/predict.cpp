// predict_keys(): load the target's file, build the target with the given arguments, and read
// off its state_dict keys.
#include "interp/predict.h"

#include <map>
#include <memory>

#include <fmt/format.h>

#include "interp/interpreter.h"
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

// A config value is a Python literal (numbers, strings, True/False/None, tuples, lists, dicts,
// unary minus) or a dotted name such as torch.nn.GroupNorm resolved in the target's module.
static bool is_literal_expression(TSNode n) {
  switch (parse::kind(n)) {
    case Kind::k_integer: case Kind::k_float: case Kind::k_true: case Kind::k_false: case Kind::k_none:
    case Kind::k_identifier:
      return true;
    case Kind::k_string:
      for (TSNode c : parse::named_children(n)) {
        if (parse::kind(c) == Kind::k_interpolation) return false;
      }
      return true;
    case Kind::k_attribute: return is_literal_expression(parse::field(n, parse::Field::object));
    case Kind::k_unary_operator: case Kind::k_tuple: case Kind::k_list: case Kind::k_parenthesized_expression:
    case Kind::k_dictionary: case Kind::k_pair: case Kind::k_concatenated_string: case Kind::k_set:
      for (TSNode c : parse::named_children(n)) {
        if (!is_literal_expression(c)) return false;
      }
      return true;
    default: return false;
  }
}

static PredictionResult fail(const std::string& file, int line, std::string message) {
  return PredictionResult{std::nullopt, PredictionError{file, line, std::move(message)}};
}

namespace {

// One project (a package, or a directory of scripts) with its loaded modules.
class ProjectSession {
 public:
  explicit ProjectSession(const index::ModulePath& where) : index_({where.root}), interp_(index_) {
    if (where.is_package || where.dotted_name.find('.') != std::string::npos) {
      index_.restrict_to_package(where.dotted_name.substr(0, where.dotted_name.find('.')));
    }
  }

  PredictionResult predict(const Target& target, const std::vector<ConfigItem>& config);

 private:
  index::ProjectIndex index_;
  Interpreter interp_;
};

std::string project_key(const index::ModulePath& where) {
  return where.root + "|" + where.dotted_name.substr(0, where.dotted_name.find('.'));
}

}  // namespace

PredictionResult ProjectSession::predict(const Target& target, const std::vector<ConfigItem>& config) {
  Interpreter& in = interp_;
  parse::LoadResult loaded = index_.load(target.file);
  if (!loaded.file) return fail(target.file, 0, loaded.error ? loaded.error->reason : "cannot be read");
  if (auto err = loaded.file->first_syntax_error()) return fail(target.file, err->where.line, err->reason);

  in.begin_request();
  std::string error;
  ModuleNs* module = in.load_project_file(target.file, &error);
  if (!module) return fail(target.file, 0, error);

  try {
    Frame frame;
    frame.file = module->file;
    frame.env = module->globals;
    frame.module = module;
    FrameScope scope(in, frame);

    Value callee;
    std::size_t start = 0;
    while (true) {
      std::size_t dot = target.name.find('.', start);
      std::string part = target.name.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
      Value* found = start == 0 ? module->globals->vars.find(part) : nullptr;
      if (start == 0 && !found) return fail(target.file, 0, fmt::format("no class or function named '{}'", target.name));
      callee = start == 0 ? in.resolve_lazy(*found) : in.get_attr(callee, part);
      if (dot == std::string::npos) break;
      start = dot + 1;
    }
    if (!callee.as<ClassObj>() && !callee.as<FunctionObj>()) {
      return fail(target.file, 0, fmt::format("'{}' is a {}, not a class or function", target.name, type_name(callee)));
    }

    CallArgs args;
    for (const auto& item : config) {
      parse::LoadResult value = parse::parse_source("<config>", item.value_source);
      auto nodes = value.file ? parse::named_children(value.file->root()) : std::vector<TSNode>{};
      TSNode expr = nodes.size() == 1 && parse::kind(nodes[0]) == Kind::k_expression_statement
                        ? parse::named_children(nodes[0]).at(0) : TSNode{};
      if (!value.file || value.file->first_syntax_error() || ts_node_is_null(expr) || !is_literal_expression(expr)) {
        return fail(target.file, 0, fmt::format("--config {}={}: VALUE must be a Python literal", item.key, item.value_source));
      }
      Frame vf = frame;
      vf.file = value.file;
      FrameScope vscope(in, vf);
      Value v = in.eval(vf, expr);
      if (is_unknown(v)) {
        return fail(target.file, 0, fmt::format("--config {}={}: {}", item.key, item.value_source, v.as<UnknownObj>()->reason));
      }
      args.keywords.emplace_back(item.key, v);
    }

    Value built = in.call(callee, std::move(args));
    if (!in.is_module(built)) {
      if (auto* u = built.as<UnknownObj>()) {
        return fail(u->where.file, u->where.line, fmt::format("could not determine what '{}' returns: {}", target.name, u->reason));
      }
      return fail(target.file, 0, fmt::format("'{}' built a {}, not an nn.Module", target.name, type_name(built)));
    }
    Prediction p;
    p.manifest = in.state_dict_keys(built);
    p.unresolved = in.unresolved();
    return PredictionResult{std::move(p), std::nullopt};
  } catch (PyError& e) {
    // A raise after the analyzer lost track of a value is more likely its gap than the model's.
    std::string cause;
    if (!in.unresolved().empty()) {
      const auto& first = in.unresolved().front();
      cause = fmt::format(" (after an unresolved construct at {}:{}: {})", first.file, first.line, first.reason);
    }
    return fail(e.where.file, e.where.line, fmt::format("building '{}' raised {}: {}{}", target.name, e.type, e.message, cause));
  } catch (AnalysisAbort& e) {
    return fail(e.where.file, e.where.line, fmt::format("analysis of '{}' stopped: {}", target.name, e.reason));
  }
}

PredictionResult predict_keys(const Target& target, const std::vector<ConfigItem>& config) {
  return ProjectSession(index::locate_module(target.file)).predict(target, config);
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
