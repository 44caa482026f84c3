// The lint runner and diagnostics rendering (see lint_runner.h).
#include "cli/lint_runner.h"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <unistd.h>

#include "analyzers/lint.h"
#include "parse/source_file.h"

namespace ckg::cli {
namespace fs = std::filesystem;

namespace {

// Directories never searched when found inside a given directory (as in ruff).
bool excluded_dir(const std::string& name) {
  static const char* const names[] = {"__pycache__", "__pypackages__", "_build", "buck-out", "dist",
                                      "node_modules", "site-packages", "venv"};
  return name.empty() || name[0] == '.' ||
         std::any_of(std::begin(names), std::end(names), [&](const char* n) { return name == n; });
}


std::string display_path(const fs::path& p) {
  std::string s = p.lexically_normal().string();
  while (s.rfind("./", 0) == 0) s = s.substr(2);
  if (p.is_absolute()) {
    std::error_code ec;
    fs::path cwd = fs::current_path(ec);
    fs::path rel = p.lexically_normal().lexically_relative(cwd);
    if (!ec && !rel.empty() && rel.native().rfind("..", 0) != 0) return rel.string();
  }
  return s;
}

// Python files under `root`, sorted, or `root` itself when it is a file.
std::optional<std::string> collect(const std::string& root, std::vector<std::string>& out) {
  std::error_code ec;
  fs::file_status st = fs::status(root, ec);
  if (ec || !fs::exists(st)) return root + ": no such file or directory";
  if (!fs::is_directory(st)) {
    out.push_back(display_path(root));
    return std::nullopt;
  }
  std::vector<std::string> found;
  fs::recursive_directory_iterator it(root, fs::directory_options::skip_permission_denied, ec), end;
  if (ec) return root + ": " + ec.message();
  for (; it != end; it.increment(ec)) {
    if (ec) break;
    const fs::directory_entry& e = *it;
    std::string name = e.path().filename().string();
    if (e.is_directory(ec)) {
      if (excluded_dir(name) || e.is_symlink(ec)) it.disable_recursion_pending();
      continue;
    }
    if (e.path().extension() == ".py" && e.is_regular_file(ec)) found.push_back(display_path(e.path()));
  }
  std::sort(found.begin(), found.end());
  out.insert(out.end(), found.begin(), found.end());
  return std::nullopt;
}


}  // namespace

std::vector<std::string> split_codes(const std::vector<std::string>& values) {
  std::vector<std::string> out;
  for (const auto& v : values) {
    std::string cur;
    for (char c : v + ",") {
      if (c == ',' || c == ' ') {
        if (!cur.empty()) out.push_back(cur);
        cur.clear();
      } else {
        cur += c;
      }
    }
  }
  return out;
}

bool use_colour(bool to_file) {
  if (to_file) return false;
  const char* no = std::getenv("NO_COLOR");
  if (no && *no) return false;
  const char* force = std::getenv("FORCE_COLOR");
  if (force && *force && std::string(force) != "0") return true;
  return ::isatty(STDOUT_FILENO) == 1;
}

LintOutcome run_lint_paths(const LintRequest& request) {
  LintOutcome out;
  std::vector<std::string> known;
  for (const auto& r : lint::rule_infos()) known.push_back(r.code);
  const config::SelectionOverrides& overrides = request.overrides;
  std::vector<std::string> files;
  std::vector<std::string> roots = request.roots.empty() ? std::vector<std::string>{"."} : request.roots;
  for (const auto& root : roots) {
    if (auto e = collect(root, files)) {
      out.error = *e;
      return out;
    }
  }
  files.erase(std::unique(files.begin(), files.end()), files.end());

  // Configuration: --config for every file, else the closest pyproject.toml per directory.
  std::optional<config::LintConfig> fixed;
  if (const auto& path = request.config_path) {
    auto r = config::read_config(*path, /*top_level_fallback=*/true);
    if (r.error) {
      out.error = r.error->path + ": " + r.error->reason;
      return out;
    }
    fixed = r.config ? *r.config : config::LintConfig{};
  }
  std::map<std::string, std::shared_ptr<config::RuleSelection>> by_dir;
  std::vector<std::string> always_on{lint::kSyntaxError.code, lint::kUnreadableFile.code};
  auto selection_for = [&](const std::string& file, std::string* problem) -> std::shared_ptr<config::RuleSelection> {
    std::error_code ec;
    std::string dir = fs::absolute(fs::path(file), ec).parent_path().string();
    auto it = by_dir.find(dir);
    if (it != by_dir.end()) return it->second;
    config::LintConfig c;
    if (fixed) {
      c = *fixed;
    } else {
      auto r = config::find_config(dir);
      if (r.error) {
        *problem = r.error->path + ": " + r.error->reason;
        return nullptr;
      }
      if (r.config) c = *r.config;
    }
    std::vector<std::string> selectors = c.select.value_or(std::vector<std::string>{});
    selectors.insert(selectors.end(), c.extend_select.begin(), c.extend_select.end());
    selectors.insert(selectors.end(), c.ignore.begin(), c.ignore.end());
    for (const auto& p : c.per_file_ignores) selectors.insert(selectors.end(), p.codes.begin(), p.codes.end());
    if (auto e = config::check_selectors(selectors, known)) {
      *problem = c.path + ": [tool.ckptguard] " + *e;
      return nullptr;
    }
    auto sel = std::make_shared<config::RuleSelection>(c, overrides, always_on);
    by_dir.emplace(dir, sel);
    return sel;
  };

  report::DiagnosticsReport& report = out.report;
  report.rules = lint::rule_infos();
  out.texts = std::make_shared<std::map<std::string, std::string>>();
  std::map<std::string, std::string>& texts = *out.texts;
  for (const auto& file : files) {
    std::string problem;
    auto selection = selection_for(file, &problem);
    if (!selection) {
      out.error = problem;
      return out;
    }
    std::string relative = file;
    if (!selection->config().root.empty()) {
      std::error_code ec;
      relative = fs::absolute(fs::path(file), ec).lexically_normal().lexically_relative(selection->config().root).string();
    }
    auto enabled = [&](std::string_view code) { return selection->enabled(code, relative); };
    ++report.files_checked;
    parse::LoadResult loaded = parse::load_source(file);
    if (!loaded.file) {
      if (enabled(lint::kUnreadableFile.code)) {
        report.diagnostics.push_back(lint::unreadable_file(file, loaded.error ? loaded.error->reason : "cannot be read"));
      }
      continue;
    }
    auto found = lint::lint_file(*loaded.file, enabled);
    if (found.empty()) continue;
    texts.emplace(file, loaded.file->text());
    for (auto& d : found) report.diagnostics.push_back(std::move(d));
  }
  report.source = [texts = out.texts](const std::string& path) -> std::string_view {
    auto it = texts->find(path);
    return it == texts->end() ? std::string_view{} : std::string_view(it->second);
  };
  return out;

}

std::string render_diagnostics(const report::DiagnosticsReport& report, const std::string& format, bool to_file) {
  std::string rendered;
  if (format == "json") {
    // Sources and paths that are not valid UTF-8 must not abort the report.
    rendered = report::diagnostics_to_json(report).dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  } else if (format == "sarif") {
    std::error_code ec;
    rendered = report::diagnostics_to_sarif(report, {fs::current_path(ec).string()})
                   .dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  } else if (format == "github") {
    rendered = report::render_diagnostics_github(report);
    if (const char* summary = std::getenv("GITHUB_STEP_SUMMARY"); summary && *summary) {
      std::ofstream(summary, std::ios::app) << report::render_diagnostics_markdown(report) << "\n";
    }
  } else if (format == "markdown") {
    rendered = report::render_diagnostics_markdown(report);
  } else if (format == "html") {
    rendered = report::render_diagnostics_html(report);
  } else {
    rendered = report::render_diagnostics_text(report, {use_colour(to_file)});
  }
  return rendered;
}

}  // namespace ckg::cli
