// BigInt against CPython: each expected string is what /usr/bin/python3 printed for the
// expression (written by a script, not by hand), with a = 2**100 + 12345678901234567,
// b = -(10**20) - 7, c = 2**64 - 1, d = -(2**63).
#include "interp/bigint.h"

#include <cmath>
#include <string>

#include <gtest/gtest.h>

namespace ckg::interp {
namespace {

BigInt parse(const char* digits) {
  bool negative = digits[0] == '-';
  return *BigInt::parse(negative ? digits + 1 : digits, 10, negative);
}

BigInt evaluate(const std::string& expr) {
  BigInt a = parse("1267650600228241747175604439943"), b = parse("-100000000000000000007"), c = parse("18446744073709551615"), d(std::int64_t{-9223372036854775807 - 1});
  BigInt q, r;
  if (expr == "a + b") return a + b;
  if (expr == "b - a") return b - a;
  if (expr == "a * b") return a * b;
  if (expr == "c * c") return c * c;
  if (expr == "a // b") { BigInt::divmod(a, b, &q, nullptr); return q; }
  if (expr == "a % b") { BigInt::divmod(a, b, nullptr, &r); return r; }
  if (expr == "b // 3") { BigInt::divmod(b, BigInt(3), &q, nullptr); return q; }
  if (expr == "b % 3") { BigInt::divmod(b, BigInt(3), nullptr, &r); return r; }
  if (expr == "d // -1") { BigInt::divmod(d, BigInt(-1), &q, nullptr); return q; }
  if (expr == "d % -1") { BigInt::divmod(d, BigInt(-1), nullptr, &r); return r; }
  if (expr == "a & b") return a & b;
  if (expr == "a | b") return a | b;
  if (expr == "a ^ b") return a ^ b;
  if (expr == "~b") return b.inverted();
  if (expr == "b << 77") return b.shifted_left(77);
  if (expr == "b >> 5") return b.shifted_right(5);
  if (expr == "a >> 99") return a.shifted_right(99);
  ADD_FAILURE() << "no such case " << expr;
  return BigInt();
}

struct Case {
  const char* expr;
  const char* cpython;
};

const Case kCases[] = {
    {"a + b", "1267650600128241747175604439936"},
    {"b - a", "-1267650600328241747175604439950"},
    {"a * b", "-126765060022824174726433998195897692230229231079601"},
    {"c * c", "340282366920938463426481119284349108225"},
    {"a // b", "-12676506003"},
    {"a % b", "-71758252913131102078"},
    {"b // 3", "-33333333333333333336"},
    {"b % 3", "1"},
    {"d // -1", "9223372036854775808"},
    {"d % -1", "0"},
    {"a & b", "1267650600228240801577334164353"},
    {"a | b", "-99999054401729724417"},
    {"a ^ b", "-1267650600328239855979063888770"},
    {"~b", "100000000000000000006"},
    {"b << 77", "-15111572745182864684885010092162800527867904"},
    {"b >> 5", "-3125000000000000001"},
    {"a >> 99", "2"},
};

TEST(BigInt, OperatorsEqualCPython) {
  for (const Case& c : kCases) EXPECT_EQ(evaluate(c.expr).to_string(), c.cpython) << c.expr;
}

TEST(BigInt, Int64RoundTripsAndEdges) {
  for (std::int64_t v : {std::int64_t{0}, std::int64_t{-1}, std::int64_t{9223372036854775807}, std::int64_t{-9223372036854775807 - 1}}) {
    EXPECT_EQ(BigInt(v).to_int64(), v);
    EXPECT_EQ(BigInt(v).to_string(), std::to_string(v));
  }
  EXPECT_FALSE(parse("9223372036854775808").to_int64());
  EXPECT_FALSE(parse("-9223372036854775809").to_int64());
}

TEST(BigInt, FloatConversionsEqualCPython) {
  EXPECT_EQ(BigInt::from_double(1e300)->to_string(), "1000000000000000052504760255204420248704468581108159154915854115511802457988908195786371375080447864043704443832883878176942523235360430575644792184786706982848387200926575803737830233794788090059368953234970799945081119038967640880074652742780142494579258788820056842838115669472196386865459400540160");
  EXPECT_EQ(BigInt::from_double(-1.5e19)->to_string(), "-15000000000000000000");
  EXPECT_FALSE(BigInt::from_double(INFINITY));
  EXPECT_EQ(parse("9007199254740993").to_double(), 9007199254740992.0);  // a tie: rounds to even
  EXPECT_EQ(parse("10715086071862674399097777272826468344064046636975784179445665211219077755866848677684509516480457417410598326100611940090850485011301580799652774010623141036599032656739931611797746963030270296027082049591235971174938567148548532413364509448381133440250348756613008577296514194967754645849484719816705").to_double(), 1.0715086071862676e+301);  // a tie broken by a low bit
  EXPECT_TRUE(std::isinf(parse("179769313486231590772930519078902473361797697894230657273430081157732675805500963132708477322407536021120113879871393357658789768814416622492847430639474124377767893424865485276302219601246094119453082952085005768838150682342462881473913110540827237163350510684586298239947245938479716304835356329624224137216").to_double()));
}

}  // namespace
}  // namespace ckg::interp
