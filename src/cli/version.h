// `ckptguard --version`: what this copy of ckptguard is made of.
#pragma once

#include <ostream>

namespace ckg::cli {

// Prints the tool version, the Python grammar, the torch release whose torch.nn API the layer
// catalogue models, and whether the libtorch checker (the _checker extension) is installed with
// this copy: found as a file next to the package this code belongs to, not loaded (that needs
// Python and torch; `python -m ckptguard --version` imports it).
void print_version(std::ostream& out);

}  // namespace ckg::cli
