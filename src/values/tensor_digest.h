// Tensor values with libtorch: content hashes and bit-exact comparison.
#pragma once

#include <cstddef>
#include <memory>
#include <string>

#include <ATen/core/Tensor.h>

struct XXH3_state_s;

namespace ckg::values {

// The bytes every digest and comparison reads: `tensor` on the CPU, dense in C order, with lazy
// conjugation and negation applied (otherwise a .conj() view would hash as its input).
at::Tensor dense_cpu(const at::Tensor& tensor);

// tensor_digest fed piecewise, so a comparison can hash both sides in the same pass over memory.
class Digest {
 public:
  Digest(at::ScalarType dtype, at::IntArrayRef sizes);
  Digest(const Digest& other);  // forks: both continue from the bytes hashed so far
  Digest& operator=(const Digest&) = delete;
  void update(const void* data, std::size_t size);
  std::string hex() const;

 private:
  struct Free {
    void operator()(XXH3_state_s* state) const;
  };
  std::unique_ptr<XXH3_state_s, Free> state_;
};

// xxh3-64 of a tensor's dtype, shape and raw bytes (in C order), as 16 hex digits.
std::string tensor_digest(const at::Tensor& tensor);

// True when both tensors have the same dtype and shape and identical bytes (NaNs included).
bool bit_equal(const at::Tensor& a, const at::Tensor& b);

}  // namespace ckg::values
