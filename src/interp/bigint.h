// Arbitrary-precision integers for Python ints that leave int64 (Value keeps small ints inline).
//
// Sign and magnitude in 32-bit limbs, least significant first, no leading zero limbs; zero is
// an empty magnitude. Division and modulo floor as Python's do; shifts and bitwise operators
// act on the infinite two's complement form, as Python's do. Callers bound sizes: nothing here
// refuses to grow (see Limits::max_int_bits).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ckg::interp {

class BigInt {
 public:
  BigInt() = default;
  explicit BigInt(std::int64_t v);
  // The integer part of a finite double (int(1e300)); nullopt for inf and nan.
  static std::optional<BigInt> from_double(double d);
  // Digits in `base` (2..36) without sign, prefix or underscores; nullopt when one is not a digit.
  static std::optional<BigInt> parse(std::string_view digits, int base, bool negative = false);

  bool negative() const { return negative_; }
  bool is_zero() const { return magnitude_.empty(); }
  std::optional<std::int64_t> to_int64() const;
  double to_double() const;  // inf when out of range, as the caller must then raise OverflowError
  std::size_t bit_length() const;  // of the magnitude, as int.bit_length()
  // Digits in `base` (2..36, lower case), with a leading '-' when negative and no prefix.
  std::string to_string(int base = 10) const;

  int compare(const BigInt& other) const;
  BigInt operator-() const;
  friend BigInt operator+(const BigInt& a, const BigInt& b);
  friend BigInt operator-(const BigInt& a, const BigInt& b);
  friend BigInt operator*(const BigInt& a, const BigInt& b);
  // Floor division and modulo; `divisor` must not be zero.
  static void divmod(const BigInt& a, const BigInt& divisor, BigInt* quotient, BigInt* remainder);
  // a / b correctly rounded to a double, as CPython's int true division; nullopt when the
  // quotient is too large for a float. `b` must not be zero.
  static std::optional<double> true_divide(const BigInt& a, const BigInt& b);
  BigInt shifted_left(std::size_t bits) const;
  BigInt shifted_right(std::size_t bits) const;  // floors, as Python's >> does for negatives
  friend BigInt operator&(const BigInt& a, const BigInt& b);
  friend BigInt operator|(const BigInt& a, const BigInt& b);
  friend BigInt operator^(const BigInt& a, const BigInt& b);
  BigInt inverted() const;  // ~x == -x - 1

 private:
  using Limbs = std::vector<std::uint32_t>;
  BigInt(bool negative, Limbs magnitude);
  static int compare_magnitude(const Limbs& a, const Limbs& b);
  static Limbs add_magnitude(const Limbs& a, const Limbs& b);
  static Limbs sub_magnitude(const Limbs& a, const Limbs& b);  // a >= b
  static void divmod_magnitude(const Limbs& a, const Limbs& b, Limbs* q, Limbs* r);
  // The two's complement form in `limbs` limbs (enough for the sign bit), and back.
  Limbs twos_complement(std::size_t limbs) const;
  static BigInt from_twos_complement(Limbs limbs);
  static void negate(Limbs& limbs);  // in place, two's complement
  template <class Op> static BigInt bitwise(const BigInt& a, const BigInt& b, Op op);
  void trim();

  bool negative_ = false;
  Limbs magnitude_;
};

}  // namespace ckg::interp
