// `ckptguard lint [PATHS...] [--format F] [--select CODES] [--ignore CODES] [--output FILE] ...`
#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <unistd.h>

#include <fmt/format.h>

#include "analyzers/lint.h"
#include "cli/arguments.h"
#include "cli/commands.h"
#include "config/lint_config.h"
#include "parse/source_file.h"
#include "report/diagnostics_render.h"

namespace ckg::cli {
namespace fs = std::filesystem;

static const char* const kLintUsage =
    "usage: ckptguard lint [PATHS...] [--format text|json|sarif|github|markdown|html]\n"
    "                      [--select CODES] [--extend-select CODES] [--ignore CODES]\n"
    "                      [--config FILE] [--output FILE] [--exit-zero]\n"
    "  Check Python sources for checkpoint pitfalls (directories are searched for *.py; default '.').\n"
    "  CODES is a comma-separated list of codes or prefixes (CKG301, CKG4, ALL); see 'ckptguard rules'.\n"
    "  Settings come from the closest pyproject.toml with a [tool.ckptguard] table (select, ignore,\n"
    "  extend-select, per-file-ignores) unless --config names one; the command line overrides them.\n"
    "  Silence one finding with '# ckptguard: ignore[CKG301]' on its line or its statement's first line.\n"
    "  Exit codes: 0 no findings, 1 findings (0 with --exit-zero), 2 usage, configuration or input error.\n";

namespace {

// Directories never searched when found inside a given directory (as in ruff).
bool excluded_dir(const std::string& name) {
  static const char* const names[] = {"__pycache__", "__pypackages__", "_build", "buck-out", "dist",
                                      "node_modules", "site-packages", "venv"};
  return name.empty() || name[0] == '.' ||
         std::any_of(std::begin(names), std::end(names), [&](const char* n) { return name == n; });
}

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

bool use_colour(bool to_file) {
  if (to_file) return false;
  const char* no = std::getenv("NO_COLOR");
  if (no && *no) return false;
  const char* force = std::getenv("FORCE_COLOR");
  if (force && *force && std::string(force) != "0") return true;
  return ::isatty(STDOUT_FILENO) == 1;
}

}  // namespace

int run_lint(const std::vector<std::string>& argv, Io io) {
  std::string error;
  auto args = parse_args(argv, ArgSpec{{"--format", "--select", "--ignore", "--extend-select", "--config", "--output"},
                                       {"--exit-zero"}},
                         &error);
  if (args && args->flags.count("--help")) {
    io.out << kLintUsage;
    return kExitOk;
  }
  std::optional<std::string> format;
  if (args) format = output_format(*args, {"text", "json", "sarif", "github", "markdown", "html"}, &error);
  std::vector<std::string> known;
  for (const auto& r : lint::rule_infos()) known.push_back(r.code);
  config::SelectionOverrides overrides;
  if (format) {
    if (args->options.count("--select")) overrides.select = split_codes(args->options.at("--select"));
    if (args->options.count("--ignore")) overrides.ignore = split_codes(args->options.at("--ignore"));
    if (args->options.count("--extend-select")) overrides.extend_select = split_codes(args->options.at("--extend-select"));
    for (const auto* list : {&overrides.ignore, &overrides.extend_select}) {
      if (auto e = config::check_selectors(*list, known); e && error.empty()) error = *e;
    }
    if (overrides.select) {
      if (auto e = config::check_selectors(*overrides.select, known); e && error.empty()) error = *e;
    }
  }
  if (!error.empty()) {
    io.err << "ckptguard lint: " << error << "\n";
    return kExitUsage;
  }

  std::vector<std::string> files;
  std::vector<std::string> roots = args->positional.empty() ? std::vector<std::string>{"."} : args->positional;
  for (const auto& root : roots) {
    if (auto e = collect(root, files)) {
      io.err << *e << "\n";
      return kExitUsage;
    }
  }
  files.erase(std::unique(files.begin(), files.end()), files.end());

  // Configuration: --config for every file, else the closest pyproject.toml per directory.
  std::optional<config::LintConfig> fixed;
  if (auto path = args->last("--config")) {
    auto r = config::read_config(*path, /*top_level_fallback=*/true);
    if (r.error) {
      io.err << r.error->path << ": " << r.error->reason << "\n";
      return kExitUsage;
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

  report::DiagnosticsReport report;
  report.rules = lint::rule_infos();
  std::map<std::string, std::string> texts;
  for (const auto& file : files) {
    std::string problem;
    auto selection = selection_for(file, &problem);
    if (!selection) {
      io.err << problem << "\n";
      return kExitUsage;
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
  report.source = [&texts](const std::string& path) -> std::string_view {
    auto it = texts.find(path);
    return it == texts.end() ? std::string_view{} : std::string_view(it->second);
  };

  std::optional<std::string> output_path = args->last("--output");
  std::string rendered;
  if (*format == "json") {
    // Sources and paths that are not valid UTF-8 must not abort the report.
    rendered = report::diagnostics_to_json(report).dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  } else if (*format == "sarif") {
    std::error_code ec;
    rendered = report::diagnostics_to_sarif(report, {fs::current_path(ec).string()})
                   .dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  } else if (*format == "github") {
    rendered = report::render_diagnostics_github(report);
    if (const char* summary = std::getenv("GITHUB_STEP_SUMMARY"); summary && *summary) {
      std::ofstream(summary, std::ios::app) << report::render_diagnostics_markdown(report) << "\n";
    }
  } else if (*format == "markdown") {
    rendered = report::render_diagnostics_markdown(report);
  } else if (*format == "html") {
    rendered = report::render_diagnostics_html(report);
  } else {
    rendered = report::render_diagnostics_text(report, {use_colour(output_path.has_value())});
  }
  if (output_path) {
    std::ofstream f(*output_path, std::ios::binary);
    f << rendered;
    if (!f) {
      io.err << *output_path << ": cannot be written\n";
      return kExitUsage;
    }
  } else {
    io.out << rendered;
  }
  if (report.diagnostics.empty() || args->flags.count("--exit-zero")) return kExitOk;
  return kExitFindings;
}

}  // namespace ckg::cli
