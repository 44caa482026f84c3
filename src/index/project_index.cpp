// Module location, import resolution and the parse cache.
#include "index/project_index.h"

#include <algorithm>
#include <filesystem>

#include "parse/syntax.h"

namespace ckg::index {

namespace fs = std::filesystem;
using parse::Field;
using parse::Kind;

static std::vector<std::string>& library_dirs() {
  static std::vector<std::string> dirs;
  return dirs;
}

void set_library_path(std::vector<std::string> dirs) { library_dirs() = std::move(dirs); }
const std::vector<std::string>& library_path() { return library_dirs(); }

bool is_site_directory(const std::string& dir) {
  std::string name = fs::path(dir).lexically_normal().filename().string();
  if (name.empty()) name = fs::path(dir).lexically_normal().parent_path().filename().string();
  return name == "site-packages" || name == "dist-packages";
}

ModulePath locate_module(const std::string& file, const parse::FileSystem& files) {
  std::error_code ec;
  fs::path path = fs::absolute(fs::path(file), ec).lexically_normal();
  ModulePath out;
  std::vector<std::string> parts;
  fs::path dir = path.parent_path();
  if (path.filename() == "__init__.py") {
    out.is_package = true;
  } else {
    parts.push_back(path.stem().string());
  }
  while (files.is_file((dir / "__init__.py").string())) {
    parts.push_back(dir.filename().string());
    if (!dir.has_parent_path() || dir.parent_path() == dir) break;
    dir = dir.parent_path();
  }
  if (out.is_package && parts.empty()) parts.push_back(path.parent_path().filename().string());
  std::reverse(parts.begin(), parts.end());
  out.root = dir.string();
  for (size_t i = 0; i < parts.size(); ++i) out.dotted_name += (i ? "." : "") + parts[i];
  return out;
}

ProjectIndex::ProjectIndex(std::vector<std::string> search_roots, const parse::FileSystem& files)
    : roots_(std::move(search_roots)), libraries_(library_path()), files_(files) {}

void ProjectIndex::add_search_root(const std::string& root) {
  if (std::find(roots_.begin(), roots_.end(), root) == roots_.end()) roots_.push_back(root);
}

parse::LoadResult ProjectIndex::load(const std::string& path) {
  auto it = cache_.find(path);
  if (it != cache_.end()) return it->second;
  return cache_.emplace(path, parse::load_source(path, files_)).first->second;
}

static fs::path dotted_to_path(const std::string& dotted) {
  fs::path p;
  size_t start = 0;
  while (true) {
    size_t dot = dotted.find('.', start);
    p /= dotted.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  return p;
}

static bool in_package(const std::string& dotted, const std::string& top) {
  return top.empty() || dotted == top || dotted.rfind(top + ".", 0) == 0;
}

std::optional<std::string> ProjectIndex::find_module(const std::string& dotted_name) const {
  fs::path rel = dotted_to_path(dotted_name);
  auto find_in = [&](const std::vector<std::string>& dirs) -> std::optional<std::string> {
    for (const auto& root : dirs) {
      fs::path base = fs::path(root) / rel;
      fs::path as_file = base;
      as_file += ".py";
      if (files_.is_file(as_file.string())) return as_file.string();
      fs::path as_pkg = base / "__init__.py";
      if (files_.is_file(as_pkg.string())) return as_pkg.string();
    }
    return std::nullopt;
  };
  if (in_package(dotted_name, top_level_)) {
    if (auto found = find_in(roots_)) return found;
  }
  return find_in(libraries_);
}

bool ProjectIndex::is_package_dir(const std::string& dotted_name) const {
  auto dir_in = [&](const std::vector<std::string>& dirs) {
    for (const auto& root : dirs) {
      if (files_.is_directory((fs::path(root) / dotted_to_path(dotted_name)).string())) return true;
    }
    return false;
  };
  return (in_package(dotted_name, top_level_) && dir_in(roots_)) || dir_in(libraries_);
}

std::optional<std::string> ProjectIndex::resolve_relative(const ModulePath& current, int level,
                                                         const std::string& name) {
  std::string package = current.dotted_name;
  if (!current.is_package) {
    size_t dot = package.rfind('.');
    package = dot == std::string::npos ? std::string() : package.substr(0, dot);
  }
  for (int i = 1; i < level; ++i) {
    if (package.empty()) return std::nullopt;  // beyond the top-level package
    size_t dot = package.rfind('.');
    package = dot == std::string::npos ? std::string() : package.substr(0, dot);
  }
  if (package.empty()) return name.empty() ? std::nullopt : std::optional<std::string>(name);
  return name.empty() ? package : package + "." + name;
}

std::optional<std::string> ProjectIndex::find_relative_file(const std::string& importer, int level, const std::string& dotted) const {
  std::error_code ec;
  fs::path dir = fs::absolute(importer, ec).lexically_normal().parent_path();
  for (int i = 1; i < level; ++i) dir = dir.parent_path();
  fs::path base = dir / dotted_to_path(dotted);
  fs::path as_file = base;
  as_file += ".py";
  if (files_.is_file(as_file.string())) return as_file.string();
  if (files_.is_file((base / "__init__.py").string())) return (base / "__init__.py").string();
  return std::nullopt;
}

std::vector<Definition> ProjectIndex::definitions(const parse::SourceFile& file) {
  std::vector<Definition> out;
  for (TSNode stmt : parse::named_children(file.root())) {
    TSNode def = stmt;
    if (parse::kind(def) == Kind::k_decorated_definition) def = parse::field(def, Field::definition);
    Kind k = parse::kind(def);
    if (k != Kind::k_class_definition && k != Kind::k_function_definition) continue;
    TSNode name = parse::field(def, Field::name);
    if (parse::is_null(name)) continue;
    Definition d{k == Kind::k_class_definition ? Definition::Kind::class_def : Definition::Kind::function_def,
                 std::string(file.node_text(name)), def, file.location(def).line, {}};
    if (k == Kind::k_class_definition) {
      TSNode supers = parse::field(def, Field::superclasses);
      if (!parse::is_null(supers)) {
        for (TSNode b : parse::named_children(supers)) {
          if (parse::kind(b) != Kind::k_keyword_argument) d.bases.emplace_back(file.node_text(b));
        }
      }
    }
    out.push_back(std::move(d));
  }
  return out;
}

}  // namespace ckg::index
