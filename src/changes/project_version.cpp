// ProjectVersion: files and their content ids.
#include "changes/project_version.h"

#include <filesystem>

#include "changes/content_id.h"
#include "parse/source_file.h"

namespace ckg::changes {

namespace fs = std::filesystem;

ProjectVersion::ProjectVersion(std::string label, std::string root, const parse::FileSystem& files,
                               std::map<std::string, std::string> python_files)
    : label_(std::move(label)), root_(std::move(root)), files_(&files), python_files_(std::move(python_files)) {}

ProjectVersion ProjectVersion::directory(std::string label, const std::string& root) {
  std::error_code ec;
  std::string top = fs::absolute(root, ec).lexically_normal().string();
  if (!top.empty() && top.back() == '/') top.pop_back();
  std::map<std::string, std::string> files;
  for (auto it = fs::recursive_directory_iterator(top, fs::directory_options::skip_permission_denied, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    const fs::path& p = it->path();
    std::string name = p.filename().string();
    // Hidden directories, caches and virtual environments are not the project's source.
    if (it->is_directory(ec) && (name.front() == '.' || name == "__pycache__" || name == "node_modules")) {
      it.disable_recursion_pending();
      continue;
    }
    if (p.extension() == ".py" && it->is_regular_file(ec)) files.emplace(p.lexically_relative(top).string(), "");
  }
  return ProjectVersion(std::move(label), top, parse::disk(), std::move(files));
}

std::optional<std::string> ProjectVersion::read(const std::string& rel, std::string* error) const {
  return files_->read(path_of(rel), parse::kMaxSourceBytes, error);
}

std::optional<std::string> ProjectVersion::content_id(const std::string& rel) const {
  auto it = python_files_.find(rel);
  if (it == python_files_.end()) return std::nullopt;
  if (it->second.empty()) {
    std::string error;
    auto bytes = read(rel, &error);
    if (!bytes) return std::nullopt;
    it->second = blob_id(*bytes);
  }
  return it->second;
}

}  // namespace ckg::changes
