// A content-addressed cache of analysis results on disk, as ruff's: entries are keyed by the
// content ids of everything they depend on plus the tool's build id, so an entry can never be
// stale, only unused. Safe under concurrent runs (every write is a rename of a complete file).
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "changes/import_scan.h"

namespace ckg::changes {

class AnalysisCache {
 public:
  // A cache that stores nothing.
  AnalysisCache() = default;
  // A cache under `dir` (made on first write, with a .gitignore and CACHEDIR.TAG).
  AnalysisCache(std::string dir, std::string tool_id);
  ~AnalysisCache();
  AnalysisCache(const AnalysisCache&) = delete;
  AnalysisCache& operator=(const AnalysisCache&) = delete;

  bool enabled() const { return !dir_.empty(); }
  std::optional<std::string> get(const std::string& kind, const std::string& key) const;
  void put(const std::string& kind, const std::string& key, const std::string& value);

  // The imports of a file by content id: one small index for the whole project, since every run
  // needs the imports of every file.
  const std::vector<ImportSpec>* imports(const std::string& content_id);
  void remember_imports(const std::string& content_id, std::vector<ImportSpec> specs);

  int hits() const { return hits_; }
  int misses() const { return misses_; }

 private:
  std::string entry_path(const std::string& kind, const std::string& key) const;
  void write_atomically(const std::string& path, const std::string& value) const;
  void load_imports();

  std::string dir_;
  std::string tool_id_;
  bool imports_loaded_ = false;
  bool imports_grew_ = false;
  struct FileImports {
    std::vector<ImportSpec> specs;
    bool used = false;  // looked up or added by this run
  };
  std::unordered_map<std::string, FileImports> imports_;
  mutable int hits_ = 0, misses_ = 0;
};

}  // namespace ckg::changes
