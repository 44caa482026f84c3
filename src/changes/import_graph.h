// Which project files each file may import, found from its import statements resolved the way
// Python would from any plausible sys.path entry of the project (its root, a src/ layout, every
// package root). One graph serves both versions of a change: files of either version, with the
// imports of either content. Over-approximating is safe: an edge too many only makes a model
// "affected" that then compares equal.
#pragma once

#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "changes/analysis_cache.h"
#include "changes/project_version.h"

namespace ckg::changes {

class ImportGraph {
 public:
  ImportGraph(const ProjectVersion& old_version, const ProjectVersion& new_version, AnalysisCache& cache);

  // `rel` and everything it may import, transitively: what building its models can run.
  std::set<std::string> closure(const std::string& rel) const;
  // The files that may import any of `files`, transitively, and `files` themselves.
  std::set<std::string> importers(const std::set<std::string>& files) const;

 private:
  int id_of(const std::string& rel) const;
  void add_edges(int from, const std::vector<ImportSpec>& specs);
  // The files of module `dotted` under directory `base` ("" is the root): its own file and the
  // __init__.py of every package on the way.
  void resolve(const std::string& base, const std::string& dotted, std::vector<int>& out) const;

  std::vector<std::string> files_;  // both versions' .py files, relative
  std::unordered_map<std::string, int> index_;
  std::vector<std::string> roots_;  // directories (relative, "" for the root) that act as sys.path
  std::vector<std::vector<int>> edges_, reverse_;
};

}  // namespace ckg::changes
