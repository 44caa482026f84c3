// Checking [tool.ckptguard.configs] keys against the classes a project defines.
#include "changes/configured_classes.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <map>
#include <optional>

#include "index/project_index.h"
#include "text/did_you_mean.h"

namespace ckg::changes {

namespace {

namespace fs = std::filesystem;

// Top-level class names of a file, read from the text (`class Name` at column 0): no parse, so
// checking a bare name against a large project stays cheap.
std::vector<std::string> top_level_classes(const std::string& source) {
  std::vector<std::string> out;
  std::size_t at = 0;
  while (at < source.size()) {
    std::size_t end = source.find('\n', at);
    if (end == std::string::npos) end = source.size();
    std::string_view line(source.data() + at, end - at);
    if (line.rfind("class ", 0) == 0) {
      std::size_t name_end = 6;
      while (name_end < line.size() && (std::isalnum(static_cast<unsigned char>(line[name_end])) || line[name_end] == '_' ||
                                         static_cast<unsigned char>(line[name_end]) >= 0x80)) {
        ++name_end;
      }
      if (name_end > 6) out.emplace_back(line.substr(6, name_end - 6));
    }
    at = end + 1;
  }
  return out;
}

class Project {
 public:
  explicit Project(const ProjectVersion& version) : version_(version) {}

  const std::vector<std::string>& classes_of(const std::string& rel) {
    auto [it, added] = classes_.try_emplace(rel);
    if (added) {
      std::string error;
      if (auto source = version_.read(rel, &error)) it->second = top_level_classes(*source);
    }
    return it->second;
  }
  // The file of module `dotted` (as its package tree names it), if the project has it.
  std::optional<std::string> module_file(const std::string& dotted) {
    std::string tail = dotted;
    std::replace(tail.begin(), tail.end(), '.', '/');
    for (const std::string& suffix : {tail + ".py", tail + "/__init__.py"}) {
      for (const auto& [rel, id] : version_.python_files()) {
        if ((rel == suffix || (rel.size() > suffix.size() && rel.compare(rel.size() - suffix.size(), suffix.size(), suffix) == 0 &&
                               rel[rel.size() - suffix.size() - 1] == '/')) &&
            index::locate_module(version_.path_of(rel)).dotted_name == dotted) {
          return rel;
        }
      }
    }
    return std::nullopt;
  }
  std::vector<std::string> module_names() const {
    std::vector<std::string> out;
    for (const auto& [rel, id] : version_.python_files()) out.push_back(index::locate_module(version_.path_of(rel)).dotted_name);
    return out;
  }
  bool has(const std::string& rel) const { return version_.has(rel); }
  std::vector<std::string> files() const {
    std::vector<std::string> out;
    for (const auto& [rel, id] : version_.python_files()) out.push_back(rel);
    return out;
  }

 private:
  const ProjectVersion& version_;
  std::map<std::string, std::vector<std::string>> classes_;
};

// Why `key` names no class, or nullopt when it names one.
std::optional<std::string> problem(Project& project, const std::string& key, const fs::path& config_dir, const fs::path& root) {
  const auto missing_class = [&](const std::string& name, const std::string& rel) -> std::optional<std::string> {
    const auto& classes = project.classes_of(rel);
    if (std::find(classes.begin(), classes.end(), name) != classes.end()) return std::nullopt;
    std::string hint = text::did_you_mean_suffix(name, classes);
    // A class renamed by a refactor is rarely a near miss: say what the file has instead.
    if (hint.empty() && !classes.empty() && classes.size() <= 5) hint = fmt::format(" (it defines {})", fmt::join(classes, ", "));
    return fmt::format("no class {} in {}{}", name, rel, hint);
  };
  if (auto colons = key.find("::"); colons != std::string::npos) {
    const std::string name = key.substr(colons + 2);
    const std::string rel = (config_dir / key.substr(0, colons)).lexically_normal().lexically_relative(root).string();
    if (project.has(rel)) return missing_class(name, rel);
    return fmt::format("no file {}{}", key.substr(0, colons), text::did_you_mean_suffix(rel, project.files()));
  }
  if (auto colon = key.find(':'); colon != std::string::npos) {
    const std::string dotted = key.substr(0, colon), name = key.substr(colon + 1);
    if (auto rel = project.module_file(dotted)) return missing_class(name, *rel);
    return fmt::format("no module {} in the project{}", dotted, text::did_you_mean_suffix(dotted, project.module_names()));
  }
  std::vector<std::string> all;
  for (const std::string& rel : project.files()) {
    for (const std::string& name : project.classes_of(rel)) {
      if (name == key) return std::nullopt;
      all.push_back(name);
    }
  }
  return fmt::format("no class {} in the project{}", key, text::did_you_mean_suffix(key, all));
}

}  // namespace

std::vector<std::string> unknown_configured_classes(const config::LintConfig& config, const ProjectVersion& project) {
  std::vector<std::string> out;
  Project classes(project);
  for (const auto& [key, arguments] : config.model_configs) {
    if (auto why = problem(classes, key, fs::path(config.root), fs::path(project.root()))) {
      out.push_back(fmt::format("[tool.ckptguard.configs.\"{}\"]: {}", key, *why));
    }
  }
  return out;
}

}  // namespace ckg::changes
