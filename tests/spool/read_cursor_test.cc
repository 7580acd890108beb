#include "service/spool/read_cursor.h"

#include <fcntl.h>

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

// Bytes this process has read through read(2)/pread(2) so far.
uint64_t BytesRead() {
  std::ifstream io("/proc/self/io");
  std::string key;
  uint64_t value = 0;
  while (io >> key >> value) {
    if (key == "rchar:") return value;
  }
  ADD_FAILURE() << "no rchar in /proc/self/io";
  return 0;
}

// A record larger than the read-ahead is fetched after its header was read
// with the first read-ahead's bytes of it: those are not read again.
TEST(ReadCursorTest, ReadsEachByteOnceWhenRecordsOutgrowTheReadAhead) {
  const std::string path = Path();
  std::string file;
  std::vector<std::string> payloads;
  for (int i = 1; i <= 40; ++i) {
    // 10 to 990 bytes: below, around and far above the 64-byte read-ahead.
    std::string payload;
    while (payload.size() < static_cast<size_t>(10 + (i * 97) % 990)) {
      absl::StrAppend(&payload, "m,id=", i, " v=", payload.size(), "i\n");
    }
    RecordHeader h;
    h.payload_len = static_cast<uint32_t>(payload.size());
    h.points = 1;
    h.seq = static_cast<uint64_t>(i);
    char header[kRecordHeaderSize];
    EncodeRecordHeader(h, PayloadCrc(payload), header);
    file.append(header, sizeof(header));
    file.append(payload);
    payloads.push_back(payload);
  }
  std::ofstream(path, std::ios::binary) << file;
  absl::StatusOr<fd::UniqueFd> fd = fd::Open(path, O_RDONLY);
  ASSERT_TRUE(fd.ok()) << fd.status();
  SegmentReader reader(fd->get(), path, /*read_ahead=*/64);
  SegmentReader::Result r;
  uint64_t offset = 0;
  // Reading /proc/self/io is itself a read: its size is taken off.
  const uint64_t probe = BytesRead();
  const uint64_t before = BytesRead();
  const uint64_t probe_bytes = before - probe;
  for (const std::string& payload : payloads) {
    ASSERT_TRUE(reader.Next(offset, file.size(), /*verify_crc=*/true, &r).ok());
    ASSERT_EQ(r.outcome, SegmentReader::Outcome::kRecord) << r.reason;
    EXPECT_EQ(r.payload, payload);
    offset += kRecordHeaderSize + r.header.payload_len;
  }
  EXPECT_EQ(offset, file.size());
  EXPECT_EQ(BytesRead() - before - probe_bytes, file.size());
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
