// Arbitrary-precision integers: schoolbook algorithms (Knuth's algorithm D for division), enough
// for the few large constants model code computes.
#include "interp/bigint.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace ckg::interp {

namespace {
constexpr std::uint64_t kBase = std::uint64_t{1} << 32;
}

BigInt::BigInt(std::int64_t v) {
  negative_ = v < 0;
  // the magnitude of INT64_MIN does not fit int64: negate in unsigned arithmetic
  std::uint64_t m = negative_ ? ~static_cast<std::uint64_t>(v) + 1 : static_cast<std::uint64_t>(v);
  while (m != 0) {
    magnitude_.push_back(static_cast<std::uint32_t>(m));
    m >>= 32;
  }
}

BigInt::BigInt(bool negative, Limbs magnitude) : negative_(negative), magnitude_(std::move(magnitude)) { trim(); }

void BigInt::trim() {
  while (!magnitude_.empty() && magnitude_.back() == 0) magnitude_.pop_back();
  if (magnitude_.empty()) negative_ = false;
}

std::optional<BigInt> BigInt::from_double(double d) {
  if (!std::isfinite(d)) return std::nullopt;
  d = std::trunc(d);
  bool negative = d < 0;
  d = std::fabs(d);
  int exponent = 0;
  double mantissa = std::frexp(d, &exponent);  // d = mantissa * 2^exponent, mantissa in [0.5, 1)
  if (exponent <= 0) return BigInt();
  // the 53 significant bits, as an integer, then shifted into place
  int bits = std::min(exponent, 64);
  auto top = static_cast<std::uint64_t>(std::ldexp(mantissa, bits));
  BigInt out(false, {static_cast<std::uint32_t>(top), static_cast<std::uint32_t>(top >> 32)});
  out = out.shifted_left(static_cast<std::size_t>(exponent - bits));
  out.negative_ = negative && !out.is_zero();
  return out;
}

std::optional<BigInt> BigInt::parse(std::string_view digits, int base, bool negative) {
  if (digits.empty() || base < 2 || base > 36) return std::nullopt;
  BigInt out;
  for (char c : digits) {
    int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'z' ? c - 'a' + 10 : c >= 'A' && c <= 'Z' ? c - 'A' + 10 : 99;
    if (d >= base) return std::nullopt;
    // out = out * base + d, limb by limb
    std::uint64_t carry = static_cast<std::uint64_t>(d);
    for (auto& limb : out.magnitude_) {
      std::uint64_t t = static_cast<std::uint64_t>(limb) * static_cast<std::uint64_t>(base) + carry;
      limb = static_cast<std::uint32_t>(t);
      carry = t >> 32;
    }
    if (carry != 0) out.magnitude_.push_back(static_cast<std::uint32_t>(carry));
  }
  out.negative_ = negative;
  out.trim();
  return out;
}

std::optional<std::int64_t> BigInt::to_int64() const {
  if (magnitude_.size() > 2) return std::nullopt;
  std::uint64_t m = 0;
  for (std::size_t i = magnitude_.size(); i-- > 0;) m = (m << 32) | magnitude_[i];
  constexpr std::uint64_t kMaxPositive = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
  if (!negative_) {
    if (m > kMaxPositive) return std::nullopt;
    return static_cast<std::int64_t>(m);
  }
  if (m > kMaxPositive + 1) return std::nullopt;
  return m == kMaxPositive + 1 ? std::numeric_limits<std::int64_t>::min() : -static_cast<std::int64_t>(m);
}

double BigInt::to_double() const {
  // Rounds from the top 64 bits with a sticky bit for the rest, so the result is correctly
  // rounded as CPython's is.
  std::size_t bits = bit_length();
  if (bits > 1024) return negative_ ? -HUGE_VAL : HUGE_VAL;
  double out = 0;
  if (bits <= 64) {
    std::uint64_t m = 0;
    for (std::size_t i = magnitude_.size(); i-- > 0;) m = (m << 32) | magnitude_[i];
    out = static_cast<double>(m);
  } else {
    std::size_t drop = bits - 64;
    BigInt top = BigInt(false, magnitude_).shifted_right(drop);
    std::uint64_t m = 0;
    for (std::size_t i = top.magnitude_.size(); i-- > 0;) m = (m << 32) | top.magnitude_[i];
    // the dropped bits only break ties, and bit 0 is far below the rounding position
    if (BigInt(false, magnitude_).compare(top.shifted_left(drop)) != 0) m |= 1;
    out = std::ldexp(static_cast<double>(m), static_cast<int>(drop));
  }
  return negative_ ? -out : out;
}

std::size_t BigInt::bit_length() const {
  if (magnitude_.empty()) return 0;
  std::size_t bits = (magnitude_.size() - 1) * 32;
  for (std::uint32_t top = magnitude_.back(); top != 0; top >>= 1) ++bits;
  return bits;
}

std::string BigInt::to_string(int base) const {
  if (magnitude_.empty()) return "0";
  // Peel off as many digits at a time as a power of `base` below 2**32 holds.
  std::uint32_t chunk = static_cast<std::uint32_t>(base);
  int chunk_digits = 1;
  while (static_cast<std::uint64_t>(chunk) * static_cast<std::uint64_t>(base) <= 0xFFFFFFFFull) {
    chunk *= static_cast<std::uint32_t>(base);
    ++chunk_digits;
  }
  Limbs m = magnitude_;
  std::vector<std::uint32_t> chunks;
  while (!m.empty()) {
    std::uint64_t rem = 0;
    for (std::size_t i = m.size(); i-- > 0;) {
      std::uint64_t cur = (rem << 32) | m[i];
      m[i] = static_cast<std::uint32_t>(cur / chunk);
      rem = cur % chunk;
    }
    while (!m.empty() && m.back() == 0) m.pop_back();
    chunks.push_back(static_cast<std::uint32_t>(rem));
  }
  const auto digits = [&](std::uint32_t value, bool pad) {
    std::string out;
    do {
      out.insert(out.begin(), "0123456789abcdefghijklmnopqrstuvwxyz"[value % static_cast<std::uint32_t>(base)]);
      value /= static_cast<std::uint32_t>(base);
    } while (value);
    if (pad) out.insert(0, static_cast<std::size_t>(chunk_digits) - out.size(), '0');
    return out;
  };
  std::string out = negative_ ? "-" : "";
  out += digits(chunks.back(), false);
  for (std::size_t i = chunks.size() - 1; i-- > 0;) out += digits(chunks[i], true);
  return out;
}

std::optional<double> BigInt::true_divide(const BigInt& a, const BigInt& b) {
  constexpr std::size_t kExact = 53;  // below 2**53 both convert exactly: one rounding, in the division
  if (a.bit_length() <= kExact && b.bit_length() <= kExact) return a.to_double() / b.to_double();
  // Scale |a| / |b| to a quotient of 55 or 56 bits, and keep a sticky low bit when the division
  // is inexact: converting that to a double then rounds exactly once, to nearest even.
  BigInt num = a.negative() ? -a : a, den = b.negative() ? -b : b;
  const long shift = 55 - (static_cast<long>(num.bit_length()) - static_cast<long>(den.bit_length()));
  if (shift > 0) num = num.shifted_left(static_cast<std::size_t>(shift));
  else den = den.shifted_left(static_cast<std::size_t>(-shift));
  BigInt quotient, remainder;
  divmod(num, den, &quotient, &remainder);
  std::uint64_t q = static_cast<std::uint64_t>(*quotient.to_int64());
  if (!remainder.is_zero()) q |= 1;
  const double magnitude = std::ldexp(static_cast<double>(q), static_cast<int>(-shift));
  if (std::isinf(magnitude)) return std::nullopt;
  return a.negative() != b.negative() ? -magnitude : magnitude;
}

int BigInt::compare_magnitude(const Limbs& a, const Limbs& b) {
  if (a.size() != b.size()) return a.size() < b.size() ? -1 : 1;
  for (std::size_t i = a.size(); i-- > 0;) {
    if (a[i] != b[i]) return a[i] < b[i] ? -1 : 1;
  }
  return 0;
}

int BigInt::compare(const BigInt& other) const {
  if (negative_ != other.negative_) return negative_ ? -1 : 1;
  int c = compare_magnitude(magnitude_, other.magnitude_);
  return negative_ ? -c : c;
}

BigInt::Limbs BigInt::add_magnitude(const Limbs& a, const Limbs& b) {
  const Limbs& longer = a.size() >= b.size() ? a : b;
  const Limbs& shorter = a.size() >= b.size() ? b : a;
  Limbs out(longer.size() + 1);
  std::uint64_t carry = 0;
  for (std::size_t i = 0; i < longer.size(); ++i) {
    std::uint64_t t = static_cast<std::uint64_t>(longer[i]) + (i < shorter.size() ? shorter[i] : 0) + carry;
    out[i] = static_cast<std::uint32_t>(t);
    carry = t >> 32;
  }
  out[longer.size()] = static_cast<std::uint32_t>(carry);
  return out;
}

BigInt::Limbs BigInt::sub_magnitude(const Limbs& a, const Limbs& b) {
  Limbs out(a.size());
  std::int64_t borrow = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    std::int64_t t = static_cast<std::int64_t>(a[i]) - (i < b.size() ? b[i] : 0) - borrow;
    borrow = t < 0 ? 1 : 0;
    out[i] = static_cast<std::uint32_t>(t + (borrow ? static_cast<std::int64_t>(kBase) : 0));
  }
  return out;
}

BigInt BigInt::operator-() const {
  BigInt out = *this;
  if (!out.is_zero()) out.negative_ = !negative_;
  return out;
}

BigInt operator+(const BigInt& a, const BigInt& b) {
  if (a.negative_ == b.negative_) return BigInt(a.negative_, BigInt::add_magnitude(a.magnitude_, b.magnitude_));
  int c = BigInt::compare_magnitude(a.magnitude_, b.magnitude_);
  if (c == 0) return BigInt();
  if (c > 0) return BigInt(a.negative_, BigInt::sub_magnitude(a.magnitude_, b.magnitude_));
  return BigInt(b.negative_, BigInt::sub_magnitude(b.magnitude_, a.magnitude_));
}

BigInt operator-(const BigInt& a, const BigInt& b) { return a + -b; }

BigInt operator*(const BigInt& a, const BigInt& b) {
  if (a.is_zero() || b.is_zero()) return BigInt();
  BigInt::Limbs out(a.magnitude_.size() + b.magnitude_.size());
  for (std::size_t i = 0; i < a.magnitude_.size(); ++i) {
    std::uint64_t carry = 0;
    for (std::size_t j = 0; j < b.magnitude_.size(); ++j) {
      std::uint64_t t = static_cast<std::uint64_t>(a.magnitude_[i]) * b.magnitude_[j] + out[i + j] + carry;
      out[i + j] = static_cast<std::uint32_t>(t);
      carry = t >> 32;
    }
    out[i + b.magnitude_.size()] = static_cast<std::uint32_t>(carry);
  }
  return BigInt(a.negative_ != b.negative_, std::move(out));
}

// Knuth, TAOCP vol. 2, 4.3.1, algorithm D: truncating division of magnitudes.
void BigInt::divmod_magnitude(const Limbs& a, const Limbs& b, Limbs* q, Limbs* r) {
  if (compare_magnitude(a, b) < 0) {
    *q = {};
    *r = a;
    return;
  }
  if (b.size() == 1) {
    q->assign(a.size(), 0);
    std::uint64_t rem = 0;
    for (std::size_t i = a.size(); i-- > 0;) {
      std::uint64_t cur = (rem << 32) | a[i];
      (*q)[i] = static_cast<std::uint32_t>(cur / b[0]);
      rem = cur % b[0];
    }
    *r = {static_cast<std::uint32_t>(rem)};
    return;
  }
  // normalise so the divisor's top limb has its high bit set
  int shift = 0;
  for (std::uint32_t top = b.back(); (top & 0x80000000u) == 0; top <<= 1) ++shift;
  auto shl = [shift](const Limbs& x, std::size_t extra) {
    Limbs out(x.size() + extra, 0);
    for (std::size_t i = 0; i < x.size(); ++i) {
      std::uint64_t t = static_cast<std::uint64_t>(x[i]) << shift;
      out[i] |= static_cast<std::uint32_t>(t);
      if (i + 1 < out.size()) out[i + 1] |= static_cast<std::uint32_t>(t >> 32);
    }
    return out;
  };
  Limbs v = shl(b, 0);
  Limbs u = shl(a, 1);
  std::size_t n = v.size(), m = a.size() - n;
  q->assign(m + 1, 0);
  for (std::size_t j = m + 1; j-- > 0;) {
    std::uint64_t numerator = (static_cast<std::uint64_t>(u[j + n]) << 32) | u[j + n - 1];
    std::uint64_t qhat = numerator / v[n - 1];
    std::uint64_t rhat = numerator % v[n - 1];
    while (qhat >= kBase || qhat * v[n - 2] > ((rhat << 32) | u[j + n - 2])) {
      --qhat;
      rhat += v[n - 1];
      if (rhat >= kBase) break;
    }
    // u[j..j+n] -= qhat * v
    std::int64_t borrow = 0;
    std::uint64_t carry = 0;
    for (std::size_t i = 0; i < n; ++i) {
      std::uint64_t p = qhat * v[i] + carry;
      carry = p >> 32;
      std::int64_t t = static_cast<std::int64_t>(u[i + j]) - static_cast<std::int64_t>(p & 0xffffffffu) - borrow;
      borrow = t < 0 ? 1 : 0;
      u[i + j] = static_cast<std::uint32_t>(t);
    }
    std::int64_t t = static_cast<std::int64_t>(u[j + n]) - static_cast<std::int64_t>(carry) - borrow;
    u[j + n] = static_cast<std::uint32_t>(t);
    if (t < 0) {
      // qhat was one too large: add the divisor back
      --qhat;
      std::uint64_t c = 0;
      for (std::size_t i = 0; i < n; ++i) {
        std::uint64_t s = static_cast<std::uint64_t>(u[i + j]) + v[i] + c;
        u[i + j] = static_cast<std::uint32_t>(s);
        c = s >> 32;
      }
      u[j + n] = static_cast<std::uint32_t>(static_cast<std::uint64_t>(u[j + n]) + c);
    }
    (*q)[j] = static_cast<std::uint32_t>(qhat);
  }
  // unnormalise the remainder
  r->assign(n, 0);
  for (std::size_t i = 0; i < n; ++i) {
    std::uint64_t t = (static_cast<std::uint64_t>(u[i]) >> shift);
    if (shift != 0) t |= (static_cast<std::uint64_t>(u[i + 1]) << (32 - shift)) & 0xffffffffu;
    (*r)[i] = static_cast<std::uint32_t>(t);
  }
}

void BigInt::divmod(const BigInt& a, const BigInt& divisor, BigInt* quotient, BigInt* remainder) {
  Limbs q, r;
  divmod_magnitude(a.magnitude_, divisor.magnitude_, &q, &r);
  BigInt qv(a.negative_ != divisor.negative_, std::move(q));
  BigInt rv(a.negative_, std::move(r));
  // truncation to floor: a remainder whose sign differs from the divisor's moves one step
  if (!rv.is_zero() && rv.negative_ != divisor.negative_) {
    qv = qv - BigInt(1);
    rv = rv + divisor;
  }
  if (quotient) *quotient = std::move(qv);
  if (remainder) *remainder = std::move(rv);
}

BigInt BigInt::shifted_left(std::size_t bits) const {
  if (is_zero()) return *this;
  std::size_t limbs = bits / 32, rest = bits % 32;
  Limbs out(magnitude_.size() + limbs + 1, 0);
  for (std::size_t i = 0; i < magnitude_.size(); ++i) {
    std::uint64_t t = static_cast<std::uint64_t>(magnitude_[i]) << rest;
    out[i + limbs] |= static_cast<std::uint32_t>(t);
    out[i + limbs + 1] |= static_cast<std::uint32_t>(t >> 32);
  }
  return BigInt(negative_, std::move(out));
}

BigInt BigInt::shifted_right(std::size_t bits) const {
  if (negative_) return -((-*this - BigInt(1)).shifted_right(bits)) - BigInt(1);  // floor(x / 2^n)
  std::size_t limbs = bits / 32, rest = bits % 32;
  if (limbs >= magnitude_.size()) return BigInt();
  Limbs out(magnitude_.size() - limbs, 0);
  for (std::size_t i = 0; i < out.size(); ++i) {
    std::uint64_t t = magnitude_[i + limbs] >> rest;
    if (rest != 0 && i + limbs + 1 < magnitude_.size()) t |= (static_cast<std::uint64_t>(magnitude_[i + limbs + 1]) << (32 - rest)) & 0xffffffffu;
    out[i] = static_cast<std::uint32_t>(t);
  }
  return BigInt(false, std::move(out));
}

// -x in two's complement over a fixed number of limbs: invert, add one.
void BigInt::negate(Limbs& limbs) {
  std::uint64_t carry = 1;
  for (auto& limb : limbs) {
    std::uint64_t t = static_cast<std::uint64_t>(~limb) + carry;
    limb = static_cast<std::uint32_t>(t);
    carry = t >> 32;
  }
}

BigInt::Limbs BigInt::twos_complement(std::size_t limbs) const {
  Limbs out(limbs, 0);
  std::copy(magnitude_.begin(), magnitude_.end(), out.begin());
  if (negative_) negate(out);
  return out;
}

BigInt BigInt::from_twos_complement(Limbs limbs) {
  bool negative = !limbs.empty() && (limbs.back() & 0x80000000u) != 0;
  if (negative) negate(limbs);
  return BigInt(negative, std::move(limbs));
}

template <class Op>
BigInt BigInt::bitwise(const BigInt& a, const BigInt& b, Op op) {
  std::size_t limbs = std::max(a.magnitude_.size(), b.magnitude_.size()) + 1;
  Limbs x = a.twos_complement(limbs), y = b.twos_complement(limbs);
  for (std::size_t i = 0; i < limbs; ++i) x[i] = op(x[i], y[i]);
  return from_twos_complement(std::move(x));
}

BigInt operator&(const BigInt& a, const BigInt& b) { return BigInt::bitwise(a, b, [](std::uint32_t x, std::uint32_t y) { return x & y; }); }
BigInt operator|(const BigInt& a, const BigInt& b) { return BigInt::bitwise(a, b, [](std::uint32_t x, std::uint32_t y) { return x | y; }); }
BigInt operator^(const BigInt& a, const BigInt& b) { return BigInt::bitwise(a, b, [](std::uint32_t x, std::uint32_t y) { return x ^ y; }); }

BigInt BigInt::inverted() const { return -*this - BigInt(1); }

}  // namespace ckg::interp
