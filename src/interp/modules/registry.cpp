// The one list of module overlays: adding a modelled module means one line here.
#include <map>

#include "interp/modules/modules.h"

namespace ckg::interp::modules {

Installer find(const std::string& dotted) {
  static const std::map<std::string, Installer> overlays = {
      {"re", install_re},
      {"dataclasses", install_dataclasses},
      {"enum", install_enum},
      {"functools", install_functools},
      {"numpy", install_numpy},
      {"collections", install_collections},
      {"sys", install_sys},
      {"os", install_os},
      {"numbers", install_numbers},
      {"itertools", install_itertools},
      {"operator", install_operator},
      {"abc", install_abc},
      {"contextlib", install_contextlib},
      {"string", install_string},
      {"torch.distributed", install_torch_distributed},
  };
  auto it = overlays.find(dotted);
  return it == overlays.end() ? nullptr : it->second;
}

}  // namespace ckg::interp::modules
