// Hashing and comparing tensor bytes; the only place ckptguard touches tensor values.
#include "values/tensor_digest.h"

#include <cstring>

#include <ATen/ATen.h>
#include <fmt/format.h>
#include <xxhash.h>
#if defined(__x86_64__)
// libxxhash's runtime dispatch picks AVX2/AVX-512 where the CPU has them: about twice the
// hashing speed of the SSE2 baseline, which bounds verification throughput. Same digests.
#include <xxh_x86dispatch.h>
#endif

namespace ckg::values {

at::Tensor dense_cpu(const at::Tensor& tensor) {
  return tensor.detach().to(at::kCPU).resolve_conj().resolve_neg().contiguous();
}

void Digest::Free::operator()(XXH3_state_s* state) const { XXH3_freeState(state); }

Digest::Digest(at::ScalarType dtype, at::IntArrayRef sizes) : state_(XXH3_createState()) {
  XXH3_64bits_reset(state_.get());
  std::string header = std::string(c10::toString(dtype));
  for (auto d : sizes) header += fmt::format(",{}", d);
  update(header.data(), header.size());
}

Digest::Digest(const Digest& other) : state_(XXH3_createState()) {
  XXH3_copyState(state_.get(), other.state_.get());
}

void Digest::update(const void* data, std::size_t size) {
  XXH3_64bits_update(state_.get(), data, size);
}

std::string Digest::hex() const { return fmt::format("{:016x}", XXH3_64bits_digest(state_.get())); }

std::string tensor_digest(const at::Tensor& tensor) {
  at::Tensor t = dense_cpu(tensor);
  Digest digest(t.scalar_type(), t.sizes());
  digest.update(t.data_ptr(), t.nbytes());
  return digest.hex();
}

bool bit_equal(const at::Tensor& a, const at::Tensor& b) {
  if (a.scalar_type() != b.scalar_type() || a.sizes() != b.sizes()) return false;
  at::Tensor x = dense_cpu(a), y = dense_cpu(b);
  return x.nbytes() == 0 || std::memcmp(x.data_ptr(), y.data_ptr(), x.nbytes()) == 0;
}

}  // namespace ckg::values
