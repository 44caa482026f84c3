// The registry: every lint rule, one line each, in code order.
#include "analyzers/lint.h"

#define CKG_LINT_RULES(X)                 \
  X(ckg301_nonstrict_load_ignored)        \
  X(ckg302_wrapper_state_dict_saved)      \
  X(ckg303_environment_dependent_module)  \
  X(ckg304_optimizer_saved_apart)         \
  X(ckg305_unguarded_key_prefix_strip)    \
  X(ckg306_state_dict_loaded_into_wrapper) \
  X(ckg401_torch_load_without_weights_only) \
  X(ckg402_whole_module_saved)

namespace ckg::lint {

#define CKG_DECLARE_RULE(name) const Rule& name();
CKG_LINT_RULES(CKG_DECLARE_RULE)
#undef CKG_DECLARE_RULE

const std::vector<Rule>& rules() {
#define CKG_LIST_RULE(name) name(),
  static const std::vector<Rule> all = {CKG_LINT_RULES(CKG_LIST_RULE)};
#undef CKG_LIST_RULE
  return all;
}

}  // namespace ckg::lint
