// Installed libraries' definitions that cannot be followed statically, replaced once their module
// has loaded by natives that have the same effect on the model's structure.
#include <fmt/format.h>

#include "interp/interpreter.h"

namespace ckg::interp {

// torchvision.models._utils.handle_legacy_interface(weights=("pretrained", default), ...): the
// builders' shim from `pretrained=` to `weights=` (it reads signatures with inspect). Either way
// the architecture is the default's (a pretrained checkpoint fits it), so the legacy keyword
// becomes `weights=None`.
static void torchvision_legacy_interface(Interpreter& in, ModuleNs& ns) {
  Value decorator_factory = in.builtin("torchvision.models._utils.handle_legacy_interface", [](Interpreter& i, CallArgs& a) {
    std::vector<std::pair<std::string, std::string>> renames;
    for (const auto& [weights_param, spec] : a.keywords) {
      auto* t = spec.as<TupleObj>();
      if (t && !t->items.empty() && t->items[0].is_str()) renames.emplace_back(t->items[0].as_str(), weights_param);
    }
    return i.builtin("torchvision.models._utils.handle_legacy_interface.outer_wrapper", [renames](Interpreter& i, CallArgs& a) {
      const Value& builder = native_required(i, a, 0, "builder");
      auto* fn = builder.as<FunctionObj>();
      if (!fn) return builder;
      auto copy = std::make_shared<FunctionObj>(*fn);
      copy->legacy_keywords.insert(copy->legacy_keywords.end(), renames.begin(), renames.end());
      return Value::object(copy);
    });
  });
  in.set_global(&ns, "handle_legacy_interface", decorator_factory);
}

void install_library_models(Interpreter& in) {
  // einops is not followed: its layers (Rearrange, Reduce) hold no state, and its functions
  // dispatch through backends found by class reflection.
  in.new_native_module("einops")->opaque = true;
}

void apply_library_models(Interpreter& in, ModuleNs& ns) {
  if (ns.name == "torchvision.models._utils") torchvision_legacy_interface(in, ns);
}

}  // namespace ckg::interp
