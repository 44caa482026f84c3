// ProjectSession: preparing and building targets in one project's interpreter.
#include "interp/session.h"

#include <algorithm>
#include <filesystem>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "parse/syntax.h"
#include "text/did_you_mean.h"

namespace ckg::interp {

using parse::Kind;

// A config value is a Python literal (numbers, strings, True/False/None, tuples, lists, dicts,
// unary minus), a dotted name such as torch.nn.GroupNorm resolved in the target's module, or a
// call of such a name with arguments of that form: the config object a repository builds its
// model with (`GPTConfig(n_layer=6, n_head=6)`), interpreted like the rest of its code.
static bool is_dotted_name(TSNode n) {
  if (parse::kind(n) == Kind::k_identifier) return true;
  return parse::kind(n) == Kind::k_attribute && is_dotted_name(parse::field(n, parse::Field::object));
}

static bool is_literal_expression(TSNode n) {
  switch (parse::kind(n)) {
    case Kind::k_call: {
      if (!is_dotted_name(parse::field(n, parse::Field::function))) return false;
      for (TSNode arg : parse::named_children(parse::field(n, parse::Field::arguments))) {
        TSNode value = parse::kind(arg) == Kind::k_keyword_argument ? parse::field(arg, parse::Field::value) : arg;
        if (!is_literal_expression(value)) return false;
      }
      return true;
    }
    case Kind::k_integer: case Kind::k_float: case Kind::k_true: case Kind::k_false: case Kind::k_none:
    case Kind::k_identifier:
      return true;
    case Kind::k_string:
      for (TSNode c : parse::named_children(n)) {
        if (parse::kind(c) == Kind::k_interpolation) return false;
      }
      return true;
    case Kind::k_attribute: return is_dotted_name(n);
    case Kind::k_unary_operator: case Kind::k_tuple: case Kind::k_list: case Kind::k_parenthesized_expression:
    case Kind::k_dictionary: case Kind::k_pair: case Kind::k_concatenated_string: case Kind::k_set:
      for (TSNode c : parse::named_children(n)) {
        if (!is_literal_expression(c)) return false;
      }
      return true;
    default: return false;
  }
}

ProjectSession::ProjectSession(const index::ModulePath& where, const parse::FileSystem& files)
    : index_({where.root}, files), interp_(index_) {
  // Inside site-packages only the target's own package is the project; a repository's root
  // holds all of its top-level packages (training/, torch_utils/, dnnlib/ side by side), and a
  // src/ layout's packages are importable from the root too.
  if (index::is_site_directory(where.root)) {
    if (where.is_package || where.dotted_name.find('.') != std::string::npos) {
      index_.restrict_to_package(where.dotted_name.substr(0, where.dotted_name.find('.')));
    }
  } else {
    std::filesystem::path root(where.root);
    if (root.filename() == "src" && !files.is_file((root / "__init__.py").string())) index_.add_search_root(root.parent_path().string());
    if (files.is_directory((root / "src").string()) && !files.is_file((root / "src" / "__init__.py").string())) {
      index_.add_search_root((root / "src").string());
    }
  }
}

// A classmethod read off its class (`EfficientNet.from_name`): a factory target like a function.
static const FunctionObj* class_bound_function(const Value& callee) {
  auto* bm = callee.as<BoundMethodObj>();
  return bm && bm->self.as<ClassObj>() ? bm->func.as<FunctionObj>() : nullptr;
}

const std::vector<Param>* signature_of(const Value& callee, bool& skip_first) {
  skip_first = false;
  if (auto* fn = callee.as<FunctionObj>()) return &fn->params;
  if (const FunctionObj* fn = class_bound_function(callee)) {
    skip_first = true;  // cls
    return &fn->params;
  }
  if (auto* cls = callee.as<ClassObj>()) {
    if (const Value* init = cls->lookup("__init__")) {
      if (auto* fn = init->as<FunctionObj>()) {
        skip_first = true;
        return &fn->params;
      }
    }
  }
  return nullptr;
}

static PredictionError error_at(const std::string& file, int line, std::string message) {
  return PredictionError{file, line, std::move(message)};
}

// A --config KEY the target does not take (a typo, or a parameter renamed in a refactor): named at
// the signature's line, with the parameters it does take. Keys with a dot set a config object's
// field; a signature with **kwargs takes any name.
static std::optional<PredictionError> check_config_keys(const Value& callee, const Target& target,
                                                        const std::vector<ConfigItem>& config) {
  bool skip_first = false;
  const std::vector<Param>* params = signature_of(callee, skip_first);
  if (!params) return std::nullopt;
  std::vector<std::string> names;
  for (std::size_t i = skip_first ? 1 : 0; i < params->size(); ++i) {
    const Param& p = (*params)[i];
    if (p.kind == Param::Kind::var_keyword) return std::nullopt;
    if (p.kind != Param::Kind::var_positional) names.push_back(p.name);
  }
  for (const auto& item : config) {
    if (item.key.find('.') != std::string::npos || std::find(names.begin(), names.end(), item.key) != names.end()) continue;
    const FunctionObj* fn = callee.as<FunctionObj>() ? callee.as<FunctionObj>() : class_bound_function(callee);
    if (auto* cls = callee.as<ClassObj>()) fn = cls->lookup("__init__")->as<FunctionObj>();
    int line = fn && fn->file ? fn->file->location(fn->node).line : 0;
    std::string file = fn && fn->file ? fn->file->path() : target.file;
    return error_at(file, line, fmt::format("--config {}: '{}' takes no parameter '{}'{} (its parameters: {})", item.key,
                                            target.name, item.key, text::did_you_mean_suffix(item.key, names),
                                            names.empty() ? "none" : fmt::format("{}", fmt::join(names, ", "))));
  }
  return std::nullopt;
}

std::variant<PreparedTarget, PredictionError> ProjectSession::prepare(const Target& target,
                                                                      const std::vector<ConfigItem>& config) {
  Interpreter& in = interp_;
  parse::LoadResult loaded = index_.load(target.file);
  if (!loaded.file) return error_at(target.file, 0, loaded.error ? loaded.error->reason : "cannot be read");
  if (auto err = loaded.file->first_syntax_error()) return error_at(target.file, err->where.line, err->reason);
  in.begin_request();
  std::string error;
  ModuleNs* module = nullptr;
  // torch's own source (torch/nn/modules/conv.py::Conv2d) is the catalogue's to answer for.
  index::ModulePath where = index::locate_module(target.file, index_.files());
  if (where.dotted_name == "torch" || where.dotted_name.rfind("torch.", 0) == 0) {
    auto* native = in.import_module(where.dotted_name, {}).as<ModuleNs>();
    if (native && !native->opaque && native->file && native->globals->vars.find(target.name.substr(0, target.name.find('.')))) module = native;
  }
  if (!module) module = in.load_project_file(target.file, &error);
  if (!module) return error_at(target.file, 0, error);

  PreparedTarget out;
  out.module = module;
  Frame frame;
  frame.file = module->file;
  frame.env = module->globals;
  frame.module = module;
  FrameScope scope(in, frame);
  try {
    std::size_t start = 0;
    while (true) {
      std::size_t dot = target.name.find('.', start);
      std::string part = target.name.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
      Value* found = start == 0 ? module->globals->vars.find(part) : nullptr;
      if (start == 0 && !found) {
        std::vector<std::string> defined;
        for (const auto& [name, value] : module->globals->vars.items()) {
          if (value.as<ClassObj>() || value.as<FunctionObj>()) defined.push_back(name);
        }
        return error_at(target.file, 0, fmt::format("no class or function named '{}'{}", target.name,
                                                    text::did_you_mean_suffix(part, defined)));
      }
      out.callee = start == 0 ? in.resolve_lazy(*found) : in.get_attr(out.callee, part);
      if (dot == std::string::npos) break;
      start = dot + 1;
    }
    if (!out.callee.as<ClassObj>() && !out.callee.as<FunctionObj>() && !class_bound_function(out.callee)) {
      return error_at(target.file, 0, fmt::format("'{}' is a {}, not a class or function", target.name, type_name(out.callee)));
    }
    if (auto problem = check_config_keys(out.callee, target, config)) return *problem;
    for (const auto& item : config) {
      parse::LoadResult value = parse::parse_source("<config>", item.value_source);
      auto nodes = value.file ? parse::named_children(value.file->root()) : std::vector<TSNode>{};
      TSNode expr = nodes.size() == 1 && parse::kind(nodes[0]) == Kind::k_expression_statement
                        ? parse::named_children(nodes[0]).at(0) : TSNode{};
      if (!value.file || value.file->first_syntax_error() || ts_node_is_null(expr) || !is_literal_expression(expr)) {
        return error_at(target.file, 0, fmt::format("--config {}={}: VALUE must be a Python literal", item.key, item.value_source));
      }
      Frame vf = frame;
      vf.file = value.file;
      FrameScope vscope(in, vf);
      Value v;
      try {
        v = in.eval(vf, expr);
      } catch (PyError& e) {
        std::string hint;
        if (e.type == "NameError" && parse::kind(expr) == Kind::k_identifier) {
          // `flag=true`, `norm=batch`: a shell-style value where Python needs a literal.
          hint = fmt::format(" (VALUE is Python: True, False, None; strings are quoted, {}='{}')", item.key, item.value_source);
        }
        return error_at(target.file, 0,
                        fmt::format("--config {}={}: raised {}{}", item.key, item.value_source, e.described(), hint));
      }
      if (is_unknown(v)) {
        return error_at(target.file, 0, fmt::format("--config {}={}: {}", item.key, item.value_source, v.as<UnknownObj>()->reason));
      }
      out.config.emplace_back(item.key, v);
    }
  } catch (PyError& e) {
    return error_at(e.where.file, e.where.line, fmt::format("resolving '{}' raised {}", target.name, e.described()));
  }
  return out;
}

std::variant<Prediction, PredictionError> ProjectSession::build(const Target& target, const PreparedTarget& prepared,
                                                                CallArgs args, const manifest::KeyManifest* load_into) {
  loaded_.reset();
  Interpreter& in = interp_;
  in.begin_request();
  Frame frame;
  frame.file = prepared.module->file;
  frame.env = prepared.module->globals;
  frame.module = prepared.module;
  FrameScope scope(in, frame);
  try {
    Value built = in.call(prepared.callee, std::move(args));
    if (!in.is_module(built)) {
      if (auto* u = built.as<UnknownObj>()) {
        return error_at(u->where.file, u->where.line, fmt::format("could not determine what '{}' returns: {}", target.name, u->reason));
      }
      PredictionError e = error_at(target.file, 0, fmt::format("'{}' built a {}, not an nn.Module", target.name, type_name(built)));
      e.not_a_model = true;
      return e;
    }
    const auto& executed = in.executed();
    Prediction p{in.state_dict_keys(built), in.unresolved(), {executed.begin(), executed.end()}, in.load_customizations(built)};
    if (load_into) {
      Interpreter::LoadOutcome r = in.simulate_load(built, *load_into);
      loaded_ = LoadSimulation{std::move(r.missing), std::move(r.unexpected), std::move(r.messages), std::move(r.pytorch_error)};
    }
    return p;
  } catch (PyError& e) {
    // A raise after the analyzer lost track of a value is more likely its gap than the model's.
    std::string cause;
    if (!in.unresolved().empty()) {
      const auto& first = in.unresolved().front();
      cause = fmt::format(" (after an unresolved construct at {}:{}: {})", first.file, first.line, first.reason);
    }
    const bool in_catalogue = e.where.file.rfind("<ckptguard>", 0) == 0 && !e.in_project.file.empty();
    const parse::Location& at = in_catalogue ? e.in_project : e.where;
    return error_at(at.file, at.line, fmt::format("building '{}' raised {}{}", target.name, e.described(), cause));
  } catch (AnalysisAbort& e) {
    return error_at(e.where.file, e.where.line, fmt::format("analysis of '{}' stopped: {}", target.name, e.reason));
  } catch (NativeRaise& e) {
    // raised by a walk of the built model (its modules nested past the limit), after the code ran
    return error_at(target.file, 0, fmt::format("walking the modules of '{}' raised {}", target.name, e.type + ": " + e.message));
  }
}

// The same state_dict (names, kinds, shapes, dtypes, ties) and the same module tree.
static bool same_state(const manifest::KeyManifest& a, const manifest::KeyManifest& b) {
  auto same_key = [](const manifest::KeyEntry& x, const manifest::KeyEntry& y) {
    return x.name == y.name && x.kind == y.kind && x.shape == y.shape && x.dtype == y.dtype && x.alias_of == y.alias_of;
  };
  auto same_module = [](const manifest::ModuleEntry& x, const manifest::ModuleEntry& y) {
    return x.path == y.path && x.type == y.type && x.version == y.version;
  };
  return std::equal(a.keys.begin(), a.keys.end(), b.keys.begin(), b.keys.end(), same_key) &&
         std::equal(a.non_persistent.begin(), a.non_persistent.end(), b.non_persistent.begin(), b.non_persistent.end(), same_key) &&
         std::equal(a.modules.begin(), a.modules.end(), b.modules.begin(), b.modules.end(), same_module);
}

PredictionResult ProjectSession::predict(const Target& target, const std::vector<ConfigItem>& config) {
  auto prepared = prepare(target, config);
  if (auto* err = std::get_if<PredictionError>(&prepared)) return PredictionResult{std::nullopt, *err};
  auto& p = std::get<PreparedTarget>(prepared);
  auto run = [&] {
    CallArgs args;
    for (auto& kv : p.config) args.keywords.push_back(kv);
    return build(target, p, std::move(args));
  };
  auto built = run();
  if (auto* err = std::get_if<PredictionError>(&built)) return PredictionResult{std::nullopt, *err};
  Prediction first = std::get<Prediction>(std::move(built));
  // Run-time questions (is torch.distributed initialised?) were answered False: rebuild under
  // every other combination of answers. When each gives the same state, the answers did not
  // matter and their notes are withdrawn; otherwise the prediction stays incomplete. A question
  // first asked under another answer (is_initialized() once is_available() is True) joins the
  // set, and the combinations start over.
  std::vector<std::string> questions;
  for (auto& q : interp_.runtime_questions()) questions.push_back(q.first);
  std::vector<manifest::Unresolved> notes;
  for (auto& q : interp_.runtime_questions()) notes.push_back(q.second);
  constexpr std::size_t kMaxQuestions = 3;  // 2^3 builds at most per round
  // A rebuild that lost track of anything the first build did not proves nothing about its answer.
  auto nothing_new = [&](const Prediction& other) {
    return std::all_of(other.unresolved.begin(), other.unresolved.end(), [&](const manifest::Unresolved& u) {
      bool question = std::any_of(interp_.runtime_questions().begin(), interp_.runtime_questions().end(), [&](auto& q) { return q.second == u; });
      return question || std::find(first.unresolved.begin(), first.unresolved.end(), u) != first.unresolved.end();
    });
  };
  bool same = questions.size() <= kMaxQuestions;
  for (unsigned combo = 1; same && combo < (1u << questions.size()); ++combo) {
    for (std::size_t q = 0; q < questions.size(); ++q) interp_.runtime_answers[questions[q]] = (combo >> q) & 1u;
    auto again = run();
    auto* other = std::get_if<Prediction>(&again);
    same = other && same_state(first.manifest, other->manifest) && nothing_new(*other);
    for (auto& asked : interp_.runtime_questions()) {
      if (!same || std::find(questions.begin(), questions.end(), asked.first) != questions.end()) continue;
      questions.push_back(asked.first);
      same = questions.size() <= kMaxQuestions;
      combo = 0;
    }
  }
  interp_.runtime_answers.clear();
  if (same) {
    auto answered = [&](const manifest::Unresolved& u) { return std::find(notes.begin(), notes.end(), u) != notes.end(); };
    first.unresolved.erase(std::remove_if(first.unresolved.begin(), first.unresolved.end(), answered), first.unresolved.end());
  }
  return PredictionResult{std::move(first), std::nullopt};
}

std::variant<LoadSimulation, PredictionError> ProjectSession::simulate_load(const Target& target, const std::vector<ConfigItem>& config,
                                                                            const manifest::KeyManifest& checkpoint) {
  auto prepared = prepare(target, config);
  if (auto* err = std::get_if<PredictionError>(&prepared)) return *err;
  auto& p = std::get<PreparedTarget>(prepared);
  CallArgs args;
  for (auto& kv : p.config) args.keywords.push_back(kv);
  auto built = build(target, p, std::move(args), &checkpoint);
  if (auto* err = std::get_if<PredictionError>(&built)) return *err;
  return std::move(*loaded_);
}

}  // namespace ckg::interp
