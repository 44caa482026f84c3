// SHA-1 (FIPS 180-4), used only to name content: git's blob ids and cache keys.
#include "changes/content_id.h"

#include <array>
#include <cstdint>

#include <fmt/format.h>

namespace ckg::changes {

namespace {

std::uint32_t rotl(std::uint32_t v, int n) { return (v << n) | (v >> (32 - n)); }

class Sha1 {
 public:
  void update(std::string_view data) {
    for (char c : data) {
      block_[fill_++] = static_cast<std::uint8_t>(c);
      if (fill_ == 64) process(), fill_ = 0;
    }
    length_ += data.size();
  }

  std::string hex() {
    std::uint64_t bits = length_ * 8;
    update(std::string_view("\x80", 1));
    while (fill_ != 56) update(std::string_view("\0", 1));
    for (int i = 7; i >= 0; --i) {
      char byte = static_cast<char>((bits >> (i * 8)) & 0xFF);
      block_[fill_++] = static_cast<std::uint8_t>(byte);
    }
    process();
    std::string out;
    for (std::uint32_t h : h_) out += fmt::format("{:08x}", h);
    return out;
  }

 private:
  void process() {
    std::array<std::uint32_t, 80> w{};
    for (int i = 0; i < 16; ++i) {
      w[i] = static_cast<std::uint32_t>(block_[i * 4]) << 24 | static_cast<std::uint32_t>(block_[i * 4 + 1]) << 16 |
             static_cast<std::uint32_t>(block_[i * 4 + 2]) << 8 | block_[i * 4 + 3];
    }
    for (int i = 16; i < 80; ++i) w[i] = rotl(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1);
    std::uint32_t a = h_[0], b = h_[1], c = h_[2], d = h_[3], e = h_[4];
    for (int i = 0; i < 80; ++i) {
      std::uint32_t f, k;
      if (i < 20) f = (b & c) | (~b & d), k = 0x5A827999;
      else if (i < 40) f = b ^ c ^ d, k = 0x6ED9EBA1;
      else if (i < 60) f = (b & c) | (b & d) | (c & d), k = 0x8F1BBCDC;
      else f = b ^ c ^ d, k = 0xCA62C1D6;
      std::uint32_t t = rotl(a, 5) + f + e + k + w[i];
      e = d, d = c, c = rotl(b, 30), b = a, a = t;
    }
    h_[0] += a, h_[1] += b, h_[2] += c, h_[3] += d, h_[4] += e;
  }

  std::array<std::uint32_t, 5> h_{0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476, 0xC3D2E1F0};
  std::array<std::uint8_t, 64> block_{};
  std::size_t fill_ = 0;
  std::uint64_t length_ = 0;
};

}  // namespace

std::string sha1_hex(std::string_view bytes) {
  Sha1 s;
  s.update(bytes);
  return s.hex();
}

std::string blob_id(std::string_view bytes) {
  Sha1 s;
  std::string header = fmt::format("blob {}", bytes.size());
  s.update(header);
  s.update(std::string_view("\0", 1));
  s.update(bytes);
  return s.hex();
}

}  // namespace ckg::changes
