// ckptguard._checker: the libtorch value checker, imported lazily by ckptguard.checker.
#include <torch/extension.h>

#include "values/tensor_digest.h"

PYBIND11_MODULE(_checker, m) {
  m.doc() = "ckptguard value checker (libtorch)";
  m.def("tensor_digest", &ckg::values::tensor_digest, pybind11::arg("tensor"),
        "xxh3-64 of the tensor's dtype, shape and bytes, as 16 hex digits.");
  m.def("bit_equal", &ckg::values::bit_equal, pybind11::arg("a"), pybind11::arg("b"),
        "True when dtype, shape and every byte are identical.");
}
