// Numbers of line protocol read and written once per field or line: eight
// digits to text and back, a float value the parser forwards as written,
// and a timestamp. Inline: they run in the innermost loops, where a call
// costs more than a short value's work. The scalar float reader is the
// grammar; the wide one is a faster way to the same answer for the common
// value, tested against the scalar one (number_text_test).
#ifndef OCS_INFLUX_SERVICE_CORE_NUMBER_TEXT_H_
#define OCS_INFLUX_SERVICE_CORE_NUMBER_TEXT_H_

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>

#ifdef __SSE2__
#include <emmintrin.h>
#endif

namespace ocs_influx::core {

// Eight bytes at once (a little-endian load): 0x80 in each byte that is
// not a digit; exact up to the first such byte (the bytes below it are
// digits, which neither carry nor borrow), which is all callers use.
inline uint64_t NonDigits(uint64_t v) {
  return ((v + 0x4646464646464646ULL) | (v - 0x3030303030303030ULL)) &
         0x8080808080808080ULL;
}

// The value of eight digits loaded little-endian (the first digit the most
// significant): pairs, then fours, then the eight, by multiplications
// (Lemire's method, as in simdjson and fast_float).
inline uint64_t EightDigitsValue(uint64_t v) {
  v -= 0x3030303030303030ULL;
  v = v * 10 + (v >> 8);
  constexpr uint64_t kMask = 0x000000FF000000FFULL;
  constexpr uint64_t kMul1 = 100 + (1000000ULL << 32);
  constexpr uint64_t kMul2 = 1 + (10000ULL << 32);
  return ((v & kMask) * kMul1 + ((v >> 16) & kMask) * kMul2) >> 32;
}

// Exactly 8 digits of `v` < 10^8 at `at`, in one 64-bit register (SWAR):
// v splits into two 4-digit lanes, each into two 2-digit lanes, each into
// two digits, by multiplications with the reciprocals of 10^4, 100 and 10
// (exact for every v < 10^8, checked exhaustively); the lanes come out
// least significant first, so the bytes are swapped. Little-endian.
inline void WriteEightDigits(uint32_t v, char* at) {
  const uint64_t q = (uint64_t{v} * 109951163) >> 40;  // v / 10^4
  uint64_t x = v + (0x100000000ULL - 10000) * q;       // v % 10^4, q << 32
  x += (0x10000 - 100) * (((x * 0x147b) >> 19) & 0x7f0000007fULL);
  x += (0x100 - 10) * (((x * 0x67) >> 10) & 0xf000f000f000fULL);
  x = __builtin_bswap64(x) | 0x3030303030303030ULL;
  std::memcpy(at, &x, 8);
}

// A timestamp of 19 digits, [10^18, 2^63): every nanosecond time from
// September 2001 on. Returns the end, or nullptr for any other value (the
// caller writes it with std::to_chars), whose digit loop is a chain of
// ten dependent steps where this is three independent ones.
inline char* WriteNineteenDigitTimestamp(int64_t ns, char* at) {
  if (ns < 1000000000000000000) return nullptr;
  const uint64_t v = static_cast<uint64_t>(ns);
  const uint64_t high = v / 100000000;  // 11 digits
  const uint32_t top = static_cast<uint32_t>(high / 100000000);  // 100 to 922
  at[0] = static_cast<char>('0' + top / 100);
  at[1] = static_cast<char>('0' + top / 10 % 10);
  at[2] = static_cast<char>('0' + top % 10);
  WriteEightDigits(static_cast<uint32_t>(high % 100000000), at + 3);
  WriteEightDigits(static_cast<uint32_t>(v % 100000000), at + 11);
  return at + 19;
}

// A float value at `p` that the parser may forward as written, without
// computing its double: [-]digits[.digits][(e|E)[+-]digits] (influxd's
// grammar) ending at ',', ' ' or `end`, with at most 18 significant digits
// and a decimal exponent in [-19, 20], so that its magnitude is 0 or
// between 1e-19 and 1e38 and it reads back as a finite double. Returns the
// end of the value, or nullptr for anything else (which the parser then
// reads the general way).
__attribute__((always_inline)) inline const char* KeptFloatEnd(const char* p,
                                                               const char* end) {
  // The sign as an addition, not a branch: where readings take both signs,
  // the jump the compiler made of `if (*p == '-') ++p` was mispredicted
  // half the time (docs/benchmarks.md, twelfth round).
  if (p < end) p += *p == '-';
  int significant = 0;  // digits, leading zeros not counted
  bool any_digit = false;
  int exponent = 0;
  // Skips a run of digits, eight bytes at a time while eight remain;
  // returns its length.
  auto run = [&]() __attribute__((always_inline)) -> int {
    const char* const first = p;
    while (end - p >= 8) {
      uint64_t v;
      std::memcpy(&v, p, 8);
      const uint64_t non_digits = NonDigits(v);
      if (non_digits != 0) {
        p += __builtin_ctzll(non_digits) / 8;
        return static_cast<int>(p - first);
      }
      p += 8;
    }
    while (p < end && static_cast<unsigned>(*p - '0') <= 9) ++p;
    return static_cast<int>(p - first);
  };
  while (p < end && *p == '0') ++p, any_digit = true;
  significant = run();
  if (p < end && *p == '.') {
    ++p;
    if (significant == 0) {
      const char* const zeros = p;
      while (p < end && *p == '0') ++p;
      exponent -= static_cast<int>(p - zeros);
      any_digit = any_digit || p != zeros;
    }
    const int fraction = run();
    significant += fraction;
    exponent -= fraction;
  }
  any_digit = any_digit || significant > 0;
  if (!any_digit || significant > 18) return nullptr;
  if (p < end && (*p == 'e' || *p == 'E')) {
    ++p;
    bool exp_negative = false;
    if (p < end && (*p == '+' || *p == '-')) exp_negative = *p++ == '-';
    int e = 0;
    int exp_digits = 0;
    for (; p < end && static_cast<unsigned>(*p - '0') <= 9; ++p, ++exp_digits) {
      if (e < 10000) e = e * 10 + (*p - '0');
    }
    if (exp_digits == 0) return nullptr;
    exponent += exp_negative ? -e : e;
  }
  if (p < end && *p != ',' && *p != ' ') return nullptr;
  if (exponent < -19 || exponent > 20) return nullptr;
  return p;
}

// KeptFloatEnd's answer for a value without an exponent that ends within
// 32 bytes, at most 32 bytes before `end`, from two 16-byte loads and bit
// masks: no branch per byte, where the scalar reader's branches on the
// value's shape (sign, point, lengths of the digit runs) are mispredicted
// on readings of varying lengths. nullptr: not such a value, ask
// KeptFloatEnd (which may still take it, or refuse it).
__attribute__((always_inline)) inline const char* KeptFloatEndWide(const char* p,
                                                                   const char* end) {
#ifdef __SSE2__
  if (end - p < 32) return nullptr;
  const __m128i lo = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
  const __m128i hi = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 16));
  // Bit i: byte i of the 32 has the property.
  auto bits = [](__m128i l, __m128i h) __attribute__((always_inline)) {
    return static_cast<uint32_t>(_mm_movemask_epi8(l)) |
           static_cast<uint32_t>(_mm_movemask_epi8(h)) << 16;
  };
  auto equal = [&](char c) __attribute__((always_inline)) {
    const __m128i cc = _mm_set1_epi8(c);
    return bits(_mm_cmpeq_epi8(lo, cc), _mm_cmpeq_epi8(hi, cc));
  };
  // Signed compares: bytes from 0x80 up are negative, so not digits.
  const __m128i below = _mm_set1_epi8('0' - 1);
  const __m128i above = _mm_set1_epi8('9' + 1);
  const uint32_t digit_bits =
      bits(_mm_and_si128(_mm_cmpgt_epi8(lo, below), _mm_cmplt_epi8(lo, above)),
           _mm_and_si128(_mm_cmpgt_epi8(hi, below), _mm_cmplt_epi8(hi, above)));
  const uint32_t stops = equal(',') | equal(' ');
  if (stops == 0) return nullptr;
  const int length = __builtin_ctz(stops);
  const uint32_t in_value = (stops & (0u - stops)) - 1;
  const uint32_t digits = digit_bits & in_value;
  // What is neither a digit nor a leading '-' may be one '.', no more.
  const uint32_t others = in_value & ~digits & ~static_cast<uint32_t>(*p == '-');
  if (digits == 0 || (others & (others - 1)) != 0 || (others & ~equal('.')) != 0) {
    return nullptr;
  }
  // The value is digits around at most one point: its significant digits
  // run from the first nonzero digit to the end, less the point if it
  // lies in that run, and its fraction from the point to the end.
  const uint32_t nonzero = digits & ~equal('0');
  if (nonzero != 0) {
    const uint32_t first = nonzero & (0u - nonzero);
    const int significant = length - __builtin_ctz(nonzero) - (others > first ? 1 : 0);
    if (significant > 18) return nullptr;
  }
  const int fraction = others != 0 ? length - __builtin_ctz(others) - 1 : 0;
  if (fraction > 19) return nullptr;
  return p + length;
#else
  (void)p;
  (void)end;
  return nullptr;
#endif
}

// The timestamp from `p` to `end` when it is only digits, 1 to 19 of them,
// and fits an int64: as std::from_chars reads it, eight digits at a time.
// False for anything else (a sign, another byte, an overflow), which the
// caller reads with std::from_chars.
__attribute__((always_inline)) inline bool PlainTimestamp(const char* p, const char* end,
                                                          int64_t* value) {
  const ptrdiff_t n = end - p;
  if (n < 1 || n > 19) return false;
  uint64_t v = 0;  // below 10^19 < 2^64: no overflow before the check
  while (end - p >= 8) {
    uint64_t w;
    std::memcpy(&w, p, 8);
    if (NonDigits(w) != 0) return false;
    v = v * 100000000 + EightDigitsValue(w);
    p += 8;
  }
  for (; p < end; ++p) {
    const unsigned d = static_cast<unsigned char>(*p) - unsigned{'0'};
    if (d > 9) return false;
    v = v * 10 + d;
  }
  if (v > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) return false;
  *value = static_cast<int64_t>(v);
  return true;
}

}  // namespace ocs_influx::core

#endif  // OCS_INFLUX_SERVICE_CORE_NUMBER_TEXT_H_
