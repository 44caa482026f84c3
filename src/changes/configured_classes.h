// [tool.ckptguard.configs] keys checked against the project: a key naming no class (a typo, or a
// class renamed by the very change being checked) would otherwise never match, and the model it
// meant would be analysed without its arguments, or skipped, without a word.
#pragma once

#include <string>
#include <vector>

#include "changes/project_version.h"
#include "config/lint_config.h"

namespace ckg::changes {

// One message per key of `config.model_configs` that names no top-level class of `project`
// (the files under the config's directory): `[tool.ckptguard.configs."pkg.model:Clasifier"]: no
// class Clasifier in pkg/model.py (did you mean 'Classifier'?)`. Keys are "module:Class",
// "path/file.py::Class" (relative to the config's directory) or a bare "Class".
std::vector<std::string> unknown_configured_classes(const config::LintConfig& config, const ProjectVersion& project);

}  // namespace ckg::changes
