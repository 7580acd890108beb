#include "service/spool/record_format.h"

#include <cstring>
#include <string>

#include "gtest/gtest.h"
#include "service/spool/segment.h"

namespace ocs_influx::spool {
namespace {

std::string Encode(uint64_t seq, const std::string& payload) {
  RecordHeader h;
  h.payload_len = static_cast<uint32_t>(payload.size());
  h.points = 3;
  h.seq = seq;
  h.accepted_unix_ns = -5;
  std::string out(kRecordHeaderSize, '\0');
  EncodeRecordHeader(h, PayloadCrc(payload), out.data());
  return out + payload;
}

TEST(RecordFormatTest, RoundTrip) {
  const std::string rec = Encode(42, "m v=1i\n");
  EXPECT_EQ(rec.substr(0, 4), "OISR");
  RecordHeader h;
  ASSERT_TRUE(DecodeRecordHeader(rec.data(), &h));
  EXPECT_EQ(h.seq, 42u);
  EXPECT_EQ(h.points, 3u);
  EXPECT_EQ(h.accepted_unix_ns, -5);
  EXPECT_EQ(h.payload_len, 7u);
  EXPECT_TRUE(RecordCrcMatches(rec.data(), absl::string_view(rec).substr(kRecordHeaderSize)));
}

TEST(RecordFormatTest, DamageIsDetected) {
  std::string rec = Encode(1, "m v=1i\n");
  RecordHeader h;
  std::string bad_magic = rec;
  bad_magic[0] = 'X';
  EXPECT_FALSE(DecodeRecordHeader(bad_magic.data(), &h));
  std::string bad_len = rec;
  bad_len[7] = '\x7f';  // past kMaxPayloadBytes
  EXPECT_FALSE(DecodeRecordHeader(bad_len.data(), &h));
  for (size_t i : {size_t{12}, size_t{20}, kRecordHeaderSize + 2}) {  // seq, time, payload
    std::string flipped = rec;
    flipped[i] ^= 0x01;
    EXPECT_FALSE(RecordCrcMatches(flipped.data(), absl::string_view(flipped).substr(kRecordHeaderSize)))
        << "byte " << i;
  }
}

TEST(RecordFormatTest, FileNamesSortInSeqOrder) {
  EXPECT_EQ(SegmentFileName(7), "segment-00000000000000000007.log");
  EXPECT_EQ(ParseSegmentFileName(SegmentFileName(123456789)), 123456789u);
  EXPECT_FALSE(ParseSegmentFileName("segment-0000000000000000000x.log").has_value());
  EXPECT_LT(SegmentFileName(9), SegmentFileName(10));
}

}  // namespace
}  // namespace ocs_influx::spool
