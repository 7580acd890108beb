#include "service/core/float_format.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <random>
#include <string>

#include "fmt/format.h"
#include "gtest/gtest.h"

namespace ocs_influx::core {
namespace {

struct Vector {
  double value;
  const char* python_repr;
};

// repr() of each value, printed by CPython 3.11.
const Vector kVectors[] = {
    {0.0, "0.0"},
    {-0.0, "-0.0"},
    {1.0, "1.0"},
    {-1.0, "-1.0"},
    {2.3, "2.3"},
    {0.1, "0.1"},
    {1e+16, "1e+16"},
    {1000000000000000.0, "1000000000000000.0"},
    {9999999999999998.0, "9999999999999998.0"},
    {0.0001, "0.0001"},
    {1e-05, "1e-05"},
    {0.00012345, "0.00012345"},
    {123456.0, "123456.0"},
    {15000000000.0, "15000000000.0"},
    {1.5e+300, "1.5e+300"},
    {-1.5e-300, "-1.5e-300"},
    {5e-324, "5e-324"},
    {1.7976931348623157e+308, "1.7976931348623157e+308"},
    {2.2250738585072014e-308, "2.2250738585072014e-308"},
    {0.3, "0.3"},
    {0.3333333333333333, "0.3333333333333333"},
    {0.6666666666666666, "0.6666666666666666"},
    {100.0, "100.0"},
    {1.2345678901234568e+18, "1.2345678901234568e+18"},
    {0.0861292206532646, "0.0861292206532646"},
    {0.040572476754158676, "0.040572476754158676"},
    {1615389657.2904894, "1615389657.2904894"},
    {1.23456e-08, "1.23456e-08"},
    {1e+22, "1e+22"},
    {1e+21, "1e+21"},
    {4.35, "4.35"},
    {-273.15, "-273.15"},
    {-1.989032661366619e+244, "-1.989032661366619e+244"},
    {7.761117632285041e+178, "7.761117632285041e+178"},
    {3.980498358697587e-249, "3.980498358697587e-249"},
    {-1.5432835417340557e+88, "-1.5432835417340557e+88"},
    {1.3647584518757569e-192, "1.3647584518757569e-192"},
    {-1.3701135617873088e-206, "-1.3701135617873088e-206"},
    {-1.7160537630466207e+197, "-1.7160537630466207e+197"},
    {6.294675241195386e-44, "6.294675241195386e-44"},
    {1.0613447212142254e-202, "1.0613447212142254e-202"},
    {4.708325160387546e+207, "4.708325160387546e+207"},
    {6.387016158513563e-12, "6.387016158513563e-12"},
    {-9.973130378568733e-246, "-9.973130378568733e-246"},
    {8.779753225680271e-236, "8.779753225680271e-236"},
    {-5.795503248498993e-228, "-5.795503248498993e-228"},
    {-5.988180159386011e+243, "-5.988180159386011e+243"},
    {-1.306052388527796e-147, "-1.306052388527796e-147"},
    {-2.436117699484841e-206, "-2.436117699484841e-206"},
    {2.233386999150174e-232, "2.233386999150174e-232"},
    {-3.51527970626667e-203, "-3.51527970626667e-203"},
    {1.5987381841032883e-247, "1.5987381841032883e-247"},
    {9.7625510559292e-09, "9.7625510559292e-09"},
    {4.658268061775628e-07, "4.658268061775628e-07"},
    {0.008584684590486795, "0.008584684590486795"},
    {2.8960928633167624, "2.8960928633167624"},
    {1442.5508335743752, "1442.5508335743752"},
    {1177922.3807836836, "1177922.3807836836"},
    {3084818241.019344, "3084818241.019344"},
    {8161263591200.314, "8161263591200.314"},
    {1807263799239374.8, "1807263799239374.8"},
    {5.816001636624663e+18, "5.816001636624663e+18"},
};

TEST(FloatFormatTest, MatchesPythonRepr) {
  for (const Vector& v : kVectors) {
    std::string out;
    AppendDouble(v.value, &out);
    EXPECT_EQ(out, v.python_repr) << "value " << v.python_repr;
  }
}

TEST(FloatFormatTest, RoundTripsRandomBitPatterns) {
  std::mt19937_64 rng(42);
  for (int i = 0; i < 200000; ++i) {
    uint64_t bits = rng();
    double x;
    std::memcpy(&x, &bits, sizeof(x));
    if (!std::isfinite(x)) continue;
    char buffer[kMaxDoubleChars + 1];
    char* end = FormatDouble(x, buffer);
    ASSERT_LE(end - buffer, static_cast<long>(kMaxDoubleChars));
    *end = '\0';
    double back = std::strtod(buffer, nullptr);
    ASSERT_EQ(std::memcmp(&back, &x, sizeof(x)), 0) << buffer;
    // Always a float to InfluxDB: a '.' or an exponent, never a bare integer.
    ASSERT_TRUE(std::strpbrk(buffer, ".e") != nullptr) << buffer;
  }
}

// The {fmt} path FormatDouble took before its own digit writer: "{}" (the
// shortest round-trip digits, fixed for decimal exponents in [-4, 16)) plus
// the ".0" Python adds to integral values. It matched kVectors and the
// 1,217 OCS vectors; the new writer must give the same bytes everywhere.
std::string ReferenceRepr(double value) {
  std::string s = fmt::format("{}", value);
  if (s.find_first_of(".e") == std::string::npos) s += ".0";
  return s;
}

std::string Repr(double value) {
  char buffer[kMaxDoubleChars];
  return std::string(buffer, FormatDouble(value, buffer));
}

// Python's repr built from libstdc++'s shortest round-trip digits (its own
// Ryu, independent of {fmt}): the digits and exponent of the scientific
// form, laid out as repr does (fixed for decimal exponents in [-4, 16)).
// The oracle for the {fmt} build options (the full Dragonbox table).
std::string ReprFromStdToChars(double value) {
  char sci[64];
  const auto r = std::to_chars(sci, sci + sizeof(sci), value,
                               std::chars_format::scientific);
  std::string text(sci, r.ptr);
  std::string sign;
  if (text[0] == '-') {
    sign = "-";
    text.erase(0, 1);
  }
  const size_t e = text.find('e');
  std::string digits = text.substr(0, e);
  digits.erase(std::remove(digits.begin(), digits.end(), '.'), digits.end());
  const int exponent = std::stoi(text.substr(e + 1));
  if (digits == "0") return sign + "0.0";
  const int n = static_cast<int>(digits.size());
  const int decpt = exponent + 1;
  if (decpt > -4 && decpt <= 16) {
    if (decpt <= 0) return sign + "0." + std::string(-decpt, '0') + digits;
    if (decpt >= n) return sign + digits + std::string(decpt - n, '0') + ".0";
    return sign + digits.substr(0, decpt) + "." + digits.substr(decpt);
  }
  std::string out = sign + digits.substr(0, 1);
  if (n > 1) out += "." + digits.substr(1);
  const int shown = decpt - 1;
  // Room for any int, so that GCC's -Wformat-truncation has nothing to say
  // (a double's exponent has at most three digits).
  char exp[16];
  std::snprintf(exp, sizeof(exp), "e%c%02d", shown < 0 ? '-' : '+', std::abs(shown));
  return out + exp;
}

// Calls `check` on millions of doubles from every class of bit pattern:
// uniform bits (every exponent), subnormals, integers, values at the
// fixed/scientific boundaries and their neighbours, short decimals. Stops at
// the first fatal failure.
template <typename Check>
void ForMillionsOfDoubles(Check check) {
  std::mt19937_64 rng(20261130);
  for (int i = 0; i < 2000000; ++i) {  // uniform bit patterns
    uint64_t bits = rng();
    double v;
    std::memcpy(&v, &bits, sizeof(v));
    check(v);
    if (::testing::Test::HasFatalFailure()) return;
  }
  for (int i = 0; i < 500000; ++i) {  // subnormals (exponent bits zero)
    uint64_t bits = rng() & ((uint64_t{1} << 52) - 1);
    if (i % 2) bits |= uint64_t{1} << 63;
    if (i < 64) bits = uint64_t{1} << (i % 52);
    double v;
    std::memcpy(&v, &bits, sizeof(v));
    check(v);
    if (::testing::Test::HasFatalFailure()) return;
  }
  for (int i = 0; i < 500000; ++i) {  // integers of every size
    int shift = static_cast<int>(rng() % 64);
    int64_t n = static_cast<int64_t>(rng() >> shift) * (i % 2 ? -1 : 1);
    check(static_cast<double>(n));
    check(std::ldexp(static_cast<double>(rng() >> 11), static_cast<int>(rng() % 200)));
    if (::testing::Test::HasFatalFailure()) return;
  }
  for (int e = -330; e <= 310; ++e) {  // powers of ten and their neighbours
    double p = std::pow(10.0, e);
    double v = p;
    for (int k = 0; k < 50; ++k) v = std::nextafter(v, 0.0);
    for (int k = 0; k < 100; ++k) {
      check(v);
      check(-v);
      v = std::nextafter(v, INFINITY);
    }
    for (int k = 1; k < 1000; ++k) check(k * p);
    if (::testing::Test::HasFatalFailure()) return;
  }
  for (int i = 0; i < 500000; ++i) {  // full-precision fixed: 1e-5 to 1e17
    check(std::pow(10.0, -5.0 + 22.0 * static_cast<double>(rng() >> 11) / 0x1p53));
    check(std::uniform_real_distribution<double>(-500, 500)(rng));
    if (::testing::Test::HasFatalFailure()) return;
  }
  for (int i = 0; i < 500000; ++i) {  // short decimals, readings and times
    check(static_cast<double>(static_cast<int64_t>(rng() % 2000001) - 1000000) / 100.0);
    check(1.6e9 + static_cast<double>(rng() % 100000000) / 1e6);
    if (::testing::Test::HasFatalFailure()) return;
  }
  check(std::numeric_limits<double>::max());
  check(std::numeric_limits<double>::min());
  check(std::numeric_limits<double>::denorm_min());
  check(-0.0);
  check(0.0);
}

// FormatDouble against `oracle` on all of ForMillionsOfDoubles.
void ExpectSameAsOnMillionsOfDoubles(std::string (*oracle)(double)) {
  int checked = 0;
  ForMillionsOfDoubles([&checked, oracle](double v) {
    if (!std::isfinite(v)) return;
    ++checked;
    ASSERT_EQ(Repr(v), oracle(v)) << std::hexfloat << v;
  });
  EXPECT_GT(checked, 5000000);
}

TEST(FloatFormatTest, MatchesTheFmtPathOnMillionsOfDoubles) {
  ExpectSameAsOnMillionsOfDoubles(ReferenceRepr);
}

// {fmt} is built with its full Dragonbox table (//third_party/system:fmt),
// which must not change a digit: libstdc++'s digits are the check.
TEST(FloatFormatTest, MatchesLibstdcxxShortestDigitsOnMillionsOfDoubles) {
  ExpectSameAsOnMillionsOfDoubles(ReprFromStdToChars);
}

}  // namespace
}  // namespace ocs_influx::core
