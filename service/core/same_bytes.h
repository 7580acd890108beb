// Equality and copies of short byte ranges, inline for the names (field
// keys, series keys) that the per-line hot loops compare or copy once per
// field or line: a call to memcmp or memcpy costs more than the work.
#ifndef OCS_INFLUX_SERVICE_CORE_SAME_BYTES_H_
#define OCS_INFLUX_SERVICE_CORE_SAME_BYTES_H_

#include <cstddef>
#include <cstdint>
#include <cstring>

#ifdef __SSE2__
#include <emmintrin.h>
#endif

namespace ocs_influx::core {

// Up to 32 bytes: two loads from each end, which overlap when n is not a
// multiple of their width; longer ranges go to memcmp.
inline bool SameBytes(const char* a, const char* b, size_t n) {
  if (n >= 8 && n <= 16) {
    uint64_t a0, a1, b0, b1;
    std::memcpy(&a0, a, 8);
    std::memcpy(&b0, b, 8);
    std::memcpy(&a1, a + n - 8, 8);
    std::memcpy(&b1, b + n - 8, 8);
    return ((a0 ^ b0) | (a1 ^ b1)) == 0;
  }
#ifdef __SSE2__
  if (n > 16 && n <= 32) {
    const __m128i a0 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(a));
    const __m128i b0 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(b));
    const __m128i a1 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(a + n - 16));
    const __m128i b1 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(b + n - 16));
    const __m128i eq = _mm_and_si128(_mm_cmpeq_epi8(a0, b0), _mm_cmpeq_epi8(a1, b1));
    return _mm_movemask_epi8(eq) == 0xffff;
  }
#endif
  return std::memcmp(a, b, n) == 0;
}

// `n` bytes from `from` to `to`, inline for the field keys the encoders copy
// once per field (a dozen bytes): fixed-size copies from each end, which
// overlap when n is not a multiple of their width. Nothing outside the n
// bytes is read or written. A call to memcpy there cost more than the copy
// (docs/benchmarks.md, thirteenth round). Longer ranges go to memcpy.
inline void CopyShort(char* to, const char* from, size_t n) {
  if (n >= 16 && n <= 32) {
    std::memcpy(to, from, 16);
    std::memcpy(to + n - 16, from + n - 16, 16);
  } else if (n >= 8 && n < 16) {
    std::memcpy(to, from, 8);
    std::memcpy(to + n - 8, from + n - 8, 8);
  } else if (n >= 4 && n < 8) {
    std::memcpy(to, from, 4);
    std::memcpy(to + n - 4, from + n - 4, 4);
  } else {
    std::memcpy(to, from, n);
  }
}

}  // namespace ocs_influx::core

#endif  // OCS_INFLUX_SERVICE_CORE_SAME_BYTES_H_
