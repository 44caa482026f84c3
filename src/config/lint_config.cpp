// Reading [tool.ckptguard] with toml++ (Debian's libtomlplusplus) and selecting rules.
#include "config/lint_config.h"

#include <algorithm>
#include <filesystem>
#include <sstream>

#include <toml++/toml.h>

#include "text/did_you_mean.h"

namespace ckg::config {
namespace fs = std::filesystem;

namespace {

std::optional<std::string> string_list(const toml::node* node, std::string_view key, std::vector<std::string>& out) {
  if (!node) return std::nullopt;
  const toml::array* arr = node->as_array();
  if (!arr) return "[tool.ckptguard] " + std::string(key) + ": expected an array of strings";
  for (const auto& item : *arr) {
    auto s = item.value<std::string>();
    if (!s) return "[tool.ckptguard] " + std::string(key) + ": expected an array of strings";
    out.push_back(*s);
  }
  return std::nullopt;
}

std::string upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

bool matches(std::string_view selector, std::string_view code, std::size_t* length) {
  if (selector == "ALL") {
    *length = 0;
    return true;
  }
  if (code.size() >= selector.size() && code.compare(0, selector.size(), selector) == 0) {
    *length = selector.size();
    return true;
  }
  return false;
}

// Longest matching selector, or -1.
long best_match(const std::vector<std::string>& selectors, std::string_view code) {
  long best = -1;
  for (const auto& s : selectors) {
    std::size_t len = 0;
    if (matches(s, code, &len)) best = std::max(best, static_cast<long>(len));
  }
  return best;
}

bool glob_here(std::string_view p, std::string_view s) {
  // Iterative matcher with backtracking for `*` (one segment) and `**` (any depth).
  if (p.empty()) return s.empty();
  if (p.substr(0, 2) == "**") {
    std::string_view rest = p.substr(2);
    if (!rest.empty() && rest[0] == '/') rest.remove_prefix(1);
    for (std::size_t i = 0; i <= s.size(); ++i) {
      if (glob_here(rest, s.substr(i))) return true;
    }
    return false;
  }
  if (p[0] == '*') {
    for (std::size_t i = 0; i <= s.size(); ++i) {
      if (glob_here(p.substr(1), s.substr(i))) return true;
      if (i < s.size() && s[i] == '/') break;
    }
    return false;
  }
  if (s.empty()) return false;
  if (p[0] == '?') return s[0] != '/' && glob_here(p.substr(1), s.substr(1));
  if (p[0] == '[') {
    std::size_t close = p.find(']', 1);
    if (close != std::string_view::npos) {
      std::string_view set = p.substr(1, close - 1);
      bool negate = !set.empty() && (set[0] == '!' || set[0] == '^');
      if (negate) set.remove_prefix(1);
      bool hit = false;
      for (std::size_t i = 0; i < set.size(); ++i) {
        if (i + 2 < set.size() && set[i + 1] == '-') {
          hit = hit || (s[0] >= set[i] && s[0] <= set[i + 2]);
          i += 2;
        } else {
          hit = hit || s[0] == set[i];
        }
      }
      return hit != negate && s[0] != '/' && glob_here(p.substr(close + 1), s.substr(1));
    }
  }
  return p[0] == s[0] && glob_here(p.substr(1), s.substr(1));
}

// A TOML value as Python literal source, as the pytest plugin reads it: `{ python = "expr" }`
// passes source through.
std::optional<std::string> python_literal(const toml::node& v) {
  if (const auto* t = v.as_table()) {
    if (t->size() == 1 && t->contains("python")) {
      if (auto s = (*t)["python"].value<std::string>()) return *s;
      return std::nullopt;
    }
    std::string out = "{";
    for (const auto& [k, item] : *t) {
      auto inner = python_literal(item);
      if (!inner) return std::nullopt;
      out += (out.size() > 1 ? ", '" : "'") + std::string(k.str()) + "': " + *inner;
    }
    return out + "}";
  }
  if (const auto* a = v.as_array()) {
    std::string out = "[";
    for (const auto& item : *a) {
      auto inner = python_literal(item);
      if (!inner) return std::nullopt;
      out += (out.size() > 1 ? ", " : "") + *inner;
    }
    return out + "]";
  }
  if (auto b = v.value_exact<bool>()) return std::string(*b ? "True" : "False");
  if (auto i = v.value_exact<std::int64_t>()) return std::to_string(*i);
  if (auto d = v.value_exact<double>()) {
    std::ostringstream s;
    s.precision(17);
    s << *d;
    return s.str();
  }
  if (auto s = v.value_exact<std::string>()) {
    std::string out = "'";
    for (char c : *s) {
      if (c == '\\' || c == '\'') out += '\\';
      out += c;
    }
    return out + "'";
  }
  return std::nullopt;
}

}  // namespace

const std::vector<std::pair<std::string, std::string>>* LintConfig::model_config(const std::string& dotted, const std::string& name,
                                                                                 const std::string& relative_path) const {
  for (const std::string& key : {dotted + ":" + name, relative_path + "::" + name, name}) {
    auto it = model_configs.find(key);
    if (it != model_configs.end()) return &it->second;
  }
  return nullptr;
}

bool glob_match(std::string_view pattern, std::string_view path) {
  while (pattern.rfind("./", 0) == 0) pattern.remove_prefix(2);
  while (path.rfind("./", 0) == 0) path.remove_prefix(2);
  // A pattern without a slash names a file or directory anywhere, like `__init__.py`.
  if (pattern.find('/') == std::string_view::npos) {
    std::size_t start = 0;
    while (start <= path.size()) {
      std::size_t end = path.find('/', start);
      std::string_view part = path.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
      if (glob_here(pattern, part)) return true;
      if (end == std::string_view::npos) break;
      start = end + 1;
    }
    return false;
  }
  if (glob_here(pattern, path)) return true;
  for (std::size_t slash = path.find('/'); slash != std::string_view::npos; slash = path.find('/', slash + 1)) {
    if (glob_here(pattern, path.substr(0, slash))) return true;
  }
  return false;
}

ConfigResult read_config(const std::string& path, bool top_level_fallback) {
  ConfigResult out;
  toml::table doc;
  try {
    doc = toml::parse_file(path);
  } catch (const toml::parse_error& e) {
    const auto& where = e.source().begin;
    out.error = ConfigError{path, "line " + std::to_string(where.line) + ": " + std::string(e.description())};
    return out;
  } catch (const std::exception& e) {
    out.error = ConfigError{path, e.what()};
    return out;
  }
  const toml::table* table = doc["tool"]["ckptguard"].as_table();
  if (!table && top_level_fallback) table = &doc;
  if (!table) {
    if (doc["tool"]["ckptguard"]) out.error = ConfigError{path, "[tool.ckptguard] must be a table"};
    return out;
  }
  LintConfig c;
  c.path = path;
  std::error_code ec;
  c.root = fs::absolute(fs::path(path), ec).parent_path().lexically_normal().string();
  std::optional<std::string> err;
  if (const toml::node* sel = table->get("select")) {
    std::vector<std::string> v;
    err = string_list(sel, "select", v);
    c.select = v;
  }
  if (const toml::node* python = table->get("python")) {
    if (auto v = python->value<std::string>()) c.python = *v;
    else err = "[tool.ckptguard] python: expected a string (the project's interpreter)";
  }
  if (!err) err = string_list(table->get("extend-select"), "extend-select", c.extend_select);
  if (!err) err = string_list(table->get("ignore"), "ignore", c.ignore);
  if (!err) {
    if (const toml::node* pfi = table->get("per-file-ignores")) {
      const toml::table* t = pfi->as_table();
      if (!t) {
        err = "[tool.ckptguard] per-file-ignores: expected a table of glob = [codes]";
      } else {
        for (const auto& [pattern, codes] : *t) {
          PerFileIgnore p{std::string(pattern.str()), {}};
          err = string_list(&codes, "per-file-ignores", p.codes);
          if (err) break;
          c.per_file_ignores.push_back(std::move(p));
        }
      }
    }
  }
  if (!err) {
    if (const toml::node* configs = table->get("configs")) {
      const toml::table* t = configs->as_table();
      if (!t) err = "[tool.ckptguard.configs] must be a table of classes";
      for (const auto& [key, args] : t ? *t : toml::table{}) {
        const toml::table* a = args.as_table();
        if (!a) {
          err = "[tool.ckptguard.configs.\"" + std::string(key.str()) + "\"] must be a table of constructor arguments";
          break;
        }
        auto& out_args = c.model_configs[std::string(key.str())];
        for (const auto& [arg, value] : *a) {
          auto literal = python_literal(value);
          if (!literal) {
            err = "[tool.ckptguard.configs.\"" + std::string(key.str()) + "\"] " + std::string(arg.str()) +
                  ": not a constructor argument (use a TOML value or { python = \"...\" })";
            break;
          }
          out_args.emplace_back(std::string(arg.str()), *literal);
        }
        if (err) break;
      }
    }
  }
  if (err) {
    out.error = ConfigError{path, *err};
    return out;
  }
  auto normalise = [](std::vector<std::string>& v) {
    for (auto& s : v) s = upper(s);
  };
  if (c.select) normalise(*c.select);
  normalise(c.extend_select);
  normalise(c.ignore);
  for (auto& p : c.per_file_ignores) normalise(p.codes);
  out.config = std::move(c);
  return out;
}

ConfigResult find_config(const std::string& dir) {
  std::error_code ec;
  fs::path d = fs::absolute(fs::path(dir), ec).lexically_normal();
  while (true) {
    fs::path candidate = d / "pyproject.toml";
    if (fs::is_regular_file(candidate, ec)) {
      ConfigResult r = read_config(candidate.string());
      if (r.config || r.error) return r;
    }
    if (!d.has_parent_path() || d.parent_path() == d) break;
    d = d.parent_path();
  }
  return {};
}

RuleSelection::RuleSelection(LintConfig config, SelectionOverrides overrides, std::vector<std::string> always_on)
    : config_(std::move(config)), always_on_(std::move(always_on)) {
  if (overrides.select) {
    select_ = *overrides.select;
  } else {
    select_ = config_.select.value_or(std::vector<std::string>{"ALL"});
    select_.insert(select_.end(), config_.extend_select.begin(), config_.extend_select.end());
  }
  select_.insert(select_.end(), overrides.extend_select.begin(), overrides.extend_select.end());
  // As in ruff, a command-line --select starts a new selection: the file's ignores go with its
  // select (its per-file-ignores still apply).
  if (!overrides.select) ignore_ = config_.ignore;
  ignore_.insert(ignore_.end(), overrides.ignore.begin(), overrides.ignore.end());
  for (auto& s : select_) s = upper(s);
  for (auto& s : ignore_) s = upper(s);
}

bool RuleSelection::enabled(std::string_view code, std::string_view relative_path) const {
  for (const auto& p : config_.per_file_ignores) {
    std::size_t len = 0;
    if (glob_match(p.pattern, relative_path) &&
        std::any_of(p.codes.begin(), p.codes.end(), [&](const std::string& s) { return matches(s, code, &len); })) {
      return false;
    }
  }
  long ignored = best_match(ignore_, code);
  bool always = std::find(always_on_.begin(), always_on_.end(), code) != always_on_.end();
  // Input problems (syntax errors) count as selected by their exact code: only an ignore of that
  // exact code turns them off.
  long selected = always ? static_cast<long>(code.size()) : best_match(select_, code);
  return selected >= 0 && selected > ignored;
}

std::optional<std::string> check_selectors(const std::vector<std::string>& selectors,
                                           const std::vector<std::string>& known_codes) {
  for (const auto& raw : selectors) {
    std::string s = upper(raw);
    std::size_t len = 0;
    if (s.empty() || !std::any_of(known_codes.begin(), known_codes.end(),
                                  [&](const std::string& c) { return matches(s, c, &len); })) {
      std::string hint = text::did_you_mean_suffix(s, known_codes);
      return "unknown rule selector '" + raw + "'" + (hint.empty() ? " (run 'ckptguard rules' for the codes)" : hint);
    }
  }
  return std::nullopt;
}

}  // namespace ckg::config
