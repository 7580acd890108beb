#include "service/core/same_bytes.h"

#include <string>

#include "gtest/gtest.h"

namespace ocs_influx::core {
namespace {

// Every length across the three ways it compares (memcmp below 8 and above
// 32, two 8-byte loads, two 16-byte loads), at every alignment: equal
// ranges compare equal, and a difference in any one byte is seen.
TEST(SameBytesTest, SeesEveryByteOfEveryLength) {
  for (size_t n = 0; n <= 40; ++n) {
    for (size_t shift = 0; shift < 8; ++shift) {
      std::string a(shift + n, 'x');
      std::string b(n + 3, 'y');
      for (size_t i = 0; i < n; ++i) a[shift + i] = b[i] = static_cast<char>('a' + (i * 7) % 26);
      const char* pa = a.data() + shift;
      ASSERT_TRUE(SameBytes(pa, b.data(), n)) << "n=" << n << " shift=" << shift;
      for (size_t i = 0; i < n; ++i) {
        b[i] ^= 0x20;
        EXPECT_FALSE(SameBytes(pa, b.data(), n)) << "n=" << n << " byte " << i;
        b[i] ^= 0x20;
      }
    }
  }
}

// Every length across the four ways it copies (memcpy below 4 and above
// 32, two 4-, 8- or 16-byte copies), at every alignment of both ends: the
// n bytes arrive, and the guard bytes on either side are untouched.
TEST(CopyShortTest, CopiesExactlyTheBytesOfEveryLength) {
  for (size_t n = 0; n <= 40; ++n) {
    for (size_t shift = 0; shift < 8; ++shift) {
      std::string from(shift + n + 8, '#');
      for (size_t i = 0; i < n; ++i) from[shift + i] = static_cast<char>('a' + (i * 7) % 26);
      std::string to(n + 2 * 8 + shift, '.');
      CopyShort(to.data() + 8 + shift, from.data() + shift, n);
      EXPECT_EQ(to.substr(8 + shift, n), from.substr(shift, n)) << "n=" << n << " shift=" << shift;
      EXPECT_EQ(to.substr(0, 8 + shift), std::string(8 + shift, '.')) << "n=" << n;
      EXPECT_EQ(to.substr(8 + shift + n), std::string(8, '.')) << "n=" << n;
    }
  }
}

}  // namespace
}  // namespace ocs_influx::core
