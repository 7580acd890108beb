// The gzip bodies ISA-L (level 1) and libdeflate (2-9) make are what zlib
// (as InfluxDB's Go gzip reader) reads back: one gzip member, byte for byte
// the input, also when the input does not compress.
#include "service/influx/gzip.h"

#include <zlib.h>

#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace ocs_influx::influx {
namespace {

std::string Gunzip(std::string_view gz) {
  z_stream zs{};
  EXPECT_EQ(inflateInit2(&zs, 15 + 16), Z_OK);  // gzip wrapper only
  std::string out(1 << 22, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(gz.data()));
  zs.avail_in = static_cast<uInt>(gz.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  const int rc = inflate(&zs, Z_FINISH);
  EXPECT_EQ(rc, Z_STREAM_END);
  EXPECT_EQ(zs.avail_in, 0u);  // nothing after the one member
  out.resize(zs.total_out);
  inflateEnd(&zs);
  return out;
}

std::string Lines(int n) {
  std::string out;
  for (int i = 0; i < n; ++i) {
    absl::StrAppend(&out, "m,feed=f", i % 7, " channel_00=", i * 0.001, ",channel_01=", i, "i ",
                    1700000000000000000LL + i, "\n");
  }
  return out;
}

TEST(GzipTest, ZlibReadsItBackAtEveryLevel) {
  const std::string in = Lines(3000);
  for (int level = 1; level <= 9; ++level) {
    auto g = GzipCompressor::Create(level);
    ASSERT_TRUE(g.ok()) << g.status();
    auto gz = g->Compress(in);
    ASSERT_TRUE(gz.ok()) << gz.status();
    ASSERT_GE(gz->size(), 18u);
    EXPECT_EQ(static_cast<unsigned char>((*gz)[0]), 0x1f);  // gzip magic
    EXPECT_EQ(static_cast<unsigned char>((*gz)[1]), 0x8b);
    EXPECT_LT(gz->size() * 3, in.size()) << "level " << level;
    EXPECT_EQ(Gunzip(*gz), in) << "level " << level;
  }
}

TEST(GzipTest, ReusedForBatchesOfAnySize) {
  auto g = GzipCompressor::Create(1);
  ASSERT_TRUE(g.ok());
  for (int n : {1000, 10, 0, 5000, 1}) {
    const std::string in = Lines(n);
    auto gz = g->Compress(in);
    ASSERT_TRUE(gz.ok()) << gz.status();
    EXPECT_EQ(Gunzip(*gz), in) << n << " lines";
  }
}

// Random bytes do not compress: the body may be larger than the input and
// must still fit the room the compressor makes for it.
TEST(GzipTest, IncompressibleInputFitsAtEveryLevel) {
  std::string in(300000, '\0');
  uint64_t x = 88172645463325252ull;
  for (char& c : in) {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;  // xorshift64
    c = static_cast<char>(x >> 56);
  }
  for (int level : {1, 6}) {
    auto g = GzipCompressor::Create(level);
    ASSERT_TRUE(g.ok());
    auto gz = g->Compress(in);
    ASSERT_TRUE(gz.ok()) << "level " << level << ": " << gz.status();
    EXPECT_EQ(Gunzip(*gz), in) << "level " << level;
  }
}

TEST(GzipTest, LevelOutsideOneToNineIsRefused) {
  EXPECT_FALSE(GzipCompressor::Create(0).ok());
  EXPECT_FALSE(GzipCompressor::Create(10).ok());
  EXPECT_FALSE(GzipCompressor::Create(-1).ok());
}

}  // namespace
}  // namespace ocs_influx::influx
