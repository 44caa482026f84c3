// Hashing and comparing tensor bytes; the only place ckptguard touches tensor values.
#include "values/tensor_digest.h"

#include <cstring>

#include <ATen/ATen.h>
#include <fmt/format.h>
#include <xxhash.h>

namespace ckg::values {

static at::Tensor dense_cpu(const at::Tensor& t) { return t.detach().to(at::kCPU).contiguous(); }

std::string tensor_digest(const at::Tensor& tensor) {
  at::Tensor t = dense_cpu(tensor);
  XXH3_state_t* state = XXH3_createState();
  XXH3_64bits_reset(state);
  std::string header = std::string(c10::toString(t.scalar_type()));
  for (auto d : t.sizes()) header += fmt::format(",{}", d);
  XXH3_64bits_update(state, header.data(), header.size());
  XXH3_64bits_update(state, t.data_ptr(), t.numel() * t.element_size());
  XXH64_hash_t h = XXH3_64bits_digest(state);
  XXH3_freeState(state);
  return fmt::format("{:016x}", h);
}

bool bit_equal(const at::Tensor& a, const at::Tensor& b) {
  if (a.scalar_type() != b.scalar_type() || a.sizes() != b.sizes()) return false;
  at::Tensor x = dense_cpu(a), y = dense_cpu(b);
  return std::memcmp(x.data_ptr(), y.data_ptr(), x.numel() * x.element_size()) == 0;
}

}  // namespace ckg::values
