#include "service/spool/read_cursor.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "service/spool/record_format.h"

namespace ocs_influx::spool {
namespace {

namespace fs = std::filesystem;

// A segment of `n` records (seqs 1..n, 2 points each) written with the
// record format alone; returns the offset of each record.
std::vector<uint64_t> WriteSegment(const std::string& path, int n) {
  std::string file;
  std::vector<uint64_t> offsets;
  for (int i = 1; i <= n; ++i) {
    offsets.push_back(file.size());
    const std::string payload = absl::StrCat("m,id=", i, " v=", i, "i\nm,id=", i, " w=1i\n");
    RecordHeader h;
    h.payload_len = static_cast<uint32_t>(payload.size());
    h.points = 2;
    h.seq = static_cast<uint64_t>(i);
    h.accepted_unix_ns = 1000 + i;
    char header[kRecordHeaderSize];
    EncodeRecordHeader(h, PayloadCrc(payload), header);
    file.append(header, sizeof(header));
    file.append(payload);
  }
  offsets.push_back(file.size());
  std::ofstream(path, std::ios::binary) << file;
  return offsets;
}

std::string Path() {
  const char* tmp = std::getenv("TEST_TMPDIR");
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  return (fs::path(tmp != nullptr ? tmp : "/tmp") / absl::StrCat("cursor_", info->name())).string();
}

TEST(ReadCursorTest, ReadsInBatchesOfPointsAndResumesAtTheReturnedOffset) {
  const std::string path = Path();
  std::vector<uint64_t> offsets = WriteSegment(path, 5);
  ReadCursor cursor;
  ASSERT_TRUE(cursor.Open(1, path).ok());
  std::vector<DamagedRegion> damaged;
  std::vector<Record> out;
  size_t points = 0;
  bool full = false;
  ReadCursor::Range range{0, offsets.back(), 0, 5};
  auto next = cursor.Read(range, &damaged, 4, &points, &out, &full,
                          [](const DamageReport&) { ADD_FAILURE() << "no damage here"; });
  ASSERT_TRUE(next.ok()) << next.status();
  EXPECT_TRUE(full);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(*next, offsets[2]);
  range.offset = *next;
  out.clear();
  points = 0;
  next = cursor.Read(range, &damaged, 100, &points, &out, &full, [](const DamageReport&) {});
  ASSERT_TRUE(next.ok());
  EXPECT_FALSE(full);
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out[0].seq, 3u);
  EXPECT_EQ(out[2].lines, "m,id=5 v=5i\nm,id=5 w=1i\n");
  EXPECT_EQ(*next, offsets.back());
}

TEST(ReadCursorTest, SkipsKnownAndNewDamageReportingNewOnly) {
  const std::string path = Path();
  std::vector<uint64_t> offsets = WriteSegment(path, 6);
  {
    std::fstream f(path, std::ios::binary | std::ios::in | std::ios::out);
    f.seekp(static_cast<std::streamoff>(offsets[4]));  // record 5's magic
    f.put('X');
  }
  ReadCursor cursor;
  ASSERT_TRUE(cursor.Open(1, path).ok());
  std::vector<DamagedRegion> damaged = {{offsets[1], offsets[2]}};  // record 2, known
  std::vector<DamageReport> reports;
  std::vector<Record> out;
  size_t points = 0;
  bool full = false;
  auto next = cursor.Read(ReadCursor::Range{0, offsets.back(), 0, 6}, &damaged, 100, &points, &out,
                          &full, [&](const DamageReport& r) { reports.push_back(r); });
  ASSERT_TRUE(next.ok()) << next.status();
  std::vector<uint64_t> seqs;
  for (const Record& r : out) seqs.push_back(r.seq);
  EXPECT_EQ(seqs, (std::vector<uint64_t>{1, 3, 4, 6}));
  ASSERT_EQ(reports.size(), 1u);
  EXPECT_EQ(reports[0].region.begin, offsets[4]);
  EXPECT_EQ(reports[0].region.end, offsets[5]);
  EXPECT_EQ(reports[0].records, 1u);  // seq 4 before it, 6 after
  EXPECT_EQ(damaged.size(), 2u);
}

TEST(ReadCursorTest, OpenOfAGoneFileIsNotFound) {
  ReadCursor cursor;
  absl::Status s = cursor.Open(1, Path() + "_missing");
  EXPECT_TRUE(absl::IsNotFound(s)) << s;
  EXPECT_FALSE(cursor.is_open());
}

}  // namespace
}  // namespace ocs_influx::spool
