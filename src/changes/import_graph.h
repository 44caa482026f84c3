// Which project files each file of a version may import, found from its import statements
// resolved the way Python would from any plausible sys.path entry of the project (its root, a
// src/ layout, every package root). Over-approximating is safe: an edge too many only makes a
// model "affected" that then compares equal.
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

#include "changes/analysis_cache.h"
#include "changes/project_version.h"

namespace ckg::changes {

class ImportGraph {
 public:
  ImportGraph(const ProjectVersion& version, AnalysisCache& cache);

  // Files that may be imported by `rel` (directly).
  const std::set<std::string>& imports_of(const std::string& rel) const;
  // `rel` and everything it may import, transitively: what building its models can run.
  std::set<std::string> closure(const std::string& rel) const;
  // The files that may import any of `files`, transitively, and `files` themselves.
  std::set<std::string> importers(const std::set<std::string>& files) const;

 private:
  void add_edges(const std::string& rel, const std::vector<ImportSpec>& specs);
  // The file of module `dotted` under directory `base` ("" is the version's root), if any,
  // with the __init__.py of every package on the way.
  void resolve(const std::string& base, const std::string& dotted, std::set<std::string>& out) const;

  const ProjectVersion& version_;
  std::set<std::string> roots_;  // directories (relative, "" for the root) that act as sys.path
  std::map<std::string, std::set<std::string>> edges_, reverse_;
};

}  // namespace ckg::changes
