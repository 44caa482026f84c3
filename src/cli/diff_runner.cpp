// The model-edit diff runner (see diff_runner.h).
#include "cli/diff_runner.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include <fmt/format.h>

#include "cli/process.h"
#include "config/lint_config.h"
#include "compare/model_diff.h"
#include "index/project_index.h"
#include "interp/workspace.h"

namespace ckg::cli {

namespace fs = std::filesystem;

namespace {

// One model in one version: where it is defined and what it builds.
struct Model {
  std::string file;     // path on disk (possibly in a temporary tree)
  std::string display;  // path shown to people
  interp::ModelTarget target;
};

struct Versions {
  std::vector<Model> old_models, new_models;
  std::map<std::string, std::string> display_to_disk;  // for source lines of findings
  std::vector<std::string> notes;
};

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string line_of(const std::string& path, int line) {
  std::istringstream in(read_file(path));
  std::string text;
  for (int i = 1; std::getline(in, text); ++i) {
    if (i == line) return text;
  }
  return {};
}

void collect(interp::Workspace& workspace, const std::string& disk, const std::string& display, std::vector<Model>& out,
             Versions& versions) {
  std::optional<interp::PredictionError> error;
  for (auto& t : workspace.list_models(disk, &error)) out.push_back({disk, display, t});
  if (error) versions.notes.push_back(fmt::format("{}:{}: {}", display, error->line, error->message));
}

// The directory a changed file needs around it: its top-level package, or its own directory.
std::string context_dir(const std::string& top, const std::string& rel) {
  index::ModulePath where = index::locate_module((fs::path(top) / rel).string());
  fs::path root = fs::relative(where.root, top);
  if (where.dotted_name.find('.') != std::string::npos || where.is_package) {
    return (root / where.dotted_name.substr(0, where.dotted_name.find('.'))).lexically_normal().string();
  }
  return fs::path(rel).parent_path().string();
}

bool extract(const std::string& top, const std::string& tree, const std::string& dir, const std::string& into) {
  std::string tar = (fs::path(into) / ".ckptguard.tar").string();
  std::vector<std::string> argv = {"git", "archive", "--format=tar", "-o", tar, tree, "--"};
  argv.push_back(dir.empty() ? "." : dir);
  if (run_process(argv, top).exit_code != 0) return false;
  bool ok = run_process({"tar", "-xf", tar, "-C", into}).exit_code == 0;
  fs::remove(tar);
  return ok;
}

}  // namespace

DiffOutcome run_model_diff(const DiffRequest& request) {
  DiffOutcome outcome;
  auto trees = std::make_shared<std::pair<TempDir, TempDir>>();
  outcome.keep_alive = trees;
  TempDir& old_tree = trees->first;
  TempDir& new_tree = trees->second;
  Versions v;
  interp::Workspace workspace;  // one interpreter per project version, shared by every model
  std::string top;  // the git work tree, in --base mode
  if (!request.base) {
    for (const auto& f : {request.old_file, request.new_file}) {
      if (!fs::is_regular_file(f)) {
        outcome.error = fmt::format("{}: no such file", f);
        return outcome;
      }
    }
    collect(workspace, request.old_file, request.old_file, v.old_models, v);
    collect(workspace, request.new_file, request.new_file, v.new_models, v);
    v.display_to_disk[request.new_file] = request.new_file;
    outcome.changed_files.push_back(request.new_file);
  } else {
    const std::string& base = *request.base;
    ProcessResult top_r = run_process({"git", "rev-parse", "--show-toplevel"});
    if (top_r.exit_code != 0) {
      outcome.error = "ckptguard diff: not inside a git repository";
      return outcome;
    }
    top = top_r.out.substr(0, top_r.out.find('\n'));
    if (run_process({"git", "rev-parse", "--verify", "--quiet", base + "^{commit}"}, top).exit_code != 0) {
      outcome.error = fmt::format("ckptguard diff: unknown revision '{}'", base);
      return outcome;
    }
    bool staged = request.staged;
    std::vector<std::string> diff_args = {"git", "diff", "--name-only", "--no-renames"};
    if (staged) diff_args.push_back("--cached");
    diff_args.push_back(base);
    diff_args.push_back("--");
    for (const auto& p : request.paths) diff_args.push_back(fs::absolute(p).string());
    ProcessResult changed = run_process(diff_args);
    if (changed.exit_code != 0) {
      outcome.error = "ckptguard diff: git diff failed: " + changed.err.substr(0, changed.err.find('\n'));
      return outcome;
    }
    std::vector<std::string> files;
    std::istringstream lines(changed.out);
    for (std::string f; std::getline(lines, f);) {
      if (f.size() > 3 && f.compare(f.size() - 3, 3, ".py") == 0) files.push_back(f);
    }
    std::string new_ref;
    if (staged) {
      ProcessResult tree = run_process({"git", "write-tree"}, top);
      if (tree.exit_code != 0) {
        outcome.error = "ckptguard diff: cannot read the index (git write-tree failed)";
        return outcome;
      }
      new_ref = tree.out.substr(0, tree.out.find('\n'));
    }
    std::set<std::string> dirs;
    for (const auto& f : files) dirs.insert(context_dir(top, f));
    for (const auto& d : dirs) {
      extract(top, base, d, old_tree.path());  // a directory new in this change has no old version
      if (staged) extract(top, new_ref, d, new_tree.path());
    }
    for (const auto& f : files) {
      std::string old_disk = (fs::path(old_tree.path()) / f).string();
      std::string new_disk = staged ? (fs::path(new_tree.path()) / f).string() : (fs::path(top) / f).string();
      if (fs::is_regular_file(old_disk)) collect(workspace, old_disk, f, v.old_models, v);
      if (fs::is_regular_file(new_disk)) {
        collect(workspace, new_disk, f, v.new_models, v);
        v.display_to_disk[f] = new_disk;
      }
      outcome.changed_files.push_back(f);
    }
  }

  // Match models by name across all changed files (a class may move between files); models that
  // need constructor arguments are listed as skipped.
  report::DiffReport& report = outcome.report;
  report.notes = v.notes;
  bool branches = request.branches;
  std::vector<std::pair<const Model*, const Model*>> pairs;
  for (const auto& n : v.new_models) {
    // The same file first; a model that moved between files is matched by a unique name.
    auto old = std::find_if(v.old_models.begin(), v.old_models.end(),
                            [&](auto& o) { return o.display == n.display && o.target.name == n.target.name; });
    if (old == v.old_models.end()) {
      auto named = [&](auto& m) { return m.target.name == n.target.name; };
      bool unique = std::count_if(v.old_models.begin(), v.old_models.end(), named) == 1 &&
                    std::count_if(v.new_models.begin(), v.new_models.end(), named) == 1;
      if (unique) old = std::find_if(v.old_models.begin(), v.old_models.end(), named);
    }
    if (old == v.old_models.end()) continue;
    if (!n.target.required.empty()) {
      report.notes.push_back(fmt::format("{}::{} skipped: needs arguments without defaults ({})", n.display, n.target.name,
                                         fmt::join(n.target.required, ", ")));
      continue;
    }
    pairs.emplace_back(&*old, &n);
  }
  // Each side in one batch: a project's modules load once for all its models.
  auto describe = [&](bool old_side) {
    std::vector<std::optional<manifest::BranchSet>> sets;
    for (auto& [o, n] : pairs) {
      interp::Target target{(old_side ? o : n)->file, n->target.name};
      if (branches) {
        // A commit hook must stay fast: a smaller exploration budget than `branches` uses.
        interp::BranchLimits limits;
        limits.max_runs = 128;
        limits.max_branches = 64;
        sets.push_back(workspace.branches(target, {}, limits).set);
        continue;
      }
      auto r = workspace.predict(target, {});
      if (!r.prediction) { sets.emplace_back(); continue; }
      manifest::BranchSet set;
      set.branches.push_back({"default", "True", {}, r.prediction->manifest, r.prediction->unresolved});
      sets.push_back(std::move(set));
    }
    return sets;
  };
  auto old_sets = describe(true), new_sets = describe(false);
  // The same edit seen through several models (e.g. every builder of one class) is one finding.
  std::map<std::string, std::size_t> first_seen;
  for (std::size_t i = 0; i < pairs.size(); ++i) {
    const Model& n = *pairs[i].second;
    if (!old_sets[i] || !new_sets[i]) {
      report.notes.push_back(fmt::format("{}::{} skipped: it could not be built statically", n.display, n.target.name));
      continue;
    }
    compare::ModelDiff d = compare::diff_branches(fmt::format("{}::{}", n.display, n.target.name), *old_sets[i], *new_sets[i], n.file, n.target.line);
    outcome.models.push_back({fmt::format("{}::{}", n.display, n.target.name), n.display, n.target.line, *old_sets[i], *new_sets[i]});
    for (auto& f : d.findings) {
      if (f.span.file.empty() || f.span.line == 0) f.span = {n.file, n.target.line, 1, n.target.line, 1};
      if (f.span.file == n.file) f.span.file = n.display;
      else if (f.span.file.rfind(new_tree.path(), 0) == 0) f.span.file = fs::relative(f.span.file, new_tree.path()).string();
      else if (!top.empty() && f.span.file.rfind(top + "/", 0) == 0) f.span.file = fs::relative(f.span.file, top).string();
      std::string key = fmt::format("{}|{}|{}:{}", f.code, f.message, f.span.file, f.span.line);
      auto seen = first_seen.find(key);
      if (seen != first_seen.end()) {
        report.findings[seen->second].data["also"].push_back(f.data["target"]);
        continue;
      }
      first_seen.emplace(key, report.findings.size());
      report.findings.push_back(std::move(f));
    }
    for (auto& [k, val] : d.remap) report.remap.emplace(k, val);
  }

  // Suppressions: --ignore CODES, `ignore` / `per-file-ignores` of the closest pyproject.toml
  // with a [tool.ckptguard] table, and `# ckptguard: ignore[CODE]` on the reported line.
  std::map<std::string, std::shared_ptr<config::RuleSelection>> selections;
  auto config_ignores = [&](const diag::Diagnostic& d) {
    fs::path shown = top.empty() ? fs::path(d.span.file) : fs::path(top) / d.span.file;
    std::error_code ec;
    std::string dir = fs::absolute(shown, ec).parent_path().string();
    auto it = selections.find(dir);
    if (it == selections.end()) {
      config::ConfigResult found = config::find_config(dir);
      std::shared_ptr<config::RuleSelection> selection;
      if (found.config) {
        config::LintConfig c = *found.config;
        c.select = std::vector<std::string>{"CKG1", "CKG2"};  // every diff rule, less what the file ignores
        c.extend_select.clear();
        selection = std::make_shared<config::RuleSelection>(c, config::SelectionOverrides{}, std::vector<std::string>{});
      }
      it = selections.emplace(dir, selection).first;
    }
    if (!it->second) return false;
    std::string relative = fs::absolute(shown, ec).lexically_normal().lexically_relative(it->second->config().root).string();
    return !it->second->enabled(d.code, relative);
  };
  auto suppressed = [&](const diag::Diagnostic& d) {
    if (request.ignored.count(d.code) || config_ignores(d)) return true;
    auto disk = v.display_to_disk.find(d.span.file);
    std::string text = line_of(disk != v.display_to_disk.end() ? disk->second : d.span.file, d.span.line);
    auto pos = text.find("# ckptguard: ignore");
    if (pos == std::string::npos) return false;
    auto open = text.find('[', pos);
    if (open == std::string::npos || open > pos + 20) return true;  // a blanket ignore
    return text.find(d.code, open) != std::string::npos;
  };
  report.findings.erase(std::remove_if(report.findings.begin(), report.findings.end(), suppressed), report.findings.end());
  // The span covers the statement's text on its line (from its first non-blank character).
  for (auto& d : report.findings) {
    auto disk = v.display_to_disk.find(d.span.file);
    std::string text = line_of(disk != v.display_to_disk.end() ? disk->second : d.span.file, d.span.line);
    std::size_t first = text.find_first_not_of(" \t");
    std::size_t last = text.find_last_not_of(" \t\r");
    if (first == std::string::npos) continue;
    d.span.column = static_cast<int>(first) + 1;
    d.span.end_line = d.span.line;
    d.span.end_column = static_cast<int>(last) + 2;
  }

  outcome.source_line = [display_to_disk = v.display_to_disk, trees](const std::string& file, int line) {
    auto disk = display_to_disk.find(file);
    return line_of(disk != display_to_disk.end() ? disk->second : file, line);
  };
  outcome.source_text = [display_to_disk = v.display_to_disk, trees](const std::string& file) {
    auto disk = display_to_disk.find(file);
    return read_file(disk != display_to_disk.end() ? disk->second : file);
  };
  return outcome;
}

}  // namespace ckg::cli
