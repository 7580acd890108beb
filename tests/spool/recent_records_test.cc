// The spool's in-memory tail (service/spool/recent_records.h) alone, and
// the spool reading from it: what the reader gets is what a file read gives,
// and nothing it holds is ever overwritten.
#include "service/spool/recent_records.h"

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "gtest/gtest.h"
#include "service/spool/spool.h"

namespace ocs_influx::spool {
namespace {

namespace fs = std::filesystem;

// A payload of `size` bytes that names `seq`, so a mix-up or an overwrite
// shows as a content mismatch.
std::string PayloadOf(uint64_t seq, size_t size) {
  std::string out;
  const std::string tag = absl::StrCat(seq, ";");
  while (out.size() < size) out += tag;
  out.resize(size);
  return out;
}

// A spool in `dir` (emptied first), without fsync, with `memory_bytes` of
// memory for the newest payloads.
std::unique_ptr<Spool> FreshSpool(const std::string& dir, size_t memory_bytes,
                                  uint64_t segment_bytes = 64ull << 20) {
  SpoolOptions options;
  options.dir = dir;
  fs::remove_all(dir);
  options.fsync = false;
  options.memory_bytes = memory_bytes;
  options.segment_bytes = segment_bytes;
  absl::StatusOr<std::unique_ptr<Spool>> opened = Spool::Open(options);
  EXPECT_TRUE(opened.ok()) << opened.status();
  return opened.ok() ? *std::move(opened) : nullptr;
}

// Reserves room for one record, copies its payload in and commits it at
// offset `seq * 1000` of segment 1 (positions only need to be ordered).
bool Add(RecentRecords& recent, uint64_t seq, size_t size) {
  char* room = recent.Reserve(size);
  if (room == nullptr) return false;
  const std::string payload = PayloadOf(seq, size);
  std::memcpy(room, payload.data(), size);
  RecentRecords::Entry e;
  e.name_seq = 1;
  e.offset = seq * 1000;
  e.record = Record{seq, 1, 0, absl::string_view(room, size)};
  recent.Commit(e);
  return true;
}

TEST(RecentRecordsTest, FindsARecordOnlyAtItsPosition) {
  RecentRecords recent(1000);
  ASSERT_TRUE(Add(recent, 1, 100));
  ASSERT_TRUE(Add(recent, 2, 0));  // an empty payload is a record too
  ASSERT_TRUE(Add(recent, 3, 100));
  const RecentRecords::Entry* e = recent.Find(1, 3000);
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->record.seq, 3u);
  EXPECT_EQ(e->record.lines, PayloadOf(3, 100));
  ASSERT_NE(recent.Find(1, 2000), nullptr);
  EXPECT_EQ(recent.Find(1, 2000)->record.lines, "");
  EXPECT_EQ(recent.Find(1, 1001), nullptr);
  EXPECT_EQ(recent.Find(2, 1000), nullptr);
  EXPECT_EQ(recent.Find(0, 1000), nullptr);
}

TEST(RecentRecordsTest, NeverGivesMoreThanHalfOrAnythingWhenDisabled) {
  RecentRecords recent(1000);
  EXPECT_EQ(recent.Reserve(501), nullptr);
  EXPECT_NE(recent.Reserve(500), nullptr);
  RecentRecords none(0);
  EXPECT_EQ(none.Reserve(1), nullptr);
  EXPECT_EQ(none.Reserve(0), nullptr);  // not even an empty record
}

TEST(RecentRecordsTest, APinnedRecordAndThoseAfterItAreNeverOverwritten) {
  RecentRecords recent(1000);
  for (uint64_t seq = 1; seq <= 4; ++seq) ASSERT_TRUE(Add(recent, seq, 200));
  recent.Pin(*recent.Find(1, 3000));
  // Records 1 and 2 make room; 3 and 4 (800 bytes with the new one's 200
  // would not fit with them) stay, so the next one is refused.
  ASSERT_TRUE(Add(recent, 5, 200));
  ASSERT_TRUE(Add(recent, 6, 200));
  EXPECT_EQ(recent.Find(1, 1000), nullptr);
  EXPECT_FALSE(Add(recent, 7, 300));
  for (uint64_t seq = 3; seq <= 6; ++seq) {
    const RecentRecords::Entry* e = recent.Find(1, seq * 1000);
    ASSERT_NE(e, nullptr) << seq;
    EXPECT_EQ(e->record.lines, PayloadOf(seq, 200)) << seq;
  }
  recent.Unpin();
  EXPECT_TRUE(Add(recent, 7, 300));
  EXPECT_EQ(recent.Find(1, 3000), nullptr);
}

// Random sizes, pins and unpins against a model: every entry still here
// holds its bytes, a pinned one is always still here, and the room handed
// out never overlaps an entry.
TEST(RecentRecordsTest, RandomUseKeepsEveryEntryIntact) {
  std::mt19937 rng(7);
  RecentRecords recent(4096);
  std::vector<uint64_t> pinned;
  uint64_t seq = 0, kept = 0;
  for (int step = 0; step < 20000; ++step) {
    const int what = std::uniform_int_distribution<int>(0, 9)(rng);
    if (what < 7) {
      ++seq;
      kept += Add(recent, seq, std::uniform_int_distribution<size_t>(0, 900)(rng)) ? 1 : 0;
    } else if (what < 9 && seq > 0) {
      const uint64_t s = std::uniform_int_distribution<uint64_t>(seq > 20 ? seq - 20 : 1, seq)(rng);
      if (const RecentRecords::Entry* e = recent.Find(1, s * 1000)) {
        recent.Pin(*e);
        pinned.push_back(s);
      }
    } else {
      recent.Unpin();
      pinned.clear();
    }
    for (uint64_t p : pinned) ASSERT_NE(recent.Find(1, p * 1000), nullptr) << "step " << step;
    for (uint64_t s = seq > 40 ? seq - 40 : 1; s <= seq; ++s) {
      if (const RecentRecords::Entry* e = recent.Find(1, s * 1000)) {
        ASSERT_EQ(e->record.lines, PayloadOf(s, e->record.lines.size())) << "seq " << s << " step " << step;
      }
    }
  }
  EXPECT_GT(kept, seq / 2);  // the cache was used, not refused throughout
  EXPECT_LT(kept, seq);      // and refused when pins left no room
}

// The spool with a small memory tail: random appends, reads, releases,
// rewinds and acknowledgements. The reader gets every record once, in
// order, with its exact bytes (from memory or from the file), and every
// view it holds stays intact until it releases them.
TEST(SpoolMemoryTest, ReadsFromMemoryAndFileAlikeAndHeldViewsStayIntact) {
  const std::string dir = absl::StrCat(::testing::TempDir(), "/recent_records_spool");
  const std::unique_ptr<Spool> opened =
      FreshSpool(dir, 24 << 10, /*segment_bytes=*/16 << 10);  // rolls often
  ASSERT_NE(opened, nullptr);
  Spool& spool = *opened;

  std::mt19937 rng(11);
  std::map<uint64_t, std::string> appended;  // seq -> payload, every record
  std::vector<Record> held;                   // read since the last release
  uint64_t next_expected = 1, acked = 0;
  for (int step = 0; step < 3000; ++step) {
    const int what = std::uniform_int_distribution<int>(0, 99)(rng);
    if (what < 45) {
      const int records = std::uniform_int_distribution<int>(1, 3)(rng);
      std::vector<std::string> payloads;
      std::vector<Chunk> chunks;
      for (int i = 0; i < records; ++i) {
        const size_t size = std::uniform_int_distribution<size_t>(0, 1200)(rng);
        payloads.push_back(PayloadOf(step * 10 + i, size));
      }
      for (const std::string& p : payloads) chunks.push_back(Chunk{p, 1});
      absl::StatusOr<uint64_t> last = spool.Append(chunks);
      ASSERT_TRUE(last.ok()) << last.status();
      for (int i = 0; i < records; ++i) appended[*last - records + 1 + i] = payloads[i];
    } else if (what < 80) {
      std::vector<Record> batch;
      const size_t max_points = std::uniform_int_distribution<size_t>(1, 6)(rng);
      ASSERT_TRUE(spool.Read(max_points, absl::ZeroDuration(), &batch).ok());
      ASSERT_LE(batch.size(), max_points);
      for (const Record& r : batch) {
        ASSERT_EQ(r.seq, next_expected) << "step " << step;
        ASSERT_EQ(r.lines, appended.at(r.seq)) << "seq " << r.seq << " step " << step;
        ++next_expected;
        held.push_back(r);
      }
    } else if (what < 90) {
      held.clear();
      spool.ReleaseReads();
    } else if (what < 92) {
      spool.Rewind();
      next_expected = acked + 1;
    } else if (!held.empty()) {
      // What was read is delivered.
      const uint64_t upto = held.back().seq;
      ASSERT_TRUE(spool.Acknowledge(upto).ok());
      acked = std::max(acked, upto);
      // Reading never returns what is acknowledged (after a Rewind, say).
      next_expected = std::max(next_expected, acked + 1);
    }
    for (const Record& r : held) {
      ASSERT_EQ(r.lines, appended.at(r.seq)) << "held seq " << r.seq << " step " << step;
    }
  }
  const SpoolStats stats = spool.Stats();
  EXPECT_GT(next_expected, 500u);
  // Both ways of reading were exercised.
  EXPECT_GT(stats.records_read_from_memory, next_expected / 4) << next_expected;
  EXPECT_LT(stats.records_read_from_memory, next_expected);
  fs::remove_all(dir);
}

// Records read from memory are what the appenders wrote: a bit flipped in
// the file afterwards (bad media) does not reach them, and nothing of the
// file was read.
TEST(SpoolMemoryTest, RecordsFromMemoryAreTheBytesAppended) {
  const std::string dir = absl::StrCat(::testing::TempDir(), "/recent_records_flip");
  const std::unique_ptr<Spool> opened = FreshSpool(dir, 8 << 20);
  ASSERT_NE(opened, nullptr);
  Spool& spool = *opened;
  for (uint64_t seq = 1; seq <= 10; ++seq) {
    const std::string payload = PayloadOf(seq, 100);
    Chunk chunk{payload, 1};
    ASSERT_TRUE(spool.Append({&chunk, 1}).ok());
  }
  const std::string file = fs::directory_iterator(dir)->path().string();
  {
    std::fstream f(file, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(6 * (32 + 100) + 40);  // record 7's payload
    f.put('#');
  }
  std::vector<Record> all;
  ASSERT_TRUE(spool.Read(100, absl::ZeroDuration(), &all).ok());
  ASSERT_EQ(all.size(), 10u);
  for (const Record& r : all) EXPECT_EQ(r.lines, PayloadOf(r.seq, 100));
  EXPECT_EQ(spool.Stats().records_read_from_memory, 10u);
  EXPECT_EQ(spool.Stats().records_lost_to_damage, 0u);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace ocs_influx::spool

namespace ocs_influx::spool {
namespace {

// A reader more than the memory's size behind (a bulk load that outruns
// InfluxDB) would find nothing appended from then on still in memory: those
// appends are not copied there, and what is in memory stays for it. The
// reader then gets every record, in order, from memory or from the file.
TEST(SpoolMemoryTest, AppendsFarAheadOfTheReaderAreNotKept) {
  const std::string dir = absl::StrCat(::testing::TempDir(), "/recent_records_behind");
  const std::unique_ptr<Spool> opened = FreshSpool(dir, 24 << 10);
  ASSERT_NE(opened, nullptr);
  Spool& spool = *opened;
  constexpr uint64_t kRecords = 100;  // 100 KiB of payloads
  for (uint64_t seq = 1; seq <= kRecords; ++seq) {
    const std::string payload = PayloadOf(seq, 1024);
    Chunk chunk{payload, 1};
    ASSERT_TRUE(spool.Append({&chunk, 1}).ok());
  }
  // The first ones were appended while little was unacknowledged: they are
  // in memory, not pushed out by the 76 KiB appended after them.
  std::vector<Record> first;
  ASSERT_TRUE(spool.Read(10, absl::ZeroDuration(), &first).ok());
  ASSERT_EQ(first.size(), 10u);
  EXPECT_EQ(spool.Stats().records_read_from_memory, 10u);
  uint64_t next = 1;
  for (const Record& r : first) {
    EXPECT_EQ(r.seq, next++);
    EXPECT_EQ(r.lines, PayloadOf(r.seq, 1024));
  }
  std::vector<Record> rest;
  ASSERT_TRUE(spool.Read(1000, absl::ZeroDuration(), &rest).ok());
  ASSERT_EQ(rest.size(), kRecords - 10);
  for (const Record& r : rest) {
    EXPECT_EQ(r.seq, next++);
    EXPECT_EQ(r.lines, PayloadOf(r.seq, 1024));
  }
  EXPECT_LT(spool.Stats().records_read_from_memory, 24u);
  spool.ReleaseReads();
  fs::remove_all(dir);
}

}  // namespace
}  // namespace ocs_influx::spool
