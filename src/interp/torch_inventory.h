// The installed torch's real API, listed at build time (cmake/torch_inventory.py) and embedded:
// what hasattr/getattr/dir answer on torch's modules and on torch.Tensor, torch.nn.Module.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace ckg::interp::inventory {

// torch.__version__ of the torch the inventory was listed from; empty when the build had none
// (then every lookup below answers "not covered").
const std::string& listed_torch_version();

// Whether the inventory lists `dotted` (a module such as "torch.nn.functional", or a class such
// as "torch.Tensor").
bool covers(const std::string& dotted);
// Whether dir(`dotted`) has `name`. False for modules and classes the inventory does not cover.
bool has(const std::string& dotted, std::string_view name);
// dir(`dotted`), sorted; empty when not covered.
std::vector<std::string> names(const std::string& dotted);

}  // namespace ckg::interp::inventory
