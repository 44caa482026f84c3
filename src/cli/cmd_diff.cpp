// `ckptguard diff OLD.py NEW.py` and `ckptguard diff --base REV [--staged] [PATHS...]`:
// every edit that breaks loading checkpoints saved with the old code, with the remap that fixes it.
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include <fmt/format.h>

#include "cli/arguments.h"
#include "cli/commands.h"
#include "cli/process.h"
#include "compare/model_diff.h"
#include "index/project_index.h"
#include "interp/branches.h"
#include "interp/predict.h"
#include "interp/workspace.h"
#include "report/diff_report.h"

namespace ckg::cli {

namespace fs = std::filesystem;

namespace {

const char* const kDiffUsage =
    "usage: ckptguard diff OLD.py NEW.py [--format text|json] [--ignore CODES] [--no-branches]\n"
    "       ckptguard diff --base REV [--staged] [PATHS...] [--format text|json] [--ignore CODES] [--no-branches]\n"
    "  Report model edits that break loading checkpoints saved with the old code, with the key remap\n"
    "  and migration that fix them. Exit 0 no breaking change, 1 breaking changes, 2 usage or input error.\n";

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

int run_diff(const std::vector<std::string>& argv, Io io) {
  std::string error;
  auto args = parse_args(argv, ArgSpec{{"--base", "--format", "--ignore"}, {"--staged", "--no-branches"}}, &error);
  if (args && args->flags.count("--help")) {
    io.out << kDiffUsage;
    return kExitOk;
  }
  std::optional<std::string> format;
  if (args) format = output_format(*args, {"text", "json"}, &error);
  std::optional<std::string> base = args ? args->last("--base") : std::nullopt;
  if (error.empty() && !base && args->positional.size() != 2) error = "expected OLD.py NEW.py, or --base REV [PATHS...]";
  if (error.empty() && !base && args->flags.count("--staged")) error = "--staged needs --base REV";
  if (!error.empty()) {
    io.err << "ckptguard diff: " << error << "\n";
    return kExitUsage;
  }
  std::set<std::string> ignored;
  for (const auto& spec : args->options["--ignore"]) {
    std::stringstream s(spec);
    for (std::string code; std::getline(s, code, ',');) ignored.insert(code);
  }

  Versions v;
  TempDir old_tree, new_tree;
  interp::Workspace workspace;  // one interpreter per project version, shared by every model
  std::string top;  // the git work tree, in --base mode
  if (!base) {
    for (const auto& f : args->positional) {
      if (!fs::is_regular_file(f)) {
        io.err << fmt::format("{}: no such file\n", f);
        return kExitUsage;
      }
    }
    collect(workspace, args->positional[0], args->positional[0], v.old_models, v);
    collect(workspace, args->positional[1], args->positional[1], v.new_models, v);
    v.display_to_disk[args->positional[1]] = args->positional[1];
  } else {
    ProcessResult top_r = run_process({"git", "rev-parse", "--show-toplevel"});
    if (top_r.exit_code != 0) {
      io.err << "ckptguard diff: not inside a git repository\n";
      return kExitUsage;
    }
    top = top_r.out.substr(0, top_r.out.find('\n'));
    if (run_process({"git", "rev-parse", "--verify", "--quiet", *base + "^{commit}"}, top).exit_code != 0) {
      io.err << fmt::format("ckptguard diff: unknown revision '{}'\n", *base);
      return kExitUsage;
    }
    bool staged = args->flags.count("--staged") != 0;
    std::vector<std::string> diff_args = {"git", "diff", "--name-only", "--no-renames"};
    if (staged) diff_args.push_back("--cached");
    diff_args.push_back(*base);
    diff_args.push_back("--");
    for (const auto& p : args->positional) diff_args.push_back(fs::absolute(p).string());
    ProcessResult changed = run_process(diff_args);
    if (changed.exit_code != 0) {
      io.err << "ckptguard diff: git diff failed: " << changed.err.substr(0, changed.err.find('\n')) << "\n";
      return kExitUsage;
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
        io.err << "ckptguard diff: cannot read the index (git write-tree failed)\n";
        return kExitUsage;
      }
      new_ref = tree.out.substr(0, tree.out.find('\n'));
    }
    std::set<std::string> dirs;
    for (const auto& f : files) dirs.insert(context_dir(top, f));
    for (const auto& d : dirs) {
      extract(top, *base, d, old_tree.path());  // a directory new in this change has no old version
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
    }
  }

  // Match models by name across all changed files (a class may move between files); models that
  // need constructor arguments are listed as skipped.
  report::DiffReport report;
  report.notes = v.notes;
  bool branches = args->flags.count("--no-branches") == 0;
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

  // Suppressions: --ignore CODES and `# ckptguard: ignore[CODE]` on the reported line.
  auto suppressed = [&](const diag::Diagnostic& d) {
    if (ignored.count(d.code)) return true;
    auto disk = v.display_to_disk.find(d.span.file);
    std::string text = line_of(disk != v.display_to_disk.end() ? disk->second : d.span.file, d.span.line);
    auto pos = text.find("# ckptguard: ignore");
    if (pos == std::string::npos) return false;
    auto open = text.find('[', pos);
    if (open == std::string::npos || open > pos + 20) return true;  // a blanket ignore
    return text.find(d.code, open) != std::string::npos;
  };
  report.findings.erase(std::remove_if(report.findings.begin(), report.findings.end(), suppressed), report.findings.end());

  if (*format == "json") {
    io.out << report::diff_to_json(report).dump(2) << "\n";
  } else {
    io.out << report::render_diff_text(report, [&](const std::string& file, int line) {
      auto disk = v.display_to_disk.find(file);
      return line_of(disk != v.display_to_disk.end() ? disk->second : file, line);
    });
  }
  bool breaking = std::any_of(report.findings.begin(), report.findings.end(), [](auto& d) { return d.severity == diag::Severity::error; });
  return breaking ? kExitFindings : kExitOk;
}

}  // namespace ckg::cli
