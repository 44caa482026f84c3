// analyze_change(): the steps of the change analysis, each a function below.
#include "changes/change_analysis.h"

#include <algorithm>
#include <filesystem>
#include <set>

#include <fmt/format.h>

#include "changes/description_json.h"
#include "changes/edit_attribution.h"
#include "changes/import_graph.h"
#include "compare/load_check.h"
#include "compare/model_diff.h"
#include "diagnostics/suppression.h"
#include "interp/workspace.h"
#include "manifest/completeness.h"
#include "parse/source_file.h"

namespace ckg::changes {

namespace {

// ---- broken input ---------------------------------------------------------------------------

// Changed files of the new version that CPython would not compile (or that cannot be read).
std::vector<BrokenFile> broken_files(const ProjectVersion& version, const std::vector<std::string>& changed,
                                     const ChangeOptions& options, std::vector<std::string>& notes) {
  std::vector<BrokenFile> out;
  for (const auto& rel : changed) {
    if (!version.has(rel)) continue;  // deleted
    parse::LoadResult loaded = parse::load_source(version.path_of(rel), version.files());
    if (!loaded.file) {
      out.push_back({rel, parse::CompileError{"SyntaxError", 1, 1, loaded.error->reason}});
      continue;
    }
    const auto& error = loaded.file->compile_error();
    if (!error) continue;
    if (error->grammar_only && options.confirm_compile) {
      std::optional<parse::CompileError> cpython = options.confirm_compile(version.path_of(rel));
      if (!cpython) {
        notes.push_back(fmt::format("{}:{}: CPython compiles what tree-sitter cannot parse here; models next to it may be "
                                    "analysed incompletely", rel, error->line));
        continue;
      }
      out.push_back({rel, *cpython});
      continue;
    }
    out.push_back({rel, *error});
  }
  return out;
}

// ---- models -----------------------------------------------------------------------------------

// Everything a description of `rel`'s models depends on: the content of every file its
// construction can run, the watched (changed) ones among them, and the options.
std::string description_key(const ProjectVersion& version, const ImportGraph& graph, const std::string& rel,
                            const std::set<std::string>& changed, const std::string& extra) {
  std::string key = rel + "\n" + extra + "\n";
  for (const auto& f : graph.closure(rel)) {
    key += fmt::format("{} {}{}\n", f, version.content_id(f).value_or("?"), changed.count(f) ? " watched" : "");
  }
  return key;
}

// Paths inside the version's root, relative to it; others (the embedded catalogue) as they are.
struct Relativize {
  std::string prefix;  // "root/"
  void operator()(std::string& path) const {
    if (path.rfind(prefix, 0) == 0) path = path.substr(prefix.size());
  }
  void operator()(manifest::BranchSet& set) const {
    for (auto& b : set.branches) {
      for (auto* keys : {&b.manifest.keys, &b.manifest.non_persistent}) {
        for (auto& k : *keys) (*this)(k.origin_file);
      }
      for (auto& m : b.manifest.modules) {
        (*this)(m.origin_file);
        for (auto& r : m.created_at) (*this)(r.file);
      }
      for (auto& u : b.unresolved) (*this)(u.file);
      for (auto& r : b.executed) (*this)(r.file);
      for (auto& r : b.load_customizations) (*this)(r.file);
    }
  }
};

// One version's models of the affected files, described per configuration branch.
class VersionModels {
 public:
  VersionModels(const ProjectVersion& version, const ImportGraph& graph, const std::set<std::string>& changed,
                const ChangeOptions& options)
      : version_(version), graph_(graph), changed_(changed), options_(options), workspace_(version.files()),
        relativize_{version.root() + "/"} {
    for (const auto& rel : changed) {
      if (version.has(rel)) workspace_.watch(version.path_of(rel));
    }
  }

  std::vector<interp::ModelTarget> list(const std::string& rel, std::string* error) {
    if (!version_.has(rel)) return {};
    std::string key = description_key(version_, graph_, rel, changed_, "models");
    if (options_.cache) {
      if (auto hit = options_.cache->get("models", key)) {
        if (auto parsed = models_from_json(*hit)) {
          *error = parsed->second;
          return parsed->first;
        }
      }
    }
    std::optional<interp::PredictionError> problem;
    auto models = workspace_.list_models(version_.path_of(rel), &problem);
    if (problem) {
      relativize_(problem->file);
      *error = fmt::format("{}:{}: {}", problem->file, problem->line, problem->message);
    }
    if (options_.cache) options_.cache->put("models", key, models_to_json(models, *error));
    return models;
  }

  // load_state_dict(strict=True) of an old checkpoint into the model built as `branch`, with the
  // model's load hooks and overrides interpreted. `config` holds the arguments the model was
  // described with; the branch's witness overrides them.
  std::optional<interp::LoadSimulation> load(const std::string& rel, const std::string& name, const manifest::Branch& branch,
                                             std::vector<interp::ConfigItem> config, const manifest::KeyManifest& checkpoint) {
    for (const auto& [key, value] : branch.witness) {
      if (key.find('.') != std::string::npos) return std::nullopt;  // a config object's field
      auto same = std::find_if(config.begin(), config.end(), [&](const interp::ConfigItem& c) { return c.key == key; });
      if (same != config.end()) same->value_source = value;
      else config.push_back({key, value});
    }
    auto r = workspace_.simulate_load({version_.path_of(rel), name}, config, checkpoint);
    if (auto* sim = std::get_if<interp::LoadSimulation>(&r)) return std::move(*sim);
    return std::nullopt;
  }

  // nullopt with no `failure`: `name` is a function that does not build a model.
  std::optional<manifest::BranchSet> describe(const std::string& rel, const std::string& name,
                                             const std::vector<interp::ConfigItem>& config,
                                             std::optional<interp::PredictionError>* failure) {
    std::string options = fmt::format("{} {} {} {}", name, options_.branches, options_.limits.max_runs, options_.limits.max_branches);
    for (const auto& c : config) options += fmt::format(" {}={}", c.key, c.value_source);
    std::string key = description_key(version_, graph_, rel, changed_, options);
    if (options_.cache) {
      if (auto hit = options_.cache->get("branches", key)) {
        if (auto set = branch_set_from_json(*hit)) return set;
      }
    }
    interp::Target target{version_.path_of(rel), name};
    std::optional<manifest::BranchSet> set;
    if (options_.branches) {
      interp::BranchResult r = workspace_.branches(target, config, options_.limits);
      if (r.error) *failure = relative(*r.error);
      set = std::move(r.set);
    } else {
      interp::PredictionResult r = workspace_.predict(target, config);
      if (r.error) *failure = relative(*r.error);
      if (r.prediction) {
        set.emplace();
        set->branches.push_back({"default", "True", {}, r.prediction->manifest, r.prediction->unresolved, r.prediction->executed,
                                 r.prediction->load_customizations});
      }
    }
    if (!set) return std::nullopt;
    // What the watched modules ran when they were loaded (once per workspace) counts for every
    // model that imports them.
    for (const auto& f : graph_.closure(rel)) {
      if (!changed_.count(f)) continue;
      for (const auto& r : workspace_.executed_at_load(version_.path_of(f))) {
        for (auto& b : set->branches) b.executed.push_back(r);
      }
    }
    relativize_(*set);
    if (options_.cache) options_.cache->put("branches", key, branch_set_to_json(*set));
    return set;
  }

 private:
  std::optional<interp::PredictionError> relative(interp::PredictionError e) const {
    if (e.not_a_model) return std::nullopt;
    relativize_(e.file);
    return e;
  }

  const ProjectVersion& version_;
  const ImportGraph& graph_;
  const std::set<std::string>& changed_;
  const ChangeOptions& options_;
  interp::Workspace workspace_;
  Relativize relativize_;
};

struct Listed {
  std::string file;
  interp::ModelTarget model;
};

// Models present in both versions: the same file and name first; a model that moved between
// files is matched by a name unique on both sides.
std::vector<std::pair<Listed, Listed>> match_models(const std::vector<Listed>& old_models, const std::vector<Listed>& new_models) {
  std::vector<std::pair<Listed, Listed>> pairs;
  for (const auto& n : new_models) {
    auto same = std::find_if(old_models.begin(), old_models.end(),
                             [&](const Listed& o) { return o.file == n.file && o.model.name == n.model.name; });
    if (same == old_models.end()) {
      auto named = [&](const Listed& m) { return m.model.name == n.model.name; };
      if (std::count_if(old_models.begin(), old_models.end(), named) == 1 &&
          std::count_if(new_models.begin(), new_models.end(), named) == 1) {
        same = std::find_if(old_models.begin(), old_models.end(), named);
      }
    }
    if (same != old_models.end()) pairs.emplace_back(*same, n);
  }
  return pairs;
}

// ---- findings -----------------------------------------------------------------------------------

const manifest::Branch* branch_named(const manifest::BranchSet& set, const std::string& id) {
  for (const auto& b : set.branches) {
    if (b.id == id) return &b;
  }
  return nullptr;
}

// A checkpoint of the old version with the remap applied (module paths too, for _metadata).
manifest::KeyManifest renamed(const manifest::KeyManifest& old, const std::vector<compare::RemapRule>& rules) {
  manifest::KeyManifest out = old;
  for (auto& k : out.keys) k.name = compare::apply_rules(rules, k.name);
  for (auto& m : out.modules) {
    std::string path = compare::apply_rules(rules, m.path + ".");
    m.path = path.empty() ? path : path.substr(0, path.size() - 1);
  }
  return out;
}

// A remap is offered as the fix only where it makes the old checkpoint load; elsewhere the
// finding says what still fails after it.
void check_remaps(std::vector<diag::Diagnostic>& findings, const manifest::BranchSet& old_set, const manifest::BranchSet& new_set) {
  std::map<std::string, std::map<std::string, std::string>> by_branch;
  for (const auto& f : findings) {
    if (!f.data.contains("remap")) continue;
    for (auto& [k, v] : f.data["remap"].items()) by_branch[f.data.value("branch", "default")][k] = v.get<std::string>();
  }
  for (auto& [branch, remap] : by_branch) {
    const manifest::Branch* old_b = branch_named(old_set, branch);
    const manifest::Branch* new_b = branch_named(new_set, branch);
    if (!old_b || !new_b) continue;
    compare::LoadReport after = compare::simulate_load(renamed(old_b->manifest, compare::compact_rules(remap)), new_b->manifest);
    for (auto& f : findings) {
      if (!f.data.contains("remap") || f.data.value("branch", "default") != branch) continue;
      f.data["remap_loads"] = after.compatible();
      if (!after.compatible()) {
        std::string rest = after.pytorch_error->substr(after.pytorch_error->find("\n\t") + 2);
        f.help = "remapping the moved keys is not enough: " + rest.substr(0, rest.find('\n'));
      }
    }
  }
}

// Findings that the new code's own migration answers: a load_state_dict hook or a
// _load_from_state_dict override, interpreted over the old checkpoint's keys, makes it load.
void apply_migrations(std::vector<diag::Diagnostic>& findings, const manifest::BranchSet& old_set, const manifest::BranchSet& new_set,
                      const std::string& display,
                      const std::function<std::optional<interp::LoadSimulation>(const manifest::Branch&, const manifest::KeyManifest&)>& load,
                      std::vector<std::string>& notes) {
  std::set<std::string> branches;
  for (const auto& f : findings) {
    if (f.severity == diag::Severity::error) branches.insert(f.data.value("branch", "default"));
  }
  for (const auto& branch : branches) {
    const manifest::Branch* old_b = branch_named(old_set, branch);
    const manifest::Branch* new_b = branch_named(new_set, branch);
    if (!old_b || !new_b || new_b->load_customizations.empty()) continue;
    std::optional<interp::LoadSimulation> sim = load(*new_b, old_b->manifest);
    if (!sim) continue;
    const manifest::SourceRange& where = new_b->load_customizations.front();
    if (sim->compatible()) {
      findings.erase(std::remove_if(findings.begin(), findings.end(),
                                    [&](const diag::Diagnostic& f) { return f.data.value("branch", "default") == branch; }),
                     findings.end());
      notes.push_back(fmt::format("{}{}: checkpoints saved before this change load through the migration at {}:{}", display,
                                  branch == "default" ? "" : " [" + branch + "]", where.file, where.line));
      continue;
    }
    for (auto& f : findings) {
      if (f.data.value("branch", "default") != branch) continue;
      f.data["after_migration"] = *sim->pytorch_error;
      f.help = fmt::format("the migration at {}:{} does not make old checkpoints load: {}", where.file, where.line,
                           sim->messages.empty() ? *sim->pytorch_error : sim->messages.front());
    }
  }
}

// One finding per edit: the same code caused by the same edited line, whatever models and
// branches show it, is one finding listing them.
std::vector<diag::Diagnostic> group_by_edit(std::vector<diag::Diagnostic> findings) {
  std::vector<diag::Diagnostic> out;
  std::map<std::string, std::size_t> index;
  std::vector<std::vector<std::string>> more_layers;  // per grouped finding: other layers it covers
  for (auto& f : findings) {
    std::string edit = f.data.contains("edit") ? f.data["edit"].dump() : f.data.value("old_edit", nlohmann::ordered_json()).dump();
    std::string key = fmt::format("{}|{}|{}:{}", f.code, edit, f.span.file, f.span.line);
    std::string target = f.data.value("target", "");
    std::string branch = f.data.value("branch", "default");
    // Branch findings name their target as MODEL[branch]; the grouped finding maps MODEL to branches.
    if (std::string suffix = "[" + branch + "]"; target.size() > suffix.size() && target.compare(target.size() - suffix.size(), suffix.size(), suffix) == 0) {
      target.resize(target.size() - suffix.size());
    }
    std::string layer = f.data.value("new", nlohmann::ordered_json()).is_string() ? f.data["new"].get<std::string>()
                        : f.data.value("old", nlohmann::ordered_json()).is_string() ? f.data["old"].get<std::string>() : "";
    auto it = index.find(key);
    if (it == index.end()) {
      index.emplace(key, out.size());
      f.data["models"] = nlohmann::ordered_json::object();
      f.data["models"][target] = nlohmann::ordered_json::array({branch});
      f.data["layers"] = nlohmann::ordered_json::array({layer});
      out.push_back(std::move(f));
      more_layers.emplace_back();
      continue;
    }
    diag::Diagnostic& first = out[it->second];
    auto& branches = first.data["models"][target];
    if (std::find(branches.begin(), branches.end(), branch) == branches.end()) branches.push_back(branch);
    auto& layers = first.data["layers"];
    if (!layer.empty() && std::find(layers.begin(), layers.end(), layer) == layers.end()) {
      layers.push_back(layer);
      more_layers[it->second].push_back(layer);
    }
    for (const char* field : {"remap", "old_keys", "new_keys", "keys"}) {
      if (!f.data.contains(field)) continue;
      if (f.data[field].is_object()) {
        for (auto& [k, v] : f.data[field].items()) first.data[field][k] = v;
      } else {
        for (auto& k : f.data[field]) {
          if (std::find(first.data[field].begin(), first.data[field].end(), k) == first.data[field].end()) first.data[field].push_back(k);
        }
      }
    }
  }
  for (std::size_t i = 0; i < out.size(); ++i) {
    diag::Diagnostic& f = out[i];
    // One edit that changes several layers: the message names them.
    const auto& more = more_layers[i];
    if (!more.empty()) {
      std::size_t shown = std::min<std::size_t>(more.size(), 4);
      std::vector<std::string> names;
      for (std::size_t k = 0; k < shown; ++k) names.push_back("`" + more[k] + "`");
      f.message += fmt::format("; the same edit also changes {}{}", fmt::join(names, ", "),
                               more.size() > shown ? fmt::format(" and {} more layer{}", more.size() - shown, more.size() - shown == 1 ? "" : "s") : std::string());
    }
    // Which checkpoints break: the models, with their branches when not only the default one.
    std::vector<std::string> shown_models;
    for (auto& [model, branches] : f.data["models"].items()) {
      std::vector<std::string> ids;
      for (auto& b : branches) ids.push_back(b.get<std::string>());
      bool only_default = ids.size() == 1 && ids[0] == "default";
      shown_models.push_back(only_default ? model : fmt::format("{} [{}]", model, fmt::join(ids, ", ")));
    }
    std::size_t listed = std::min<std::size_t>(shown_models.size(), 3);
    std::string who = fmt::format("{}", fmt::join(shown_models.begin(), shown_models.begin() + static_cast<std::ptrdiff_t>(listed), "; "));
    if (shown_models.size() > listed) who += fmt::format(" and {} more", shown_models.size() - listed);
    f.data["breaks"] = who;
    f.data["target"] = f.data["models"].begin().key();
  }
  return out;
}

// The finding's span covers its line's statement text (from the first non-blank character).
void widen_span(diag::Diagnostic& d, const std::string& line_text) {
  std::size_t first = line_text.find_first_not_of(" \t");
  std::size_t last = line_text.find_last_not_of(" \t\r");
  if (first == std::string::npos) return;
  d.span.column = static_cast<int>(first) + 1;
  d.span.end_line = d.span.line;
  d.span.end_column = static_cast<int>(last) + 2;
}

std::string line_of(const std::string& text, int line) {
  std::size_t start = 0;
  for (int i = 1; i < line && start != std::string::npos; ++i) {
    start = text.find('\n', start);
    if (start != std::string::npos) ++start;
  }
  if (start == std::string::npos || start > text.size()) return {};
  std::size_t end = text.find('\n', start);
  return text.substr(start, end == std::string::npos ? std::string::npos : end - start);
}

std::string failure_text(const interp::PredictionError& e) {
  return e.line > 0 ? fmt::format("{}:{}: {}", e.file, e.line, e.message) : fmt::format("{}: {}", e.file, e.message);
}

// CKG110: a model that built before the change and cannot be built now. It points at the line
// that failed when that line is in a changed file (the edit), else at the model.
diag::Diagnostic not_buildable(const std::string& display, const std::string& file, int line,
                               const interp::PredictionError& failure, const std::set<std::string>& changed) {
  diag::Diagnostic d;
  d.code = "CKG110";
  d.name = "model-not-buildable";
  d.severity = diag::Severity::error;
  const bool at_edit = failure.line > 0 && changed.count(failure.file);
  d.span = at_edit ? diag::Span{failure.file, failure.line, 1} : diag::Span{file, line, 1};
  d.message = fmt::format("{} (it built before this change)", failure.message);
  d.help = "its checkpoints cannot be checked against this version. If the constructor really fails, fix it; if "
           "ckptguard cannot follow it, give its arguments in [tool.ckptguard.configs] or suppress with "
           "`# noqa: CKG110`";
  d.data["target"] = display;
  d.data["failure"] = failure_text(failure);
  if (at_edit) d.data["edit"] = {{"file", failure.file}, {"line", failure.line}};
  return d;
}

}  // namespace

ChangeReport analyze_change(const ProjectVersion& old_version, const ProjectVersion& new_version,
                            const std::vector<std::string>& changed, const ChangeOptions& options) {
  ChangeReport report;
  report.changed_files = changed;
  report.broken = broken_files(new_version, changed, options, report.notes);
  if (!report.broken.empty()) return report;

  AnalysisCache no_cache;
  AnalysisCache& cache = options.cache ? *options.cache : no_cache;
  ImportGraph graph(old_version, new_version, cache);
  std::set<std::string> changed_set(changed.begin(), changed.end());
  std::set<std::string> affected = graph.importers(changed_set);
  report.affected_files = static_cast<int>(affected.size());

  VersionModels old_models(old_version, graph, changed_set, options);
  VersionModels new_models(new_version, graph, changed_set, options);
  std::vector<Listed> old_list, new_list;
  for (const auto& rel : affected) {
    std::string old_error, new_error;
    for (auto& m : old_models.list(rel, &old_error)) old_list.push_back({rel, std::move(m)});
    for (auto& m : new_models.list(rel, &new_error)) new_list.push_back({rel, std::move(m)});
    if (!new_error.empty()) report.notes.push_back(new_error);
  }

  FileEdits edits(old_version, new_version, changed);
  std::vector<diag::Diagnostic> findings;
  std::vector<std::string> need_arguments;
  for (auto& [o, n] : match_models(old_list, new_list)) {
    std::string display = fmt::format("{}::{}", n.file, n.model.name);
    std::vector<interp::ConfigItem> config = options.model_config ? options.model_config(n.file, n.model.name)
                                                                  : std::vector<interp::ConfigItem>{};
    std::vector<std::string> missing;
    for (const auto& r : n.model.required) {
      if (std::none_of(config.begin(), config.end(), [&](const interp::ConfigItem& c) { return c.key == r; })) missing.push_back(r);
    }
    if (!missing.empty()) {
      need_arguments.push_back(fmt::format("{} ({})", display, fmt::join(missing, ", ")));
      report.not_compared.push_back(display);
      continue;
    }
    std::optional<interp::PredictionError> old_failure, new_failure;
    auto old_set = old_models.describe(o.file, o.model.name, config, &old_failure);
    auto new_set = new_models.describe(n.file, n.model.name, config, &new_failure);
    if (!old_set || !new_set) {
      const std::optional<interp::PredictionError>& why = !new_set ? new_failure : old_failure;
      if (!why) continue;  // a function that is not a model builder
      if (old_set) {
        // It built before the change and does not now: its checkpoints can no longer be checked,
        // and if the constructor really raises, nothing loads them.
        findings.push_back(not_buildable(display, n.file, n.model.line, *why, changed_set));
      } else {
        report.notes.push_back(fmt::format("{} skipped: it could not be built statically ({} version: {})", display,
                                           !new_set ? "new" : "old", failure_text(*why)));
      }
      report.not_compared.push_back(display);
      continue;
    }
    compare::ModelDiff diff = compare::diff_branches(display, *old_set, *new_set, n.file, n.model.line);
    check_remaps(diff.findings, *old_set, *new_set);
    apply_migrations(diff.findings, *old_set, *new_set, display, [&](const manifest::Branch& b, const manifest::KeyManifest& ckpt) {
      return new_models.load(n.file, n.model.name, b, config, ckpt);
    }, report.notes);
    std::set<std::string> through;
    for (const auto& f : graph.closure(n.file)) {
      if (changed_set.count(f)) through.insert(f);
    }
    for (auto& f : diff.findings) {
      attribute_edit(f, *old_set, *new_set, edits, through, n.file, n.model.line);
      findings.push_back(std::move(f));
    }
    for (const manifest::BranchSet* set : {&*new_set, &*old_set}) {
      std::vector<manifest::Unresolved> why = manifest::incompleteness(*set);
      if (why.empty()) continue;
      report.incomplete.emplace_back(display, fmt::format("{}:{}: {}", why.front().file, why.front().line, why.front().reason));
      break;
    }
    report.models.push_back({n.file, n.model.name, n.model.line, std::move(*old_set), std::move(*new_set),
                             {through.begin(), through.end()}});
  }
  if (!report.incomplete.empty()) {
    std::size_t shown = std::min<std::size_t>(report.incomplete.size(), 5);
    std::vector<std::string> listed;
    for (std::size_t k = 0; k < shown; ++k) listed.push_back(fmt::format("{} ({})", report.incomplete[k].first, report.incomplete[k].second));
    report.notes.push_back(fmt::format(
        "{} compared model{} {} predicted incompletely, so a change there can go unseen: {}{}", report.incomplete.size(),
        report.incomplete.size() == 1 ? "" : "s", report.incomplete.size() == 1 ? "is" : "are", fmt::join(listed, "; "),
        report.incomplete.size() > shown ? fmt::format(" and {} more", report.incomplete.size() - shown) : std::string()));
  }

  if (!need_arguments.empty()) {
    std::size_t shown = std::min<std::size_t>(need_arguments.size(), 5);
    report.notes.push_back(fmt::format(
        "{} model{} the change can reach need constructor arguments and were not compared (configure them in "
        "[tool.ckptguard.configs]): {}{}", need_arguments.size(),
        need_arguments.size() == 1 ? "" : "s", fmt::join(need_arguments.begin(), need_arguments.begin() + static_cast<std::ptrdiff_t>(shown), "; "),
        need_arguments.size() > shown ? fmt::format(" and {} more", need_arguments.size() - shown) : std::string()));
  }

  // Suppressed findings drop out before remaps are collected: a silenced edit gets no migration.
  std::map<std::string, std::unique_ptr<diag::Suppressions>> suppressions;
  std::map<std::string, std::shared_ptr<const parse::SourceFile>> sources;
  auto source = [&](const std::string& rel) -> const parse::SourceFile* {
    auto it = sources.find(rel);
    if (it == sources.end()) {
      parse::LoadResult loaded = new_version.has(rel) ? parse::load_source(new_version.path_of(rel), new_version.files())
                                                      : parse::LoadResult{};
      it = sources.emplace(rel, loaded.file).first;
    }
    return it->second.get();
  };
  auto silenced = [&](const diag::Diagnostic& d) {
    if (options.enabled && !options.enabled(d.code, d.span.file)) return true;
    const parse::SourceFile* file = source(d.span.file);
    if (!file) return false;
    auto& s = suppressions[d.span.file];
    if (!s) s = std::make_unique<diag::Suppressions>(*file);
    return s->silences(d);
  };
  findings.erase(std::remove_if(findings.begin(), findings.end(), silenced), findings.end());
  report.findings = group_by_edit(std::move(findings));
  for (auto& d : report.findings) {
    if (const parse::SourceFile* file = source(d.span.file)) widen_span(d, line_of(file->text(), d.span.line));
    if (d.data.contains("remap")) {
      for (auto& [k, v] : d.data["remap"].items()) report.remap.emplace(k, v.get<std::string>());
    }
  }
  report.remap_rules = compare::compact_rules(report.remap);
  std::stable_sort(report.findings.begin(), report.findings.end(), [](const auto& a, const auto& b) {
    return std::tie(a.span.file, a.span.line, a.code) < std::tie(b.span.file, b.span.line, b.code);
  });
  return report;
}

}  // namespace ckg::changes
