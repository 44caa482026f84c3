// Tensor values with libtorch: content hashes and bit-exact comparison.
#pragma once

#include <string>

#include <ATen/core/Tensor.h>

namespace ckg::values {

// xxh3-64 of a tensor's dtype, shape and raw bytes (in C order), as 16 hex digits.
std::string tensor_digest(const at::Tensor& tensor);

// True when both tensors have the same dtype and shape and identical bytes (NaNs included).
bool bit_equal(const at::Tensor& a, const at::Tensor& b);

}  // namespace ckg::values
