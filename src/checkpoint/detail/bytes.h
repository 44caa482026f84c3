// Bounds-checked little-endian reading and overflow-checked size arithmetic. Every size or offset
// that comes from a file goes through these before it indexes memory or sizes an allocation.
#pragma once

#include <cstdint>
#include <cstring>
#include <optional>
#include <string_view>

namespace ckg::checkpoint::detail {

inline std::optional<std::uint64_t> checked_add(std::uint64_t a, std::uint64_t b) {
  std::uint64_t out;
  if (__builtin_add_overflow(a, b, &out)) return std::nullopt;
  return out;
}

inline std::optional<std::uint64_t> checked_mul(std::uint64_t a, std::uint64_t b) {
  std::uint64_t out;
  if (__builtin_mul_overflow(a, b, &out)) return std::nullopt;
  return out;
}

// Is [offset, offset + length) inside a buffer of `size` bytes?
inline bool range_fits(std::uint64_t offset, std::uint64_t length, std::uint64_t size) {
  return offset <= size && length <= size - offset;
}

template <class T>
T load_le(const char* p) {
  T value = 0;
  for (std::size_t i = 0; i < sizeof(T); ++i) {
    value |= static_cast<T>(static_cast<unsigned char>(p[i])) << (8 * i);
  }
  return value;
}

// A read position over a byte view; reads fail (nullopt) instead of running past the end.
class ByteCursor {
 public:
  explicit ByteCursor(std::string_view bytes, std::uint64_t pos = 0) : bytes_(bytes), pos_(pos) {}

  std::uint64_t pos() const { return pos_; }
  std::uint64_t remaining() const { return pos_ <= bytes_.size() ? bytes_.size() - pos_ : 0; }
  bool at_end() const { return remaining() == 0; }
  std::string_view rest() const { return at_end() ? std::string_view() : bytes_.substr(pos_); }

  std::optional<std::uint8_t> u8() { return read<std::uint8_t>(); }
  std::optional<std::uint16_t> u16() { return read<std::uint16_t>(); }
  std::optional<std::uint32_t> u32() { return read<std::uint32_t>(); }
  std::optional<std::uint64_t> u64() { return read<std::uint64_t>(); }

  std::optional<std::string_view> take(std::uint64_t n) {
    if (n > remaining()) return std::nullopt;
    std::string_view out = bytes_.substr(pos_, n);
    pos_ += n;
    return out;
  }

  bool skip(std::uint64_t n) {
    if (n > remaining()) return false;
    pos_ += n;
    return true;
  }

 private:
  template <class T>
  std::optional<T> read() {
    if (sizeof(T) > remaining()) return std::nullopt;
    T value = load_le<T>(bytes_.data() + pos_);
    pos_ += sizeof(T);
    return value;
  }

  std::string_view bytes_;
  std::uint64_t pos_;
};

}  // namespace ckg::checkpoint::detail
