// Key-by-key bit-exact comparison: one pass over both sides' bytes feeds the digests and the
// comparison, so verifying costs about one read of each side.
#include "values/verify.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <unordered_map>
#include <unordered_set>

#include <ATen/ATen.h>
#include <fmt/format.h>

#include "values/tensor_digest.h"

namespace ckg::values {

namespace {

// Small enough that both sides' chunks are still in L2 when the digest re-reads them.
constexpr std::size_t kChunkBytes = 128 << 10;

std::string describe_tensor(const at::Tensor& tensor) {
  return fmt::format("{} [{}]", dtype_name(tensor.scalar_type()), fmt::join(tensor.sizes(), ", "));
}

std::vector<std::int64_t> unravel(std::uint64_t flat, at::IntArrayRef sizes) {
  std::vector<std::int64_t> index(sizes.size());
  for (std::size_t i = sizes.size(); i-- > 0;) {
    index[i] = static_cast<std::int64_t>(flat % static_cast<std::uint64_t>(sizes[i]));
    flat /= static_cast<std::uint64_t>(sizes[i]);
  }
  return index;
}

// "-0 (0x80000000)": the value as Python would print it and its raw bits, because the
// differences this finds are often invisible in the value alone (signed zeros, NaN payloads).
std::string element_text(const at::Tensor& dense, std::uint64_t flat) {
  const at::Scalar value = dense.reshape(-1)[static_cast<std::int64_t>(flat)].item();
  // Shortest round-trip text at the tensor's own precision: 0.1f shows as 0.1, not 0.100000001.
  const bool wide = dense.scalar_type() == at::kDouble || dense.scalar_type() == at::kComplexDouble;
  const auto text = [wide](double x) {
    return wide ? fmt::format("{}", x) : fmt::format("{}", static_cast<float>(x));
  };
  std::string shown;
  if (value.isComplex()) {
    const auto z = value.toComplexDouble();
    const char* sign = std::signbit(z.imag()) ? "" : "+";
    shown = fmt::format("({}{}{}j)", text(z.real()), sign, text(z.imag()));
  } else if (value.isFloatingPoint()) {
    shown = text(value.toDouble());
  } else if (value.isBoolean()) {
    shown = value.toBool() ? "True" : "False";
  } else {
    shown = fmt::format("{}", value.toLong());
  }
  const std::size_t itemsize = dense.element_size();
  const auto* bytes = static_cast<const unsigned char*>(dense.data_ptr()) + flat * itemsize;
  std::string bits;
  for (std::size_t i = itemsize; i-- > 0;) bits += fmt::format("{:02x}", bytes[i]);
  return fmt::format("{} (0x{})", shown, bits);
}

template <std::size_t N>
std::uint64_t count_differing(const char* a, const char* b, std::uint64_t elements) {
  std::uint64_t count = 0;
  for (std::uint64_t i = 0; i < elements; ++i) count += std::memcmp(a + i * N, b + i * N, N) != 0;
  return count;
}

std::uint64_t count_differing(std::size_t itemsize, const char* a, const char* b,
                              std::uint64_t elements) {
  switch (itemsize) {
    case 1: return count_differing<1>(a, b, elements);
    case 2: return count_differing<2>(a, b, elements);
    case 4: return count_differing<4>(a, b, elements);
    case 8: return count_differing<8>(a, b, elements);
    default: return count_differing<16>(a, b, elements);
  }
}

// Labels for the two sides in details: "checkpoint" and "model" (or "other").
struct Sides {
  const char* ours;
  const char* theirs;
};

KeyVerdict compare(const std::string& name, const at::Tensor& saved, const at::Tensor& live,
                   const Sides& sides) {
  KeyVerdict verdict;
  verdict.name = name;
  if (saved.scalar_type() != live.scalar_type() || saved.sizes() != live.sizes()) {
    verdict.status = saved.scalar_type() != live.scalar_type() ? KeyStatus::dtype_differs
                                                               : KeyStatus::shape_differs;
    verdict.checkpoint_digest = tensor_digest(saved);
    verdict.model_digest = tensor_digest(live);
    verdict.detail = fmt::format("{} {}, {} {}", sides.ours, describe_tensor(saved), sides.theirs,
                                 describe_tensor(live));
    return verdict;
  }

  const at::Tensor a = dense_cpu(saved), b = dense_cpu(live);
  // While the bytes agree one digest serves both sides; it forks at the first differing chunk.
  // Equal tensors, the common case, then cost one comparison and one hash.
  Digest digest_a(a.scalar_type(), a.sizes());
  std::optional<Digest> digest_b;
  const auto* pa = static_cast<const char*>(a.data_ptr());
  const auto* pb = static_cast<const char*>(b.data_ptr());
  const std::uint64_t size = a.nbytes();
  std::optional<std::uint64_t> first_byte;
  for (std::uint64_t at = 0; at < size; at += kChunkBytes) {
    const std::size_t length = std::min<std::uint64_t>(kChunkBytes, size - at);
    if (!first_byte && std::memcmp(pa + at, pb + at, length) != 0) {
      first_byte = at + (std::mismatch(pa + at, pa + at + length, pb + at).first - (pa + at));
      digest_b.emplace(digest_a);
    }
    digest_a.update(pa + at, length);
    if (digest_b) digest_b->update(pb + at, length);
  }
  verdict.checkpoint_digest = digest_a.hex();
  verdict.model_digest = digest_b ? digest_b->hex() : *verdict.checkpoint_digest;
  if (!first_byte) return verdict;

  const std::size_t itemsize = a.element_size();
  const std::uint64_t first = *first_byte / itemsize;
  verdict.status = KeyStatus::bytes_differ;
  verdict.first_difference = unravel(first, a.sizes());
  verdict.differing_elements = count_differing(itemsize, pa + first * itemsize,
                                               pb + first * itemsize, a.numel() - first);
  verdict.detail = fmt::format("{} of {} elements differ; first at [{}]: {} {}, {} {}",
                               verdict.differing_elements, a.numel(),
                               fmt::join(verdict.first_difference, ", "), sides.ours,
                               element_text(a, first), sides.theirs, element_text(b, first));
  return verdict;
}

// Values are read from the mapping directly, so the records' CRCs are checked first: a flipped bit
// in tensor data must be an error, not a difference or a digest (issue 16, catalogue item 8).
checkpoint::Status records_intact(const MappedCheckpoint& checkpoint) {
  return checkpoint::verify_records(checkpoint.path(), checkpoint.info());
}

Result<VerifyReport> verify(const MappedCheckpoint& checkpoint, const NamedTensors& model,
                            const Sides& sides) {
  if (auto intact = records_intact(checkpoint); !intact) return std::move(intact).error();
  auto entries = checkpoint.state_dict();
  if (!entries) return std::move(entries).error();
  std::unordered_map<std::string, std::size_t> by_name;
  for (std::size_t i = 0; i < model.size(); ++i) by_name.emplace(model[i].first, i);

  VerifyReport report;
  std::unordered_set<std::string> matched;
  for (const auto& [key, index] : *entries) {
    auto saved = checkpoint.tensor(index);
    if (!saved) return std::move(saved).error();
    const auto found = by_name.find(key);
    if (found == by_name.end()) {
      KeyVerdict verdict;
      verdict.name = key;
      verdict.status = KeyStatus::unexpected;
      verdict.checkpoint_digest = tensor_digest(*saved);
      verdict.detail = fmt::format("only in the {}", sides.ours);
      report.unexpected.push_back(key);
      report.keys.push_back(std::move(verdict));
      continue;
    }
    matched.insert(key);
    report.keys.push_back(compare(key, *saved, model[found->second].second, sides));
  }
  for (const auto& [key, tensor] : model) {
    if (matched.count(key)) continue;
    KeyVerdict verdict;
    verdict.name = key;
    verdict.status = KeyStatus::missing;
    verdict.model_digest = tensor_digest(tensor);
    verdict.detail = fmt::format("only in the {}", sides.theirs);
    report.missing.push_back(key);
    report.keys.push_back(std::move(verdict));
  }
  return report;
}

}  // namespace

std::string_view to_string(KeyStatus status) {
  switch (status) {
    case KeyStatus::equal: return "equal";
    case KeyStatus::dtype_differs: return "dtype_differs";
    case KeyStatus::shape_differs: return "shape_differs";
    case KeyStatus::bytes_differ: return "bytes_differ";
    case KeyStatus::missing: return "missing";
    case KeyStatus::unexpected: return "unexpected";
  }
  return "unknown";
}

bool VerifyReport::equal() const {
  return std::all_of(keys.begin(), keys.end(),
                     [](const KeyVerdict& key) { return key.status == KeyStatus::equal; });
}

Result<VerifyReport> verify_state_dict(const MappedCheckpoint& checkpoint,
                                       const NamedTensors& model) {
  return verify(checkpoint, model, {"checkpoint", "model"});
}

Result<VerifyReport> verify_checkpoints(const MappedCheckpoint& checkpoint,
                                        const MappedCheckpoint& other) {
  if (auto intact = records_intact(other); !intact) return std::move(intact).error();
  auto entries = other.state_dict();
  if (!entries) return std::move(entries).error();
  NamedTensors tensors;
  for (const auto& [key, index] : *entries) {
    auto tensor = other.tensor(index);
    if (!tensor) return std::move(tensor).error();
    tensors.emplace_back(key, std::move(tensor).value());
  }
  return verify(checkpoint, tensors, {"checkpoint", "other"});
}

Result<std::vector<std::pair<std::string, std::string>>> state_dict_digests(
    const MappedCheckpoint& checkpoint) {
  if (auto intact = records_intact(checkpoint); !intact) return std::move(intact).error();
  auto entries = checkpoint.state_dict();
  if (!entries) return std::move(entries).error();
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& [key, index] : *entries) {
    auto tensor = checkpoint.tensor(index);
    if (!tensor) return std::move(tensor).error();
    out.emplace_back(key, tensor_digest(*tensor));
  }
  return out;
}

}  // namespace ckg::values
