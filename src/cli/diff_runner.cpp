// The model-edit diff runner (see diff_runner.h).
#include "cli/diff_runner.h"

#include <cstdlib>
#include <filesystem>
#include <map>

#include <dlfcn.h>
#include <fmt/format.h>
#include <sys/stat.h>

#include "changes/configured_classes.h"
#include "changes/content_id.h"
#include "cli/git_versions.h"
#include "cli/process.h"
#include "config/lint_config.h"
#include "diagnostics/codes.h"
#include "index/project_index.h"

namespace ckg::cli {

namespace fs = std::filesystem;

namespace {

// The cache is keyed by the build of ckptguard that wrote it: its version and the identity of the
// binary holding this code (a rebuilt binary never reads an older build's entries).
std::string tool_build_id() {
  Dl_info info{};
  struct stat st {};
  std::string id = "ckptguard " CKPTGUARD_VERSION;
  if (dladdr(reinterpret_cast<void*>(&tool_build_id), &info) && info.dli_fname && ::stat(info.dli_fname, &st) == 0) {
    id += fmt::format(" {} {} {}", info.dli_fname, st.st_size, st.st_mtim.tv_sec * 1'000'000'000LL + st.st_mtim.tv_nsec);
  }
  return id;
}

std::string cache_dir(const std::string& top) {
  if (const char* env = std::getenv("CKPTGUARD_CACHE_DIR"); env && *env) return env;
  return (fs::path(top) / ".ckptguard_cache").string();
}

// CPython's verdict on a file tree-sitter alone rejected (the grammar has gaps): the file's bytes
// are compiled, never run, by the `python3` on PATH (or $CKPTGUARD_PYTHON). Without one, ours stands.
std::optional<parse::CompileError> ask_cpython(const std::string& path, const std::string& bytes, const parse::CompileError& ours) {
  const char* python = std::getenv("CKPTGUARD_PYTHON");
  static const char* const kScript =
      "import sys\n"
      "try:\n"
      "    compile(sys.stdin.buffer.read(), sys.argv[1], 'exec')\n"
      "    print('ok')\n"
      "except SyntaxError as e:\n"
      "    print(type(e).__name__, e.lineno or 1, e.offset or 1, e.msg, sep='\\t')\n"
      "except ValueError as e:\n"
      "    print('SyntaxError', 1, 1, e, sep='\\t')\n";
  ProcessResult r = run_process({python && *python ? python : "python3", "-I", "-S", "-c", kScript, path}, std::nullopt, bytes);
  if (r.exit_code != 0) return ours;
  std::string line = r.out.substr(0, r.out.find('\n'));
  if (line == "ok") return std::nullopt;
  std::vector<std::string> parts;
  std::size_t start = 0;
  for (int i = 0; i < 3; ++i) {
    std::size_t tab = line.find('\t', start);
    if (tab == std::string::npos) return ours;
    parts.push_back(line.substr(start, tab - start));
    start = tab + 1;
  }
  return parse::CompileError{parts[0], std::atoi(parts[1].c_str()), std::atoi(parts[2].c_str()), line.substr(start)};
}

// `ignore` / `per-file-ignores` of the closest pyproject.toml with a [tool.ckptguard] table, and
// --ignore; every diff rule is selected otherwise.
std::function<bool(const std::string&, const std::string&)> selection(const std::string& root, const std::set<std::string>& ignored) {
  auto selections = std::make_shared<std::map<std::string, std::shared_ptr<config::RuleSelection>>>();
  return [root, ignored, selections](const std::string& code, const std::string& rel) {
    if (ignored.count(code)) return false;
    std::error_code ec;
    fs::path file = fs::absolute(fs::path(root) / rel, ec).lexically_normal();
    std::string dir = file.parent_path().string();
    auto it = selections->find(dir);
    if (it == selections->end()) {
      config::ConfigResult found = config::find_config(dir);
      std::shared_ptr<config::RuleSelection> s;
      if (found.config) {
        config::LintConfig c = *found.config;
        // Every rule of the diff's families, less what the file ignores.
        c.select = std::vector<std::string>{std::string(diag::family_prefix(diag::Family::state_dict_keys)),
                                            std::string(diag::family_prefix(diag::Family::shapes_and_dtypes))};
        c.extend_select.clear();
        s = std::make_shared<config::RuleSelection>(c, config::SelectionOverrides{}, std::vector<std::string>{});
      }
      it = selections->emplace(dir, s).first;
    }
    return !it->second || it->second->enabled(code, file.lexically_relative(it->second->config().root).string());
  };
}

// Two files or two directories given on the command line.
// The old file of a two-file diff under the new file's path, so that both versions hold the
// same module and the line diff pairs their lines (`diff old.py new.py` is an edit of one file,
// not a file replaced by another). Every other path is the disk's.
class OldFileAsNew final : public parse::FileSystem {
 public:
  OldFileAsNew(std::string as, std::string file) : as_(std::move(as)), file_(std::move(file)) {}

  parse::EntryType type(const std::string& path) const override { return parse::disk().type(mapped(path)); }
  std::optional<std::string> read(const std::string& path, std::size_t max_bytes, std::string* error) const override {
    return parse::disk().read(mapped(path), max_bytes, error);
  }

 private:
  std::string mapped(const std::string& path) const {
    std::error_code ec;
    return fs::absolute(path, ec).lexically_normal().string() == as_ ? file_ : path;
  }

  std::string as_, file_;
};

// `old_files` receives the file system the old version reads through when it is not the disk.
std::variant<std::pair<changes::ProjectVersion, changes::ProjectVersion>, std::string> path_versions(
    const DiffRequest& request, std::vector<std::string>& changed, std::unique_ptr<parse::FileSystem>& old_files) {
  std::error_code ec;
  for (const auto& p : {request.old_path, request.new_path}) {
    if (!fs::exists(p, ec)) return fmt::format("{}: no such file or directory", p);
  }
  bool dirs = fs::is_directory(request.old_path, ec);
  if (dirs != fs::is_directory(request.new_path, ec)) return fmt::format("{} and {}: compare two files or two directories", request.old_path, request.new_path);
  if (dirs) {
    auto old_v = changes::ProjectVersion::directory(request.old_path, request.old_path);
    auto new_v = changes::ProjectVersion::directory(request.new_path, request.new_path);
    std::set<std::string> all;
    for (const auto& [rel, id] : old_v.python_files()) all.insert(rel);
    for (const auto& [rel, id] : new_v.python_files()) all.insert(rel);
    for (const auto& rel : all) {
      if (old_v.content_id(rel) != new_v.content_id(rel)) changed.push_back(rel);
    }
    return std::make_pair(std::move(old_v), std::move(new_v));
  }
  // Two files: each is the one file of its version, at the new file's path within its package root.
  index::ModulePath where = index::locate_module(request.new_path);
  std::string rel = fs::absolute(request.new_path, ec).lexically_normal().lexically_relative(where.root).string();
  changed.push_back(rel);
  index::ModulePath old_where = index::locate_module(request.old_path);
  old_files = std::make_unique<OldFileAsNew>((fs::path(old_where.root) / rel).lexically_normal().string(),
                                             fs::absolute(request.old_path, ec).lexically_normal().string());
  return std::make_pair(changes::ProjectVersion(request.old_path, old_where.root, *old_files, {{rel, ""}}),
                        changes::ProjectVersion(request.new_path, where.root, parse::disk(), {{rel, ""}}));
}

// Paths of the report as people gave them: in two-file or two-directory mode, the new version's
// files under NEW and the old version's under OLD (git mode keeps them relative to the root).
void show_paths(changes::ChangeReport& report, const std::function<std::string(const std::string&)>& new_path,
                const std::function<std::string(const std::string&)>& old_path) {
  for (auto& d : report.findings) {
    d.span.file = new_path(d.span.file);
    if (d.data.contains("edit")) d.data["edit"]["file"] = new_path(d.data["edit"]["file"].get<std::string>());
    if (d.data.contains("old_edit")) d.data["old_edit"]["file"] = old_path(d.data["old_edit"]["file"].get<std::string>());
  }
  for (auto& c : report.changed_files) c = new_path(c);
  for (auto& m : report.models) m.file = new_path(m.file);
}

}  // namespace

DiffOutcome run_model_diff(const DiffRequest& request) {
  DiffOutcome outcome;
  struct Held {
    std::optional<GitChange> git;
    std::optional<std::pair<changes::ProjectVersion, changes::ProjectVersion>> paths;
    std::unique_ptr<parse::FileSystem> old_files;
    std::unique_ptr<changes::AnalysisCache> cache;
  };
  auto held = std::make_shared<Held>();
  outcome.keep_alive = held;
  const changes::ProjectVersion* old_version = nullptr;
  const changes::ProjectVersion* new_version = nullptr;
  std::vector<std::string> changed;
  if (request.base) {
    auto read = read_git_change({*request.base, request.staged, request.paths});
    if (auto* error = std::get_if<std::string>(&read)) {
      outcome.errors.push_back(*error);
      return outcome;
    }
    held->git = std::move(std::get<GitChange>(read));
    old_version = held->git->old_version.get();
    new_version = held->git->new_version.get();
    changed = held->git->changed;
    if (request.cache) held->cache = std::make_unique<changes::AnalysisCache>(cache_dir(held->git->top), tool_build_id());
  } else {
    auto read = path_versions(request, changed, held->old_files);
    if (auto* error = std::get_if<std::string>(&read)) {
      outcome.errors.push_back(*error);
      return outcome;
    }
    held->paths = std::move(std::get<0>(read));
    old_version = &held->paths->first;
    new_version = &held->paths->second;
  }
  outcome.root = new_version->root();
  // Configured arguments for a class the project does not have would never be used: a typo, or
  // a class this very change renamed.
  if (auto project_config = config::find_config(outcome.root); project_config.error) {
    outcome.errors.push_back(fmt::format("{}: {}", project_config.error->path, project_config.error->reason));
    return outcome;
  } else if (project_config.config && !project_config.config->model_configs.empty()) {
    const auto files = changes::ProjectVersion::directory("config", project_config.config->root);
    for (const std::string& problem : changes::unknown_configured_classes(*project_config.config, files)) {
      outcome.errors.push_back(fmt::format("{}: {}", project_config.config->path, problem));
    }
    if (!outcome.errors.empty()) return outcome;
  }

  changes::ChangeOptions options;
  options.branches = request.branches;
  options.cache = held->cache.get();
  options.enabled = selection(outcome.root, request.ignored);
  options.model_config = [root = outcome.root, configs = std::make_shared<std::map<std::string, config::ConfigResult>>()](
                             const std::string& rel, const std::string& name) {
    std::vector<interp::ConfigItem> items;
    fs::path file = fs::path(root) / rel;
    std::string dir = file.parent_path().string();
    auto it = configs->find(dir);
    if (it == configs->end()) it = configs->emplace(dir, config::find_config(dir)).first;
    if (!it->second.config) return items;
    const config::LintConfig& c = *it->second.config;
    std::string dotted = index::locate_module(file.string()).dotted_name;
    std::string relative = file.lexically_relative(c.root).string();
    if (const auto* args = c.model_config(dotted, name, relative)) {
      for (const auto& [key, value] : *args) items.push_back({key, value});
    }
    return items;
  };
  options.confirm_compile = [new_version](const std::string& path) -> std::optional<parse::CompileError> {
    std::string error;
    std::optional<std::string> bytes = new_version->files().read(path, parse::kMaxSourceBytes, &error);
    parse::LoadResult ours = bytes ? parse::parse_source(path, *bytes) : parse::LoadResult{};
    if (!bytes || !ours.file || !ours.file->compile_error()) return std::nullopt;
    return ask_cpython(path, *bytes, *ours.file->compile_error());
  };
  outcome.report = changes::analyze_change(*old_version, *new_version, changed, options);
  for (const auto& b : outcome.report.broken) {
    outcome.errors.push_back(fmt::format("{}:{}: {}: {} (the file does not compile; fix it before checking checkpoints)",
                                         b.file, b.error.line, b.error.kind, b.error.message));
  }
  std::function<std::string(const std::string&)> to_rel = [](const std::string& rel) { return rel; };
  if (!request.base) {
    std::error_code ec;
    bool dirs = fs::is_directory(request.new_path, ec);
    auto shown = [dirs](const changes::ProjectVersion* v, const std::string& given) {
      return [v, given, dirs](const std::string& rel) {
        if (dirs) return (fs::path(given) / rel).string();
        return v->has(rel) ? given : rel;  // the one file of the version
      };
    };
    show_paths(outcome.report, shown(new_version, request.new_path), shown(old_version, request.old_path));
    to_rel = [new_version, given = request.new_path, dirs](const std::string& path) {
      if (dirs) return fs::path(path).lexically_relative(given).string();
      return path == given && !new_version->python_files().empty() ? new_version->python_files().begin()->first : path;
    };
  }
  outcome.source_text = [new_version, held, to_rel](const std::string& path) {
    std::string error, rel = to_rel(path);
    return new_version->has(rel) ? new_version->read(rel, &error).value_or("") : std::string();
  };
  return outcome;
}

}  // namespace ckg::cli
