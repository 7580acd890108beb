#include "service/spool/spool.h"

#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "service/spool/record_format.h"
#include "service/spool/segment_writer.h"

namespace ocs_influx::spool {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

std::string FreshDir() {
  const char* tmp = std::getenv("TEST_TMPDIR");
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  fs::path dir = fs::path(tmp != nullptr ? tmp : "/tmp") / absl::StrCat("spool_", info->name());
  fs::remove_all(dir);
  return dir.string();
}

// `points` lines whose text identifies the record, so corruption or mix-ups
// show as a content mismatch.
std::string Lines(const std::string& id, uint32_t points) {
  std::string out;
  for (uint32_t i = 0; i < points; ++i) {
    absl::StrAppendFormat(&out, "cpu,host=%s,line=%d usage=%d.5 %d\n", id, i, i, 1700000000000000000LL + i);
  }
  return out;
}

SpoolOptions Options(const std::string& dir, bool fsync = false) {
  SpoolOptions o;
  o.dir = dir;
  o.fsync = fsync;
  return o;
}

std::unique_ptr<Spool> MustOpen(const SpoolOptions& options) {
  absl::StatusOr<std::unique_ptr<Spool>> spool = Spool::Open(options);
  EXPECT_TRUE(spool.ok()) << spool.status();
  return spool.ok() ? *std::move(spool) : nullptr;
}

uint64_t AppendOne(Spool& spool, const std::string& lines, uint32_t points) {
  Chunk chunk{lines, points};
  absl::StatusOr<uint64_t> seq = spool.Append({&chunk, 1});
  EXPECT_TRUE(seq.ok()) << seq.status();
  return seq.ok() ? *seq : 0;
}

// Everything readable now, in Read-sized batches.
// Appends `lines` while files may grow to at most `max_file_bytes`
// (RLIMIT_FSIZE, a stand-in for a full disk), and restores the limit.
absl::StatusOr<uint64_t> AppendWithFileSizeLimit(Spool& spool, const std::string& lines,
                                                 uint32_t points, uint64_t max_file_bytes) {
  std::signal(SIGXFSZ, SIG_IGN);
  struct rlimit old_limit;
  if (getrlimit(RLIMIT_FSIZE, &old_limit) != 0) return absl::InternalError("getrlimit");
  struct rlimit limit = old_limit;
  limit.rlim_cur = max_file_bytes;
  if (setrlimit(RLIMIT_FSIZE, &limit) != 0) return absl::InternalError("setrlimit");
  Chunk chunk{lines, points};
  absl::StatusOr<uint64_t> result = spool.Append({&chunk, 1});
  if (setrlimit(RLIMIT_FSIZE, &old_limit) != 0) return absl::InternalError("setrlimit back");
  return result;
}

std::vector<Record> Drain(Spool& spool, size_t max_points = 1000) {
  std::vector<Record> all, batch;
  for (;;) {
    absl::Status s = spool.Read(max_points, absl::ZeroDuration(), &batch);
    EXPECT_TRUE(s.ok()) << s;
    if (!s.ok() || batch.empty()) return all;
    for (Record& r : batch) all.push_back(std::move(r));
  }
}

std::vector<std::string> SegmentFiles(const std::string& dir) {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(dir)) {
    std::string name = e.path().filename().string();
    if (name.rfind("segment-", 0) == 0) out.push_back(e.path().string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

TEST(SpoolTest, AppendReadAckInOrderAcrossSegmentRolls) {
  SpoolOptions options = Options(FreshDir(), /*fsync=*/true);
  options.segment_bytes = 1024;
  auto spool = MustOpen(options);
  ASSERT_NE(spool, nullptr);
  std::vector<std::string> payloads;
  for (int i = 0; i < 40; ++i) {
    payloads.push_back(Lines(absl::StrCat("r", i), 1 + i % 3));
    EXPECT_EQ(AppendOne(*spool, payloads.back(), 1 + i % 3), static_cast<uint64_t>(i + 1));
  }
  EXPECT_EQ(spool->last_appended_seq(), 40u);
  SpoolStats stats = spool->Stats();
  EXPECT_EQ(stats.records, 40u);
  EXPECT_GT(stats.segments, 3u);
  EXPECT_EQ(stats.segments, SegmentFiles(options.dir).size());
  EXPECT_GT(stats.oldest_accepted_unix_ns, 0);
  const size_t segments_before = stats.segments;

  // Small batches: every Read stops at max_points, and crosses segments.
  std::vector<Record> batch;
  uint64_t expected_seq = 1;
  uint64_t points_left = stats.points;
  while (expected_seq <= 40) {
    ASSERT_TRUE(spool->Read(5, absl::ZeroDuration(), &batch).ok());
    ASSERT_FALSE(batch.empty());
    uint32_t points = 0;
    for (const Record& r : batch) {
      ASSERT_EQ(r.seq, expected_seq);
      EXPECT_EQ(r.lines, payloads[expected_seq - 1]);
      EXPECT_EQ(r.points, 1 + (expected_seq - 1) % 3);
      points += r.points;
      ++expected_seq;
    }
    EXPECT_LE(points, 5u);
    ASSERT_TRUE(spool->Acknowledge(batch.back().seq).ok());
    points_left -= points;
    EXPECT_EQ(spool->Stats().points, points_left);
  }
  ASSERT_TRUE(spool->Read(5, absl::ZeroDuration(), &batch).ok());
  EXPECT_TRUE(batch.empty());
  stats = spool->Stats();
  EXPECT_EQ(stats.records, 0u);
  EXPECT_EQ(stats.points, 0u);
  EXPECT_EQ(stats.bytes, 0u);
  EXPECT_EQ(stats.oldest_accepted_unix_ns, 0);
  // Acknowledged segments are gone; only the one still taking appends stays.
  EXPECT_LE(SegmentFiles(options.dir).size(), 1u);
  EXPECT_LT(SegmentFiles(options.dir).size(), segments_before);
}

TEST(SpoolTest, MultiChunkAppendGetsContiguousSeqs) {
  auto spool = MustOpen(Options(FreshDir()));
  ASSERT_NE(spool, nullptr);
  std::string a = Lines("a", 2), b = Lines("b", 3), c = Lines("c", 1);
  std::vector<Chunk> chunks = {{a, 2}, {b, 3}, {c, 1}};
  absl::StatusOr<uint64_t> last = spool->Append(chunks);
  ASSERT_TRUE(last.ok());
  EXPECT_EQ(*last, 3u);
  std::vector<Record> all = Drain(*spool, /*max_points=*/1);
  ASSERT_EQ(all.size(), 3u);  // max_points below a record still yields it
  EXPECT_EQ(all[1].lines, b);
  EXPECT_EQ(all[2].seq, 3u);
  EXPECT_EQ(spool->Append({}).status().code(), absl::StatusCode::kInvalidArgument);
}

// Append writes the payloads from the caller's chunks, a header and a
// payload per record: more records than one pwritev takes (IOV_MAX, 1024
// buffers), empty payloads among them, and payloads of varied sizes around
// the header walk's read-ahead, all land in order, intact (the CRCs are
// checked again at reopen), and a partial Acknowledge counts exactly.
TEST(SpoolTest, AppendOfMoreRecordsThanOneWriteTakesLandsIntact) {
  SpoolOptions options = Options(FreshDir());
  auto spool = MustOpen(options);
  ASSERT_NE(spool, nullptr);
  std::vector<std::string> payloads;
  for (int i = 0; i < 1500; ++i) {
    payloads.push_back(i % 100 == 7 ? std::string() : Lines(absl::StrCat("many", i), 1 + i % 70));
  }
  std::vector<Chunk> chunks;
  uint64_t bytes = 0;
  for (const std::string& p : payloads) {
    chunks.push_back({p, static_cast<uint32_t>(std::count(p.begin(), p.end(), '\n'))});
    bytes += kRecordHeaderSize + p.size();
  }
  absl::StatusOr<uint64_t> last = spool->Append(chunks);
  ASSERT_TRUE(last.ok()) << last.status();
  EXPECT_EQ(*last, 1500u);
  EXPECT_EQ(spool->Stats().bytes, bytes);
  EXPECT_EQ(fs::file_size(SegmentFiles(options.dir).at(0)), bytes);

  ASSERT_TRUE(spool->Acknowledge(1000).ok());
  uint64_t left_points = 0, left_bytes = 0;
  for (size_t i = 1000; i < chunks.size(); ++i) {
    left_points += chunks[i].points;
    left_bytes += kRecordHeaderSize + chunks[i].lines.size();
  }
  EXPECT_EQ(spool->Stats().records, 500u);
  EXPECT_EQ(spool->Stats().points, left_points);
  EXPECT_EQ(spool->Stats().bytes, left_bytes);

  spool.reset();
  spool = MustOpen(options);
  ASSERT_NE(spool, nullptr);
  EXPECT_EQ(spool->Stats().records_lost_to_damage, 0u);
  EXPECT_EQ(spool->Stats().truncations, 0u);
  std::vector<Record> all = Drain(*spool, /*max_points=*/5000);
  ASSERT_EQ(all.size(), 500u);
  for (size_t i = 0; i < all.size(); ++i) {
    ASSERT_EQ(all[i].seq, 1001 + i);
    ASSERT_EQ(all[i].lines, payloads[1000 + i]) << "seq " << all[i].seq;
  }
}

TEST(SpoolTest, ReopenResumesAfterAckAndSeqsKeepIncreasing) {
  SpoolOptions options = Options(FreshDir(), /*fsync=*/true);
  options.segment_bytes = 2048;
  {
    auto spool = MustOpen(options);
    ASSERT_NE(spool, nullptr);
    for (int i = 1; i <= 20; ++i) AppendOne(*spool, Lines(absl::StrCat(i), 2), 2);
    std::vector<Record> batch;
    ASSERT_TRUE(spool->Read(20, absl::ZeroDuration(), &batch).ok());
    ASSERT_EQ(batch.size(), 10u);
    ASSERT_TRUE(spool->Acknowledge(10).ok());
  }
  {
    auto spool = MustOpen(options);
    ASSERT_NE(spool, nullptr);
    SpoolStats stats = spool->Stats();
    EXPECT_EQ(stats.records, 10u);
    EXPECT_EQ(stats.points, 20u);
    EXPECT_EQ(stats.truncations, 0u);
    std::vector<Record> all = Drain(*spool);
    ASSERT_EQ(all.size(), 10u);
    for (size_t i = 0; i < all.size(); ++i) {
      EXPECT_EQ(all[i].seq, 11 + i);
      EXPECT_EQ(all[i].lines, Lines(absl::StrCat(11 + i), 2));
    }
    EXPECT_EQ(AppendOne(*spool, Lines("x", 1), 1), 21u);
    ASSERT_TRUE(spool->Acknowledge(21).ok());
  }
  {
    // Everything acknowledged: the segments are gone, the seq is not reused.
    auto spool = MustOpen(options);
    ASSERT_NE(spool, nullptr);
    EXPECT_EQ(spool->Stats().records, 0u);
    EXPECT_TRUE(Drain(*spool).empty());
    EXPECT_EQ(AppendOne(*spool, Lines("y", 1), 1), 22u);
  }
}

// The acknowledgement is written over the file it replaces, in place: the
// same inode every time (a temporary renamed over it made a new one per
// batch, at 100 times the CPU), and the text a restart reads.
TEST(SpoolTest, AcknowledgeWritesTheAckFileInPlace) {
  SpoolOptions options = Options(FreshDir(), /*fsync=*/true);
  const std::string ack = options.dir + "/acked";
  auto spool = MustOpen(options);
  ASSERT_NE(spool, nullptr);
  struct stat first;
  ASSERT_EQ(::stat(ack.c_str(), &first), 0) << "Open makes the file";
  for (int i = 1; i <= 3; ++i) {
    const uint64_t seq = AppendOne(*spool, Lines(absl::StrCat(i), 2), 2);
    ASSERT_TRUE(spool->Acknowledge(seq).ok());
    struct stat now;
    ASSERT_EQ(::stat(ack.c_str(), &now), 0);
    EXPECT_EQ(now.st_ino, first.st_ino) << "replaced at acknowledgement " << i;
    std::ifstream in(ack);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    EXPECT_EQ(text, absl::StrFormat("acked %020d\n", seq));
  }
  EXPECT_FALSE(fs::exists(ack + ".tmp"));
  // Deleted under the spool: the next acknowledgement makes it again.
  fs::remove(ack);
  const uint64_t seq = AppendOne(*spool, Lines("after", 1), 1);
  ASSERT_TRUE(spool->Acknowledge(seq).ok());
  std::ifstream in(ack);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(text, absl::StrFormat("acked %020d\n", seq));
}

// A file that is not one line of the spool's own (written by hand, here
// shorter and longer) is replaced whole at the first acknowledgement, so no
// tail of it survives to spoil the line, then written in place again.
TEST(SpoolTest, AnAckFileOfAnotherLengthIsReplacedWhole) {
  for (const std::string& planted : {std::string("acked 0\n"), std::string(200, '9')}) {
    SpoolOptions options = Options(FreshDir());
    const std::string ack = options.dir + "/acked";
    uint64_t seq = 0;
    {
      auto spool = MustOpen(options);
      ASSERT_NE(spool, nullptr);
      seq = AppendOne(*spool, Lines("a", 1), 1);
    }
    { std::ofstream(ack, std::ios::trunc) << planted; }
    auto spool = MustOpen(options);
    ASSERT_NE(spool, nullptr);
    struct stat before;
    ASSERT_EQ(::stat(ack.c_str(), &before), 0);
    ASSERT_TRUE(spool->Acknowledge(seq).ok());
    struct stat replaced;
    ASSERT_EQ(::stat(ack.c_str(), &replaced), 0);
    EXPECT_NE(replaced.st_ino, before.st_ino) << planted.size() << " bytes planted";
    EXPECT_EQ(replaced.st_size, 27);
    const uint64_t next = AppendOne(*spool, Lines("b", 1), 1);
    ASSERT_TRUE(spool->Acknowledge(next).ok());
    struct stat in_place;
    ASSERT_EQ(::stat(ack.c_str(), &in_place), 0);
    EXPECT_EQ(in_place.st_ino, replaced.st_ino);
    std::ifstream in(ack);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    EXPECT_EQ(text, absl::StrFormat("acked %020d\n", next));
  }
}

TEST(SpoolTest, RewindReturnsToFirstUnacknowledged) {
  auto spool = MustOpen(Options(FreshDir()));
  ASSERT_NE(spool, nullptr);
  for (int i = 1; i <= 6; ++i) AppendOne(*spool, Lines(absl::StrCat(i), 1), 1);
  std::vector<Record> batch;
  ASSERT_TRUE(spool->Read(2, absl::ZeroDuration(), &batch).ok());
  ASSERT_TRUE(spool->Acknowledge(2).ok());
  ASSERT_TRUE(spool->Read(2, absl::ZeroDuration(), &batch).ok());
  EXPECT_EQ(batch.front().seq, 3u);
  spool->Rewind();
  ASSERT_TRUE(spool->Read(10, absl::ZeroDuration(), &batch).ok());
  ASSERT_EQ(batch.size(), 4u);
  EXPECT_EQ(batch.front().seq, 3u);
  EXPECT_EQ(batch.back().seq, 6u);
  EXPECT_EQ(spool->Acknowledge(7).code(), absl::StatusCode::kInvalidArgument);
}

// The writer waits in Read with nothing to do; its stop, flush and check
// requests reach it through WakeReader instead of a polling timer.
TEST(SpoolTest, WakeReaderEndsAWaitingReadAndIsNotLostBeforeOne) {
  auto spool = MustOpen(Options(FreshDir()));
  ASSERT_NE(spool, nullptr);
  std::vector<Record> batch;
  absl::Time start = absl::Now();
  std::thread waker([&] {
    absl::SleepFor(absl::Milliseconds(100));
    spool->WakeReader();
  });
  ASSERT_TRUE(spool->Read(10, absl::Seconds(60), &batch).ok());
  waker.join();
  EXPECT_TRUE(batch.empty());
  EXPECT_LT(absl::Now() - start, absl::Seconds(10));

  // A wake that comes before the Read is kept for it, once.
  spool->WakeReader();
  start = absl::Now();
  ASSERT_TRUE(spool->Read(10, absl::Seconds(60), &batch).ok());
  EXPECT_LT(absl::Now() - start, absl::Seconds(10));
  start = absl::Now();
  ASSERT_TRUE(spool->Read(10, absl::Milliseconds(200), &batch).ok());
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(150));

  // Records waiting are returned as usual.
  AppendOne(*spool, Lines("1", 1), 1);
  spool->WakeReader();
  ASSERT_TRUE(spool->Read(10, absl::Seconds(60), &batch).ok());
  EXPECT_EQ(batch.size(), 1u);
}

TEST(SpoolTest, TornTailIsCutAndEarlierRecordsSurvive) {
  SpoolOptions options = Options(FreshDir());
  {
    auto spool = MustOpen(options);
    ASSERT_NE(spool, nullptr);
    for (int i = 1; i <= 10; ++i) AppendOne(*spool, Lines(absl::StrCat(i), 3), 3);
  }
  std::vector<std::string> files = SegmentFiles(options.dir);
  ASSERT_EQ(files.size(), 1u);
  const uint64_t full_size = fs::file_size(files[0]);
  const uint64_t record_size = full_size / 10;  // all records are the same size here
  fs::resize_file(files[0], full_size - record_size / 2);  // mid-payload of the last one

  auto spool = MustOpen(options);
  ASSERT_NE(spool, nullptr);
  SpoolStats stats = spool->Stats();
  EXPECT_EQ(stats.truncations, 1u);
  EXPECT_EQ(stats.records, 9u);
  EXPECT_EQ(stats.points, 27u);
  EXPECT_EQ(fs::file_size(files[0]), 9 * record_size);
  std::vector<Record> all = Drain(*spool);
  ASSERT_EQ(all.size(), 9u);
  for (size_t i = 0; i < all.size(); ++i) {
    EXPECT_EQ(all[i].seq, i + 1);
    EXPECT_EQ(all[i].lines, Lines(absl::StrCat(i + 1), 3));
  }
  // A torn header (a few bytes of the next record) is cut too.
  spool.reset();
  {
    std::ofstream f(files[0], std::ios::binary | std::ios::app);
    f << "OIS";
  }
  spool = MustOpen(options);
  ASSERT_NE(spool, nullptr);
  EXPECT_EQ(spool->Stats().truncations, 1u);
  EXPECT_EQ(spool->Stats().records, 9u);
  EXPECT_EQ(fs::file_size(files[0]), 9 * record_size);
}

// A crash while the active segment is a reused file (SpareSegment): past
// the new records lie the old life's, whole or cut mid-record. Open keeps
// every new record, cuts the old ones without counting damage, and no old
// record is ever read.
TEST(SpoolTest, ACrashInAReusedSegmentFileKeepsItsRecordsAndCutsTheOldOnes) {
  // New records of the old ones' size end on an old record's boundary;
  // of another size, inside one.
  for (const uint32_t new_points : {3u, 1u}) {
    SCOPED_TRACE(absl::StrCat("new records of ", new_points, " points"));
    const std::string dir = FreshDir();
    const std::string crashed = dir + "-crashed";
    fs::remove_all(crashed);
    SpoolOptions options = Options(dir, /*fsync=*/true);
    options.segment_bytes = 4096;
    std::vector<std::string> expected;
    uint64_t reused_bytes = 0;
    {
      auto spool = MustOpen(options);
      ASSERT_NE(spool, nullptr);
      int i = 0;
      while (SegmentFiles(dir).size() < 2) {
        AppendOne(*spool, Lines(absl::StrFormat("old%04d", i++), 3), 3);
      }
      const uint64_t old_bytes = fs::file_size(SegmentFiles(dir)[0]);
      ASSERT_EQ(Drain(*spool).size(), static_cast<size_t>(i));
      ASSERT_TRUE(spool->Acknowledge(i).ok());
      ASSERT_TRUE(fs::exists(fs::path(dir) / kSpareSegmentName)) << "the sealed segment is kept";
      // Fill the active segment until an append rolls onto the spare, then
      // one more record there.
      const size_t before = SegmentFiles(dir).size();
      int n = 0;
      auto append_new = [&] {
        expected.push_back(Lines(absl::StrFormat("new%04d", n++), new_points));
        AppendOne(*spool, expected.back(), new_points);
      };
      while (SegmentFiles(dir).size() == before) append_new();
      append_new();
      EXPECT_FALSE(fs::exists(fs::path(dir) / kSpareSegmentName)) << "the roll took the spare";
      const std::string reused = SegmentFiles(dir).back();
      EXPECT_EQ(fs::file_size(reused), old_bytes) << "the old life's bytes are still there";
      // The two records in the reused file: the last two appended.
      for (size_t k = expected.size() - 2; k < expected.size(); ++k) {
        reused_bytes += kRecordHeaderSize + expected[k].size();
      }
      ASSERT_LT(reused_bytes, old_bytes);
      fs::copy(dir, crashed, fs::copy_options::recursive);  // the disk at a crash
    }
    EXPECT_EQ(fs::file_size(SegmentFiles(dir).back()), reused_bytes)
        << "closing the spool cuts the reused file to its records";

    options.dir = crashed;
    auto spool = MustOpen(options);
    ASSERT_NE(spool, nullptr);
    EXPECT_EQ(spool->Stats().truncations, 0u) << "an old life is not damage";
    EXPECT_EQ(spool->Stats().records_lost_to_damage, 0u);
    EXPECT_EQ(spool->Stats().records, expected.size());
    EXPECT_EQ(fs::file_size(SegmentFiles(crashed).back()), reused_bytes);
    std::vector<Record> all = Drain(*spool);
    ASSERT_EQ(all.size(), expected.size());
    for (size_t k = 0; k < all.size(); ++k) EXPECT_EQ(all[k].lines, expected[k]) << k;
  }
}

void FlipBit(const std::string& path, uint64_t offset) {
  std::fstream f(path, std::ios::binary | std::ios::in | std::ios::out);
  f.seekg(offset);
  char c;
  f.get(c);
  c ^= 0x10;
  f.seekp(offset);
  f.put(c);
}

void PutByte(const std::string& path, uint64_t offset, char c) {
  std::fstream f(path, std::ios::binary | std::ios::in | std::ios::out);
  f.seekp(offset);
  f.put(c);
}

// Ten records of 2 points each, ids 1..10, in one segment; the record size.
uint64_t TenRecords(const SpoolOptions& options, std::string* file) {
  auto spool = MustOpen(options);
  if (spool == nullptr) return 0;
  for (int i = 1; i <= 10; ++i) AppendOne(*spool, Lines(absl::StrCat(i), 2), 2);
  std::vector<std::string> files = SegmentFiles(options.dir);
  EXPECT_EQ(files.size(), 1u);
  *file = files.empty() ? "" : files[0];
  return fs::file_size(*file) / 10;
}

// Everything but record `lost` (1-based), in order and intact.
void ExpectAllBut(const std::vector<Record>& all, uint64_t lost) {
  std::vector<uint64_t> seqs;
  for (const Record& r : all) {
    seqs.push_back(r.seq);
    EXPECT_EQ(r.lines, Lines(absl::StrCat(r.seq), 2));
  }
  std::vector<uint64_t> want;
  for (uint64_t i = 1; i <= 10; ++i) {
    if (i != lost) want.push_back(i);
  }
  EXPECT_EQ(seqs, want);
}

// A flipped payload bit in the middle of a segment costs that record only:
// Open resyncs at the next record, cuts nothing, and reports the loss.
TEST(SpoolTest, DamagedPayloadAtOpenCostsOnlyThatRecord) {
  SpoolOptions options = Options(FreshDir());
  std::string file;
  const uint64_t record_size = TenRecords(options, &file);
  const uint64_t size = fs::file_size(file);
  FlipBit(file, 4 * record_size + 40);  // inside record 5's payload

  auto spool = MustOpen(options);
  ASSERT_NE(spool, nullptr);
  SpoolStats stats = spool->Stats();
  EXPECT_EQ(stats.truncations, 0u);
  EXPECT_EQ(stats.records, 9u);
  EXPECT_EQ(stats.points, 18u);
  EXPECT_EQ(stats.records_lost_to_damage, 1u);
  EXPECT_EQ(stats.bytes_lost_to_damage, record_size);
  EXPECT_EQ(fs::file_size(file), size);
  ExpectAllBut(Drain(*spool), 5);
  ASSERT_TRUE(spool->Acknowledge(10).ok());
  EXPECT_EQ(spool->Stats().records, 0u);
  EXPECT_EQ(spool->Stats().points, 0u);
  EXPECT_EQ(spool->Stats().bytes, 0u);
}

// A damaged header (bad magic, or an impossible length) cannot frame its
// record: the scan finds the next record by its magic, CRC and seq.
TEST(SpoolTest, DamagedHeaderAtOpenCostsOnlyThatRecord) {
  for (const uint64_t byte_in_record : {uint64_t{0}, uint64_t{7}, uint64_t{4}}) {
    SCOPED_TRACE(absl::StrCat("damaged header byte ", byte_in_record));
    SpoolOptions options = Options(absl::StrCat(FreshDir(), "_", byte_in_record));
    fs::remove_all(options.dir);
    std::string file;
    const uint64_t record_size = TenRecords(options, &file);
    // Byte 0: the magic; byte 7: the length's top byte (over the limit);
    // byte 4: the length's low byte, still plausible, so it misframes.
    PutByte(file, 2 * record_size + byte_in_record, '\x7f');

    auto spool = MustOpen(options);
    ASSERT_NE(spool, nullptr);
    SpoolStats stats = spool->Stats();
    EXPECT_EQ(stats.truncations, 0u);
    EXPECT_EQ(stats.records, 9u);
    EXPECT_EQ(stats.records_lost_to_damage, 1u);
    EXPECT_EQ(stats.bytes_lost_to_damage, record_size);
    ExpectAllBut(Drain(*spool), 3);
    ASSERT_TRUE(spool->Acknowledge(10).ok());
    EXPECT_EQ(spool->Stats().records, 0u);
  }
}

// Damage that appears while the spool is open (the media went bad after
// Open): Read skips it, reports it once, and the consumer goes on; it never
// answers DATA_LOSS forever. Acknowledging past it works too.
TEST(SpoolTest, DamageAfterOpenIsSkippedByReadAndAcknowledge) {
  for (const bool header : {false, true}) {
    SCOPED_TRACE(header ? "header" : "payload");
    SpoolOptions options = Options(absl::StrCat(FreshDir(), header ? "_h" : "_p"));
    // The file's damage is the subject: nothing read from memory.
    options.memory_bytes = 0;
    fs::remove_all(options.dir);
    auto spool = MustOpen(options);
    ASSERT_NE(spool, nullptr);
    for (int i = 1; i <= 10; ++i) AppendOne(*spool, Lines(absl::StrCat(i), 2), 2);
    const std::string file = SegmentFiles(options.dir).at(0);
    const uint64_t record_size = fs::file_size(file) / 10;
    FlipBit(file, 6 * record_size + (header ? 1 : 40));  // record 7

    std::vector<Record> all = Drain(*spool, /*max_points=*/4);
    ExpectAllBut(all, 7);
    EXPECT_EQ(spool->Stats().records_lost_to_damage, 1u);
    EXPECT_EQ(spool->Stats().bytes_lost_to_damage, record_size);
    ASSERT_TRUE(spool->Acknowledge(10).ok());
    EXPECT_EQ(spool->Stats().records, 0u);
    EXPECT_EQ(spool->Stats().points, 0u);
    EXPECT_EQ(spool->Stats().bytes, 0u);
    // Reading goes on with new appends in the same segment.
    const uint64_t next = AppendOne(*spool, Lines("11", 2), 2);
    EXPECT_EQ(next, 11u);
    all = Drain(*spool);
    ASSERT_EQ(all.size(), 1u);
    EXPECT_EQ(all[0].seq, 11u);
    EXPECT_EQ(spool->Stats().records_lost_to_damage, 1u);
  }
}

// Damage the reader has not met (it went bad after the read) does not make
// Acknowledge fail forever either.
TEST(SpoolTest, AcknowledgeWalksPastUnreadDamagedHeader) {
  SpoolOptions options = Options(FreshDir());
  auto spool = MustOpen(options);
  ASSERT_NE(spool, nullptr);
  for (int i = 1; i <= 10; ++i) AppendOne(*spool, Lines(absl::StrCat(i), 2), 2);
  const std::string file = SegmentFiles(options.dir).at(0);
  const uint64_t record_size = fs::file_size(file) / 10;
  ASSERT_EQ(Drain(*spool).size(), 10u);
  PutByte(file, 3 * record_size, 'X');  // record 4's magic
  ASSERT_TRUE(spool->Acknowledge(8).ok());
  EXPECT_EQ(spool->Stats().records, 2u);
  EXPECT_EQ(spool->Stats().records_lost_to_damage, 1u);
  ASSERT_TRUE(spool->Acknowledge(10).ok());
  EXPECT_EQ(spool->Stats().records, 0u);
  EXPECT_EQ(spool->Stats().points, 0u);
}

// Damage costs only the damaged record, in its own segment as in later
// ones; a file with no valid record at all is deleted.
TEST(SpoolTest, CorruptionMidLogKeepsLaterSegmentsAndDeletesGarbage) {
  SpoolOptions options = Options(FreshDir());
  options.segment_bytes = 600;
  uint64_t last = 0;
  {
    auto spool = MustOpen(options);
    ASSERT_NE(spool, nullptr);
    for (int i = 1; i <= 30; ++i) last = AppendOne(*spool, Lines(absl::StrCat(i), 2), 2);
  }
  std::vector<std::string> files = SegmentFiles(options.dir);
  ASSERT_GE(files.size(), 3u);
  FlipBit(files[0], 40);  // first record of the first segment
  const std::string garbage = (fs::path(options.dir) / "segment-00000000000000099999.log").string();
  { std::ofstream(garbage) << "not a record at all, just some bytes that are long enough"; }

  auto spool = MustOpen(options);
  ASSERT_NE(spool, nullptr);
  EXPECT_EQ(spool->Stats().truncations, 1u);  // the garbage file
  EXPECT_EQ(spool->Stats().records_lost_to_damage, 1u);
  EXPECT_FALSE(fs::exists(garbage));
  EXPECT_TRUE(fs::exists(files[0]));  // its other records are as good as any
  std::vector<Record> all = Drain(*spool);
  ASSERT_FALSE(all.empty());
  EXPECT_EQ(all.front().seq, 2u);
  EXPECT_EQ(all.back().seq, last);
  for (size_t i = 1; i < all.size(); ++i) EXPECT_EQ(all[i].seq, all[i - 1].seq + 1);
  for (const Record& r : all) EXPECT_EQ(r.lines, Lines(absl::StrCat(r.seq), 2));
  EXPECT_EQ(AppendOne(*spool, "m v=1i\n", 1), last + 1);
}

TEST(SpoolTest, MaxBytesRefusesThenAcceptsAfterAck) {
  SpoolOptions options = Options(FreshDir());
  const std::string lines = Lines("full", 4);
  const uint64_t record_bytes = 32 + lines.size();  // header + payload
  options.max_bytes = 5 * record_bytes;
  auto spool = MustOpen(options);
  ASSERT_NE(spool, nullptr);
  for (int i = 0; i < 5; ++i) AppendOne(*spool, lines, 4);
  Chunk chunk{lines, 4};
  absl::StatusOr<uint64_t> refused = spool->Append({&chunk, 1});
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kResourceExhausted) << refused.status();
  EXPECT_EQ(spool->Stats().records, 5u);
  EXPECT_EQ(spool->Stats().bytes, 5 * record_bytes);
  EXPECT_EQ(spool->last_appended_seq(), 5u);

  std::vector<Record> batch;
  ASSERT_TRUE(spool->Read(8, absl::ZeroDuration(), &batch).ok());
  ASSERT_EQ(batch.size(), 2u);
  ASSERT_TRUE(spool->Acknowledge(batch.back().seq).ok());
  EXPECT_EQ(AppendOne(*spool, lines, 4), 6u);  // seqs of refused appends are not consumed
  EXPECT_EQ(AppendOne(*spool, lines, 4), 7u);
  EXPECT_EQ(spool->Append({&chunk, 1}).status().code(), absl::StatusCode::kResourceExhausted);
}

TEST(SpoolTest, ConcurrentAppendersGroupCommitAndReadBackExactlyOnce) {
  SpoolOptions options = Options(FreshDir(), /*fsync=*/true);
  options.segment_bytes = 64 << 10;
  auto spool = MustOpen(options);
  ASSERT_NE(spool, nullptr);
  constexpr int kThreads = 8, kAppends = 150;

  // The reader checks order and content as the records arrive and
  // acknowledges, so segments are deleted while appenders write.
  std::map<uint64_t, std::string> seen;  // seq -> lines
  std::atomic<bool> appenders_done{false};
  std::thread reader([&] {
    std::vector<Record> batch;
    uint64_t last_seq = 0;
    for (;;) {
      ASSERT_TRUE(spool->Read(50, absl::Milliseconds(20), &batch).ok());
      if (batch.empty()) {
        if (appenders_done && spool->Stats().records == 0) return;
        continue;
      }
      for (Record& r : batch) {
        ASSERT_GT(r.seq, last_seq);
        last_seq = r.seq;
        ASSERT_TRUE(seen.emplace(r.seq, std::move(r.lines)).second);
      }
      ASSERT_TRUE(spool->Acknowledge(last_seq).ok());
    }
  });
  std::vector<std::vector<uint64_t>> last_seqs(kThreads);
  std::vector<std::thread> appenders;
  for (int t = 0; t < kThreads; ++t) {
    appenders.emplace_back([&, t] {
      for (int i = 0; i < kAppends; ++i) {
        // 1 to 3 records per append, to check they stay contiguous.
        std::vector<std::string> texts;
        std::vector<Chunk> chunks;
        for (int k = 0; k <= i % 3; ++k) texts.push_back(Lines(absl::StrCat(t, "-", i, "-", k), 5));
        for (const std::string& s : texts) chunks.push_back({s, 5});
        absl::StatusOr<uint64_t> seq = spool->Append(chunks);
        ASSERT_TRUE(seq.ok()) << seq.status();
        last_seqs[t].push_back(*seq);
      }
    });
  }
  for (std::thread& th : appenders) th.join();
  appenders_done = true;
  reader.join();

  size_t expected_records = 0;
  for (int t = 0; t < kThreads; ++t) {
    ASSERT_EQ(last_seqs[t].size(), static_cast<size_t>(kAppends));
    for (int i = 0; i < kAppends; ++i) {
      const int n = i % 3 + 1;
      expected_records += n;
      for (int k = 0; k < n; ++k) {
        auto it = seen.find(last_seqs[t][i] - (n - 1 - k));
        ASSERT_NE(it, seen.end());
        EXPECT_EQ(it->second, Lines(absl::StrCat(t, "-", i, "-", k), 5));
      }
    }
  }
  EXPECT_EQ(seen.size(), expected_records);
  SpoolStats stats = spool->Stats();
  EXPECT_EQ(stats.appends, static_cast<uint64_t>(kThreads * kAppends));
  EXPECT_GT(stats.fsyncs, 0u);
  // Group commit: concurrent appenders share fdatasyncs.
  std::printf("group commit: %llu appends, %llu fsyncs\n",
              static_cast<unsigned long long>(stats.appends),
              static_cast<unsigned long long>(stats.fsyncs));
  EXPECT_LT(stats.fsyncs * 2, stats.appends) << "fsyncs=" << stats.fsyncs;
  EXPECT_EQ(stats.records, 0u);
}

TEST(SpoolTest, ReadWaitsAndWakesOnAppend) {
  auto spool = MustOpen(Options(FreshDir()));
  ASSERT_NE(spool, nullptr);
  std::vector<Record> batch;
  absl::Time start = absl::Now();
  ASSERT_TRUE(spool->Read(10, absl::Milliseconds(100), &batch).ok());
  EXPECT_TRUE(batch.empty());
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(95));

  std::thread appender([&] {
    absl::SleepFor(absl::Milliseconds(100));
    AppendOne(*spool, Lines("late", 1), 1);
  });
  start = absl::Now();
  ASSERT_TRUE(spool->Read(10, absl::Seconds(20), &batch).ok());
  const absl::Duration waited = absl::Now() - start;
  appender.join();
  ASSERT_EQ(batch.size(), 1u);
  EXPECT_EQ(batch[0].lines, Lines("late", 1));
  EXPECT_LT(waited, absl::Seconds(10));
}

TEST(SpoolTest, CloseWakesBlockedReaderAndStopsAppends) {
  auto spool = MustOpen(Options(FreshDir()));
  ASSERT_NE(spool, nullptr);
  absl::Notification reading;
  std::vector<Record> batch = {Record{1, 1, 1, "stale"}};
  absl::Duration waited;
  std::thread reader([&] {
    reading.Notify();
    absl::Time start = absl::Now();
    EXPECT_TRUE(spool->Read(10, absl::Seconds(30), &batch).ok());
    waited = absl::Now() - start;
  });
  reading.WaitForNotification();
  absl::SleepFor(absl::Milliseconds(100));
  spool->Close();
  reader.join();
  EXPECT_TRUE(batch.empty());
  EXPECT_LT(waited, absl::Seconds(10));
  Chunk chunk{"m v=1i\n", 1};
  EXPECT_EQ(spool->Append({&chunk, 1}).status().code(), absl::StatusCode::kUnavailable);
  ASSERT_TRUE(spool->Read(10, absl::Seconds(5), &batch).ok());
  EXPECT_TRUE(batch.empty());
}

TEST(SpoolTest, WaitAcknowledged) {
  auto spool = MustOpen(Options(FreshDir()));
  ASSERT_NE(spool, nullptr);
  for (int i = 0; i < 3; ++i) AppendOne(*spool, Lines("w", 1), 1);
  EXPECT_FALSE(spool->WaitAcknowledged(2, absl::Now() + absl::Milliseconds(50)));
  std::thread acker([&] {
    absl::SleepFor(absl::Milliseconds(100));
    EXPECT_TRUE(spool->Acknowledge(1).ok());
    absl::SleepFor(absl::Milliseconds(50));
    EXPECT_TRUE(spool->Acknowledge(2).ok());
  });
  absl::Time start = absl::Now();
  EXPECT_TRUE(spool->WaitAcknowledged(2, absl::Now() + absl::Seconds(20)));
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(140));
  acker.join();
  EXPECT_TRUE(spool->WaitAcknowledged(1, absl::InfinitePast()));
  EXPECT_FALSE(spool->WaitAcknowledged(3, absl::Now() + absl::Milliseconds(20)));
  EXPECT_EQ(spool->Stats().records, 1u);
}

// A write that fails part-way (here: past RLIMIT_FSIZE, as a stand-in for a
// full disk) reports the file and errno, leaves no partial record, and the
// spool takes appends again once writes succeed.
TEST(SpoolTest, DiskErrorIsReportedAndSpoolRecovers) {
  SpoolOptions options = Options(FreshDir(), /*fsync=*/true);
  auto spool = MustOpen(options);
  ASSERT_NE(spool, nullptr);
  for (int i = 1; i <= 3; ++i) AppendOne(*spool, Lines(absl::StrCat(i), 2), 2);
  std::vector<std::string> files = SegmentFiles(options.dir);
  ASSERT_EQ(files.size(), 1u);
  const uint64_t size = fs::file_size(files[0]);

  const std::string big = Lines("big", 20);
  absl::StatusOr<uint64_t> failed =
      AppendWithFileSizeLimit(*spool, big, 20, size + 100);  // the next record only partly fits
  ASSERT_FALSE(failed.ok());
  EXPECT_THAT(failed.status().message(), HasSubstr(files[0]));
  EXPECT_THAT(failed.status().message(), HasSubstr("File too large"));
  EXPECT_EQ(fs::file_size(files[0]), size);  // the partial record was cut off
  EXPECT_EQ(spool->Stats().records, 3u);
  EXPECT_EQ(spool->last_appended_seq(), 3u);

  const uint64_t seq = AppendOne(*spool, big, 20);
  EXPECT_GT(seq, 4u - 1);
  std::vector<Record> all = Drain(*spool);
  ASSERT_EQ(all.size(), 4u);
  EXPECT_EQ(all[3].lines, big);
  EXPECT_EQ(all[3].seq, seq);
  spool.reset();
  spool = MustOpen(options);
  ASSERT_NE(spool, nullptr);
  EXPECT_EQ(spool->Stats().truncations, 0u);
  EXPECT_EQ(spool->Stats().records, 4u);
}

// A full disk (here the file size limit, EFBIG, which maps to the same
// RESOURCE_EXHAUSTED as ENOSPC) seals the segment, so that acknowledging
// its records deletes the file and gives the space back; an active segment
// is never deleted, and would hold the disk for good.
TEST(SpoolTest, FullDiskSealsTheSegmentSoThatAcknowledgingFreesIt) {
  SpoolOptions options = Options(FreshDir(), /*fsync=*/true);
  auto spool = MustOpen(options);
  ASSERT_NE(spool, nullptr);
  uint64_t last = 0;
  for (int i = 1; i <= 3; ++i) last = AppendOne(*spool, Lines(absl::StrCat(i), 2), 2);
  std::vector<std::string> files = SegmentFiles(options.dir);
  ASSERT_EQ(files.size(), 1u);

  const std::string big = Lines("big", 20);
  absl::StatusOr<uint64_t> failed =
      AppendWithFileSizeLimit(*spool, big, 20, fs::file_size(files[0]) + 100);
  ASSERT_TRUE(absl::IsResourceExhausted(failed.status())) << failed.status();

  ASSERT_EQ(Drain(*spool).size(), 3u);
  ASSERT_TRUE(spool->Acknowledge(last).ok());
  EXPECT_TRUE(SegmentFiles(options.dir).empty()) << "the acknowledged segment is still on disk";
  EXPECT_EQ(spool->Stats().segments, 0u);
  // Appends go on in a new segment, and the ack file written in place
  // (fixed width) still reads back.
  const uint64_t next = AppendOne(*spool, big, 20);
  EXPECT_GT(next, last);
  EXPECT_EQ(SegmentFiles(options.dir).size(), 1u);
  spool.reset();
  spool = MustOpen(options);
  ASSERT_NE(spool, nullptr);
  std::vector<Record> all = Drain(*spool);
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].seq, next);
}

// A segment already wholly acknowledged when the disk fills is deleted at
// once: no later Acknowledge would come for it.
TEST(SpoolTest, FullDiskDeletesAnAlreadyAcknowledgedSegment) {
  SpoolOptions options = Options(FreshDir(), /*fsync=*/true);
  auto spool = MustOpen(options);
  ASSERT_NE(spool, nullptr);
  const uint64_t last = AppendOne(*spool, Lines("a", 2), 2);
  ASSERT_EQ(Drain(*spool).size(), 1u);
  ASSERT_TRUE(spool->Acknowledge(last).ok());
  std::vector<std::string> files = SegmentFiles(options.dir);
  ASSERT_EQ(files.size(), 1u);  // active: kept for the next appends

  const std::string big = Lines("big", 20);
  absl::StatusOr<uint64_t> failed =
      AppendWithFileSizeLimit(*spool, big, 20, fs::file_size(files[0]) + 10);
  ASSERT_TRUE(absl::IsResourceExhausted(failed.status())) << failed.status();
  EXPECT_TRUE(SegmentFiles(options.dir).empty());
  EXPECT_GT(AppendOne(*spool, big, 20), last);
}

// Issue 8 item 9: Acknowledge plans while the segment is still active (so
// it is only walked, not deleted), then an append fails on the full disk
// and abandons the segment before the plan is applied. Whoever of the two
// finishes last must delete the now wholly acknowledged, sealed segment, or
// it holds the full disk for good.
TEST(SpoolTest, AcknowledgeRacingAnAbandoningAppendStillFreesTheSegment) {
  SpoolOptions options = Options(FreshDir(), /*fsync=*/true);
  Spool* raw = nullptr;
  bool failed_append = false;
  options.testing_after_acknowledge_plan = [&] {
    std::vector<std::string> files = SegmentFiles(options.dir);
    ASSERT_EQ(files.size(), 1u);
    absl::StatusOr<uint64_t> failed =
        AppendWithFileSizeLimit(*raw, Lines("big", 20), 20, fs::file_size(files[0]) + 100);
    failed_append = absl::IsResourceExhausted(failed.status());
  };
  auto spool = MustOpen(options);
  ASSERT_NE(spool, nullptr);
  raw = spool.get();
  uint64_t last = 0;
  for (int i = 1; i <= 3; ++i) last = AppendOne(*spool, Lines(absl::StrCat(i), 2), 2);
  ASSERT_EQ(Drain(*spool).size(), 3u);
  ASSERT_TRUE(spool->Acknowledge(last).ok());
  ASSERT_TRUE(failed_append);
  EXPECT_TRUE(SegmentFiles(options.dir).empty()) << "the acknowledged, abandoned segment is still on disk";
  EXPECT_EQ(spool->Stats().segments, 0u);
  EXPECT_GT(AppendOne(*spool, Lines("after", 2), 2), last);
}

TEST(SpoolTest, OpenCreatesNestedDirectory) {
  std::string dir = FreshDir() + "/a/b/c";
  auto spool = MustOpen(Options(dir));
  ASSERT_NE(spool, nullptr);
  EXPECT_TRUE(fs::is_directory(dir));
  EXPECT_EQ(AppendOne(*spool, "m v=1i\n", 1), 1u);
}

}  // namespace
}  // namespace ocs_influx::spool
