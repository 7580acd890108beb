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

}  // namespace
}  // namespace ocs_influx::core
