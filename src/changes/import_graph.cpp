// ImportGraph: import statements resolved to files of the version.
#include "changes/import_graph.h"

#include <algorithm>
#include <filesystem>

namespace ckg::changes {

namespace fs = std::filesystem;

namespace {

std::string parent_dir(const std::string& rel) {
  std::string p = fs::path(rel).parent_path().string();
  return p == "." ? std::string() : p;
}

std::string join(const std::string& dir, const std::string& name) { return dir.empty() ? name : dir + "/" + name; }

}  // namespace

ImportGraph::ImportGraph(const ProjectVersion& version, AnalysisCache& cache) : version_(version) {
  // sys.path candidates: the root, src/, and the directory above every top-level package.
  roots_.insert("");
  for (const auto& [rel, id] : version.python_files()) {
    std::string dir = parent_dir(rel);
    if (fs::path(rel).filename() != "__init__.py") continue;
    std::string up = parent_dir(dir);
    while (version.has(join(up, "__init__.py"))) up = parent_dir(up);
    roots_.insert(up);
  }
  if (version.python_files().lower_bound("src/") != version.python_files().end() &&
      version.python_files().lower_bound("src/")->first.rfind("src/", 0) == 0) {
    roots_.insert("src");
  }
  for (const auto& [rel, known] : version.python_files()) {
    std::optional<std::string> id = version.content_id(rel);
    if (!id) continue;
    const std::vector<ImportSpec>* specs = cache.imports(*id);
    if (!specs) {
      std::string error;
      std::optional<std::string> text = version.read(rel, &error);
      cache.remember_imports(*id, text ? scan_imports(*text) : std::vector<ImportSpec>{});
      specs = cache.imports(*id);
    }
    add_edges(rel, *specs);
  }
}

void ImportGraph::resolve(const std::string& base, const std::string& dotted, std::set<std::string>& out) const {
  std::string dir = base;
  std::size_t start = 0;
  while (true) {
    std::size_t dot = dotted.find('.', start);
    std::string part = dotted.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    if (part.empty()) return;
    std::string as_package = join(join(dir, part), "__init__.py");
    std::string as_module = join(dir, part + ".py");
    if (dot == std::string::npos) {
      if (version_.has(as_package)) out.insert(as_package);
      if (version_.has(as_module)) out.insert(as_module);
      return;
    }
    if (version_.has(as_package)) out.insert(as_package);  // importing a.b runs a/__init__.py
    dir = join(dir, part);
    start = dot + 1;
  }
}

void ImportGraph::add_edges(const std::string& rel, const std::vector<ImportSpec>& specs) {
  std::set<std::string>& out = edges_[rel];
  for (const auto& s : specs) {
    std::vector<std::string> bases;
    if (s.level > 0) {
      // The package a relative import starts from: the file's own directory, then up.
      std::string dir = parent_dir(rel);
      for (int i = 1; i < s.level; ++i) dir = parent_dir(dir);
      bases.push_back(dir);
    } else {
      bases.assign(roots_.begin(), roots_.end());
    }
    for (const auto& base : bases) {
      std::string module_dir = base;
      if (!s.module.empty()) {
        resolve(base, s.module, out);
        std::string path = s.module;
        std::replace(path.begin(), path.end(), '.', '/');
        module_dir = join(base, path);
      } else if (version_.has(join(base, "__init__.py"))) {
        out.insert(join(base, "__init__.py"));
      }
      // `from pkg import name`: name may be a submodule.
      for (const auto& name : s.names) {
        if (name != "*") resolve(module_dir, name, out);
      }
    }
  }
  out.erase(rel);
  for (const auto& target : out) reverse_[target].insert(rel);
}

const std::set<std::string>& ImportGraph::imports_of(const std::string& rel) const {
  static const std::set<std::string> none;
  auto it = edges_.find(rel);
  return it == edges_.end() ? none : it->second;
}

std::set<std::string> ImportGraph::closure(const std::string& rel) const {
  std::set<std::string> seen{rel};
  std::vector<std::string> todo{rel};
  while (!todo.empty()) {
    std::string f = todo.back();
    todo.pop_back();
    for (const auto& next : imports_of(f)) {
      if (seen.insert(next).second) todo.push_back(next);
    }
  }
  return seen;
}

std::set<std::string> ImportGraph::importers(const std::set<std::string>& files) const {
  std::set<std::string> seen(files);
  std::vector<std::string> todo(files.begin(), files.end());
  while (!todo.empty()) {
    std::string f = todo.back();
    todo.pop_back();
    auto it = reverse_.find(f);
    if (it == reverse_.end()) continue;
    for (const auto& importer : it->second) {
      if (seen.insert(importer).second) todo.push_back(importer);
    }
  }
  return seen;
}

}  // namespace ckg::changes
