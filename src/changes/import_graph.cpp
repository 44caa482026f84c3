// ImportGraph: import statements resolved to files.
#include "changes/import_graph.h"

#include <algorithm>

namespace ckg::changes {

namespace {

std::string parent_dir(const std::string& rel) {
  std::size_t slash = rel.rfind('/');
  return slash == std::string::npos ? std::string() : rel.substr(0, slash);
}

std::string join(const std::string& dir, const std::string& name) { return dir.empty() ? name : dir + "/" + name; }

bool is_init(const std::string& rel) {
  return rel == "__init__.py" || (rel.size() > 12 && rel.compare(rel.size() - 12, 12, "/__init__.py") == 0);
}

}  // namespace

ImportGraph::ImportGraph(const ProjectVersion& old_version, const ProjectVersion& new_version, AnalysisCache& cache) {
  for (const auto* v : {&old_version, &new_version}) {
    for (const auto& [rel, id] : v->python_files()) {
      if (index_.emplace(rel, static_cast<int>(files_.size())).second) files_.push_back(rel);
    }
  }
  edges_.resize(files_.size());
  reverse_.resize(files_.size());
  // sys.path candidates: the root, src/, and the directory above every top-level package.
  std::set<std::string> roots{""};
  for (const auto& rel : files_) {
    if (!is_init(rel)) continue;
    std::string up = parent_dir(parent_dir(rel));
    while (index_.count(join(up, "__init__.py"))) up = parent_dir(up);
    roots.insert(up);
    if (rel.rfind("src/", 0) == 0) roots.insert("src");
  }
  roots_.assign(roots.begin(), roots.end());
  const auto& old_files = old_version.python_files();
  for (const auto* v : {&old_version, &new_version}) {
    for (const auto& [rel, known] : v->python_files()) {
      if (v == &new_version && !known.empty()) {
        // An unchanged file (the same id the old version already knows) has no new imports.
        auto old = old_files.find(rel);
        if (old != old_files.end() && old->second == known) continue;
      }
      std::optional<std::string> id = v->content_id(rel);
      if (!id) continue;
      const std::vector<ImportSpec>* specs = cache.imports(*id);
      if (!specs) {
        std::string error;
        std::optional<std::string> text = v->read(rel, &error);
        cache.remember_imports(*id, text ? scan_imports(*text) : std::vector<ImportSpec>{});
        specs = cache.imports(*id);
      }
      add_edges(index_.at(rel), *specs);
    }
  }
  for (std::size_t from = 0; from < edges_.size(); ++from) {
    auto& out = edges_[from];
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    out.erase(std::remove(out.begin(), out.end(), static_cast<int>(from)), out.end());
    for (int to : out) reverse_[static_cast<std::size_t>(to)].push_back(static_cast<int>(from));
  }
}

int ImportGraph::id_of(const std::string& rel) const {
  auto it = index_.find(rel);
  return it == index_.end() ? -1 : it->second;
}

void ImportGraph::resolve(const std::string& base, const std::string& dotted, std::vector<int>& out) const {
  std::string dir = base;
  std::size_t start = 0;
  while (true) {
    std::size_t dot = dotted.find('.', start);
    std::string part = dotted.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    if (part.empty()) return;
    int package = id_of(join(join(dir, part), "__init__.py"));
    if (package >= 0) out.push_back(package);  // importing a.b runs a/__init__.py
    if (dot == std::string::npos) {
      if (int module = id_of(join(dir, part + ".py")); module >= 0) out.push_back(module);
      return;
    }
    dir = join(dir, part);
    start = dot + 1;
  }
}

void ImportGraph::add_edges(int from, const std::vector<ImportSpec>& specs) {
  std::vector<int>& out = edges_[static_cast<std::size_t>(from)];
  const std::string& rel = files_[static_cast<std::size_t>(from)];
  for (const auto& s : specs) {
    std::vector<std::string> bases;
    if (s.level > 0) {
      // The package a relative import starts from: the file's own directory, then up.
      std::string dir = parent_dir(rel);
      for (int i = 1; i < s.level; ++i) dir = parent_dir(dir);
      bases.push_back(dir);
    } else {
      bases = roots_;
    }
    std::string path = s.module;
    std::replace(path.begin(), path.end(), '.', '/');
    for (const auto& base : bases) {
      if (!s.module.empty()) resolve(base, s.module, out);
      else if (int init = id_of(join(base, "__init__.py")); init >= 0) out.push_back(init);
      // `from pkg import name`: name may be a submodule.
      std::string module_dir = s.module.empty() ? base : join(base, path);
      for (const auto& name : s.names) {
        if (name != "*") resolve(module_dir, name, out);
      }
    }
  }
}

std::set<std::string> ImportGraph::closure(const std::string& rel) const {
  std::set<std::string> out{rel};
  int start = id_of(rel);
  if (start < 0) return out;
  std::vector<char> seen(files_.size(), 0);
  std::vector<int> todo{start};
  seen[static_cast<std::size_t>(start)] = 1;
  while (!todo.empty()) {
    int f = todo.back();
    todo.pop_back();
    for (int next : edges_[static_cast<std::size_t>(f)]) {
      if (!seen[static_cast<std::size_t>(next)]) {
        seen[static_cast<std::size_t>(next)] = 1;
        todo.push_back(next);
        out.insert(files_[static_cast<std::size_t>(next)]);
      }
    }
  }
  return out;
}

std::set<std::string> ImportGraph::importers(const std::set<std::string>& files) const {
  std::set<std::string> out(files);
  std::vector<char> seen(files_.size(), 0);
  std::vector<int> todo;
  for (const auto& f : files) {
    if (int i = id_of(f); i >= 0) seen[static_cast<std::size_t>(i)] = 1, todo.push_back(i);
  }
  while (!todo.empty()) {
    int f = todo.back();
    todo.pop_back();
    for (int importer : reverse_[static_cast<std::size_t>(f)]) {
      if (!seen[static_cast<std::size_t>(importer)]) {
        seen[static_cast<std::size_t>(importer)] = 1;
        todo.push_back(importer);
        out.insert(files_[static_cast<std::size_t>(importer)]);
      }
    }
  }
  return out;
}

}  // namespace ckg::changes
