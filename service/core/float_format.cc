#include "service/core/float_format.h"

#include <cmath>
#include <cstdint>
#include <cstring>

// Header-only {fmt} (see //third_party/system:fmt) brings Dragonbox's
// to_decimal inline; only the shortest digits are taken from it, the layout
// is Python's and written here.
#include "fmt/format.h"
#include "service/core/number_text.h"

namespace ocs_influx::core {
namespace {

constexpr char kDigitPairs[] =
    "00010203040506070809101112131415161718192021222324252627282930313233343536"
    "37383940414243444546474849505152535455565758596061626364656667686970717273"
    "7475767778798081828384858687888990919293949596979899";

inline void WritePair(uint32_t v, char* at) {
  std::memcpy(at, kDigitPairs + 2 * v, 2);
}

// The `n` digits of `v` (Dragonbox gives at most 17) at `at`, as blocks of
// eight with no loop; a block may write leading zeros into the 8 bytes
// before `at`, which the caller keeps free. Past 8 digits, 16 and 17 take
// the same path (the 17th digit, maybe a 0, lands in that slack for 16):
// which of the two a full-precision double has is a coin toss, and the
// branch between them cost 5-9 % of FormatDouble.
inline void WriteDigits(uint64_t v, int n, char* at) {
  if (n <= 8) {
    WriteEightDigits(static_cast<uint32_t>(v), at + n - 8);
    return;
  }
  const uint64_t high = v / 100000000;
  const uint64_t top = high / 100000000;
  WriteEightDigits(static_cast<uint32_t>(v - high * 100000000), at + n - 8);
  WriteEightDigits(static_cast<uint32_t>(high - top * 100000000), at + n - 16);
  at[n - 17] = static_cast<char>('0' + top);
}

}  // namespace

char* FormatDouble(double value, char* out) {
  // The sign without a branch: where readings take both signs, a branch on
  // it is mispredicted half the time, which cost 5-12 % of this function on
  // values in [-500, 500] (docs/benchmarks.md, twelfth round).
  *out = '-';
  out += std::signbit(value);
  value = std::fabs(value);
  if (value == 0) {
    std::memcpy(out, "0.0", 3);
    return out + 3;
  }
  // value = significand * 10^exponent, with the fewest digits that read
  // back to it (trailing zeros removed).
  const auto decimal = fmt::detail::dragonbox::to_decimal(value);
  const uint64_t significand = decimal.significand;
  const int n = fmt::detail::count_digits(significand);
  // Python's decpt: value = 0.d1d2...dn * 10^decpt.
  const int decpt = n + decimal.exponent;
  // The digits go to a scratch buffer first, then into place with copies of
  // a fixed size (two moves each, no call): kMaxDoubleChars leaves room for
  // the bytes they write past the end, which the caller ignores.
  char scratch[48];
  char* const digits = scratch + 8;  // 8 bytes of slack for WriteDigits
  WriteDigits(significand, n, digits);
  if (decpt > -4 && decpt <= 16) {
    if (decpt <= 0) {  // 0.000ddd
      std::memcpy(out, "0.000", 5);
      out += 2 - decpt;
      std::memcpy(out, digits, 17);
      return out + n;
    }
    if (decpt >= n) {  // ddd000.0
      std::memcpy(out, digits, 17);
      out += n;
      std::memset(out, '0', 16);
      out += decpt - n;
      std::memcpy(out, ".0", 2);
      return out + 2;
    }
    // dd.ddd
    std::memcpy(out, digits, 16);
    out[decpt] = '.';
    std::memcpy(out + decpt + 1, digits + decpt, 16);
    return out + n + 1;
  }
  // d.ddde+XX, or de+XX for one digit; the exponent has two digits at least.
  out[0] = digits[0];
  out[1] = '.';
  std::memcpy(out + 2, digits + 1, 16);
  out += n > 1 ? n + 1 : 1;
  int exponent = decpt - 1;
  out[0] = 'e';
  out[1] = exponent < 0 ? '-' : '+';
  out += 2;
  if (exponent < 0) exponent = -exponent;
  if (exponent >= 100) {
    *out++ = static_cast<char>('0' + exponent / 100);
    exponent %= 100;
  }
  WritePair(static_cast<uint32_t>(exponent), out);
  return out + 2;
}

void AppendDouble(double value, std::string* out) {
  char buffer[kMaxDoubleChars];
  char* end = FormatDouble(value, buffer);
  out->append(buffer, end - buffer);
}

}  // namespace ocs_influx::core
