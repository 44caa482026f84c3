// A lint rule: its documentation (RuleInfo) and a check over one parsed file. Each rule lives in
// its own file (ckgNNN_<name>.cpp) and is listed once in registry.cpp.
#pragma once

#include <vector>

#include "analyzers/context.h"
#include "diagnostics/diagnostic.h"

namespace ckg::lint {

using CheckFn = void (*)(const Context& ctx, std::vector<diag::Diagnostic>& out);

struct Rule {
  diag::RuleInfo info;
  CheckFn check;
};

}  // namespace ckg::lint
