// One version of a project's source: a git revision, the index, the work tree or a directory.
// Files are read through a FileSystem under the version's root, so two versions can live at the
// same paths (a revision is never written out).
#pragma once

#include <map>
#include <optional>
#include <string>

#include "parse/file_system.h"

namespace ckg::changes {

class ProjectVersion {
 public:
  // `python_files` maps every .py file (relative to `root`) to its content id when the caller
  // knows it (git does), or to "" to have it read and hashed on first use.
  ProjectVersion(std::string label, std::string root, const parse::FileSystem& files,
                 std::map<std::string, std::string> python_files);

  // Every .py file under `root` on the disk, ids read lazily.
  static ProjectVersion directory(std::string label, const std::string& root);

  const std::string& label() const { return label_; }
  const std::string& root() const { return root_; }
  const parse::FileSystem& files() const { return *files_; }
  std::string path_of(const std::string& rel) const { return root_ + "/" + rel; }

  bool has(const std::string& rel) const { return python_files_.count(rel) > 0; }
  const std::map<std::string, std::string>& python_files() const { return python_files_; }
  // The file's content id (git's blob id), or nullopt when the version has no such file or it
  // cannot be read.
  std::optional<std::string> content_id(const std::string& rel) const;
  std::optional<std::string> read(const std::string& rel, std::string* error) const;

 private:
  std::string label_;
  std::string root_;
  const parse::FileSystem* files_;
  mutable std::map<std::string, std::string> python_files_;
};

}  // namespace ckg::changes
