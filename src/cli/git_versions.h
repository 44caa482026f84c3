// The two versions a git change compares: a revision against the index (--staged) or the work
// tree. Revisions and the index are read from git's object store through a FileSystem, never
// written out; a file whose work-tree copy is the very same blob is read from the disk.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "changes/project_version.h"
#include "cli/process.h"

namespace ckg::cli {

struct GitRequest {
  std::string base;                // a revision
  bool staged = false;             // the new version is the index, not the work tree
  std::vector<std::string> paths;  // limit the change to these paths (as given)
};

struct GitChange {
  std::string top;  // the repository's work tree root
  std::vector<std::string> changed;  // .py files that differ, relative to `top`
  std::unique_ptr<changes::ProjectVersion> old_version, new_version;
  std::vector<std::shared_ptr<parse::FileSystem>> keep_alive;  // the versions read through these
};

// The change, or a one-line error (not a repository, an unknown revision, a path that exists
// nowhere).
std::variant<GitChange, std::string> read_git_change(const GitRequest& request);

}  // namespace ckg::cli
