// Equality of two byte ranges of the same length, inline for the short
// names (field keys, series keys) that the per-line hot loops compare once
// per field or line: a call to memcmp costs more than the comparison.
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

}  // namespace ocs_influx::core

#endif  // OCS_INFLUX_SERVICE_CORE_SAME_BYTES_H_
