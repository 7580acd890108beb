// FeedTracker alone: series recognised in line protocol as written (escapes,
// the feed tag anywhere among the tags, none at all), the bound and its
// eviction, the rate window, dead letters after a partial write.
#include "service/engine/feed_tracker.h"

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "service/core/line_chunks.h"
#include "service/core/line_parser.h"

namespace ocs_influx::server {
namespace {

const absl::Time kT0 = absl::FromUnixSeconds(1700000000);

const FeedSnapshot* Find(const std::vector<FeedSnapshot>& feeds,
                         const std::string& m, const std::string& f) {
  for (const FeedSnapshot& s : feeds) {
    if (s.measurement == m && s.feed == f) return &s;
  }
  return nullptr;
}

TEST(FeedTrackerTest, RecognisesFeedsAsWritten) {
  FeedTracker t(absl::Seconds(60));
  t.Accepted("a\\ b\\,c,x=1,feed=f\\=1\\,2 v=1 10\n"
             "a\\ b\\,c,x=1,feed=f\\=1\\,2 v=1 11\n"
             "a\\ b\\,c,feed=f\\=1\\,2 v=1 12\n"
             "a\\ b\\,c,feedx=zz v=1 13\n"
             "a\\ b\\,c,x=1,feed=f\\=1\\,2\\ more v=1 14\n",
             kT0);
  auto feeds = t.Snapshot(kT0, 100);
  ASSERT_EQ(feeds.size(), 3u);
  const FeedSnapshot* f = Find(feeds, "a b,c", "f=1,2");
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->points_accepted, 3u);
  EXPECT_EQ(f->last_point_unix_ns, 12);
  const FeedSnapshot* none = Find(feeds, "a b,c", "");
  ASSERT_NE(none, nullptr);
  EXPECT_EQ(none->points_accepted, 1u);
  const FeedSnapshot* more = Find(feeds, "a b,c", "f=1,2 more");
  ASSERT_NE(more, nullptr);
  EXPECT_EQ(more->points_accepted, 1u);
}

// A chunk's series runs (LineChunks::chunk_runs) count as the scan counts
// its lines: the same feeds, points and newest timestamps, for one series
// with escapes, for runs of many, and for a chunk of too many (no runs).
TEST(FeedTrackerTest, AChunksSeriesRunsCountAsTheScan) {
  const std::string key = "a\\ b\\,c,x=1,feed=f\\=1\\,2";
  std::vector<std::string> texts;
  std::string text;
  for (int i = 0; i < 5; ++i) absl::StrAppend(&text, key, " v=1,w=\"s p\" ", 10 + i, "\n");
  texts.push_back(text);
  text.clear();
  for (int i = 0; i < 40; ++i) {
    absl::StrAppend(&text, "m,feed=f", i / 4 % 3, " v=1 ", 100 + i, "\n");
  }
  texts.push_back(text);
  text.clear();
  for (size_t i = 0; i <= core::kMaxRunsPerChunk; ++i) {
    absl::StrAppend(&text, "m,feed=g", i % 2, " v=1 ", 1000 + i, "\n");
  }
  texts.push_back(text);
  for (const std::string& t : texts) {
    core::LineChunks chunks;
    core::LinesConverter converter;
    core::EncodeResult result;
    ASSERT_TRUE(converter.Convert(t, core::Precision::kNanoseconds, 0, &chunks, &result).ok());
    ASSERT_EQ(chunks.size(), 1u);
    FeedTracker scanned(absl::Seconds(60)), told(absl::Seconds(60));
    scanned.Accepted(chunks.chunk(0), kT0);
    told.Accepted(chunks.chunk(0), chunks.chunk_runs(0), kT0);
    const auto a = scanned.Snapshot(kT0, 10), b = told.Snapshot(kT0, 10);
    ASSERT_EQ(a.size(), b.size()) << t.substr(0, 100);
    ASSERT_FALSE(a.empty());
    for (const FeedSnapshot& s : a) {
      const FeedSnapshot* other = Find(b, s.measurement, s.feed);
      ASSERT_NE(other, nullptr) << s.measurement << " " << s.feed;
      EXPECT_EQ(other->points_accepted, s.points_accepted) << s.feed;
      EXPECT_EQ(other->last_point_unix_ns, s.last_point_unix_ns) << s.feed;
    }
  }
  // The first text: one series, with its escapes undone in the snapshot.
  FeedTracker one(absl::Seconds(60));
  core::LineChunks chunks;
  core::LinesConverter converter;
  core::EncodeResult result;
  ASSERT_TRUE(converter.Convert(texts[0], core::Precision::kNanoseconds, 0, &chunks, &result).ok());
  one.Accepted(chunks.chunk(0), chunks.chunk_runs(0), kT0);
  const auto c = one.Snapshot(kT0, 10);
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0].measurement, "a b,c");
  EXPECT_EQ(c[0].feed, "f=1,2");
  EXPECT_EQ(c[0].points_accepted, 5u);
  EXPECT_EQ(c[0].last_point_unix_ns, 14);
}

TEST(FeedTrackerTest, WrittenAndDeadLetteredPerFeed) {
  FeedTracker t(absl::Seconds(60));
  const std::string lines = "m,feed=a v=1 1\nm,feed=a v=2 2\nm,feed=b v=1 3\n";
  t.Accepted(lines, kT0);
  t.Written(lines);
  // A partial write: one line of b refused, after the batch counted written.
  t.DeadLettered("# line 3: bad\nm,feed=b v=1 3\n", /*were_written=*/true);
  t.DeadLettered("m,feed=a v=9 9\n", /*were_written=*/false);
  auto feeds = t.Snapshot(kT0, 10);
  EXPECT_EQ(Find(feeds, "m", "a")->points_written, 2u);
  EXPECT_EQ(Find(feeds, "m", "a")->points_dead_lettered, 1u);
  EXPECT_EQ(Find(feeds, "m", "b")->points_written, 0u);
  EXPECT_EQ(Find(feeds, "m", "b")->points_dead_lettered, 1u);
  // Lines of a feed never accepted (an earlier run's spool) are not made up.
  t.Written("m,feed=zz v=1 1\n");
  EXPECT_EQ(t.tracked(), 2u);
}

// Records of several feeds through LineChunks, as the publisher appends
// them: their text end to end, and where each lies in it.
struct Records {
  std::string body;
  std::vector<FeedTracker::RecordLines> lines;
};

Records KeepThreeRecords(FeedTracker* t, uint64_t first_seq) {
  Records r;
  for (uint64_t k = 0; k < 3; ++k) {
    std::string text;
    for (int i = 0; i < 12; ++i) {
      absl::StrAppend(&text, "m,feed=f", (i / 5 + k) % 3, " v=", i, " ", 100 * k + i, "\n");
    }
    core::LineChunks chunks;
    core::LinesConverter converter;
    core::EncodeResult result;
    EXPECT_TRUE(converter.Convert(text, core::Precision::kNanoseconds, 0, &chunks, &result).ok());
    EXPECT_EQ(chunks.size(), 1u);
    EXPECT_EQ(chunks.chunk_runs(0).size(), 3u);
    t->Accepted(chunks.chunk(0), chunks.chunk_runs(0), kT0);
    t->KeepRuns(first_seq + k, chunks.chunk_runs(0));
    r.lines.push_back({first_seq + k, chunks.chunk_points(0), r.body.size(), chunks.chunk(0).size()});
    r.body.append(chunks.chunk(0).data(), chunks.chunk(0).size());
  }
  return r;
}

std::vector<uint64_t> WrittenOfThreeFeeds(const FeedTracker& t) {
  const auto feeds = t.Snapshot(kT0, 10);
  std::vector<uint64_t> out;
  for (const char* f : {"f0", "f1", "f2"}) {
    const FeedSnapshot* s = Find(feeds, "m", f);
    out.push_back(s != nullptr ? s->points_written : 999);
  }
  return out;
}

TEST(FeedTrackerTest, WrittenRecordsCountFromTheRunsKeptAtAcceptance) {
  FeedTracker kept(absl::Seconds(60)), scanned(absl::Seconds(60));
  const Records a = KeepThreeRecords(&kept, 7);
  const Records b = KeepThreeRecords(&scanned, 7);
  kept.Written(a.body, a.lines);
  scanned.Written(b.body);
  EXPECT_EQ(WrittenOfThreeFeeds(kept), WrittenOfThreeFeeds(scanned));
  EXPECT_EQ(WrittenOfThreeFeeds(kept), (std::vector<uint64_t>{12, 12, 12}));
}

// Which way Written counted shows when kept runs disagree with the lines
// (they never do in the publisher): the runs say one series of 2 points,
// the lines hold two of one point each.
TEST(FeedTrackerTest, WrittenUsesKeptRunsOnlyWhenEveryRecordHasThem) {
  const std::string lines = "m,feed=a v=1 1\nm,feed=b v=1 2\n";
  const std::vector<core::SeriesRun> one_run = {{0, 8, 0, 14, 2}};
  const FeedTracker::RecordLines whole = {5, 2, 0, lines.size()};
  auto counts = [](const FeedTracker& t) {
    const auto feeds = t.Snapshot(kT0, 10);
    return std::make_pair(Find(feeds, "m", "a")->points_written,
                          Find(feeds, "m", "b")->points_written);
  };
  {
    FeedTracker t(absl::Seconds(60));
    t.Accepted(lines, kT0);
    t.KeepRuns(5, one_run);
    t.Written(lines, {&whole, 1});
    EXPECT_EQ(counts(t), std::make_pair(uint64_t{2}, uint64_t{0}));  // the runs
    t.Written(lines, {&whole, 1});  // taken by the first call: scanned
    EXPECT_EQ(counts(t), std::make_pair(uint64_t{3}, uint64_t{1}));
  }
  {
    // Another record's runs are missing: all of them scanned.
    FeedTracker t(absl::Seconds(60));
    t.Accepted(lines, kT0);
    t.KeepRuns(5, one_run);
    const FeedTracker::RecordLines two[] = {{5, 2, 0, 15}, {6, 1, 15, 15}};
    t.Written(lines, two);
    EXPECT_EQ(counts(t), std::make_pair(uint64_t{1}, uint64_t{1}));
  }
  {
    // Runs that do not add up to the record's points, or reach past it.
    for (const FeedTracker::RecordLines r :
         {FeedTracker::RecordLines{5, 3, 0, lines.size()}, FeedTracker::RecordLines{5, 2, 0, 4}}) {
      FeedTracker t(absl::Seconds(60));
      t.Accepted(lines, kT0);
      t.KeepRuns(5, one_run);
      t.Written(lines, {&r, 1});
      EXPECT_EQ(counts(t), std::make_pair(uint64_t{1}, uint64_t{1}));
    }
  }
}

TEST(FeedTrackerTest, KeptRunsAreBounded) {
  // Past 4096 records kept, the oldest are dropped: then scanned.
  const std::string lines = "m,feed=a v=1 1\nm,feed=b v=1 2\n";
  const std::vector<core::SeriesRun> one_run = {{0, 8, 0, 14, 2}};
  FeedTracker t(absl::Seconds(60));
  t.Accepted(lines, kT0);
  for (uint64_t seq = 1; seq <= 4097; ++seq) t.KeepRuns(seq, one_run);
  const FeedTracker::RecordLines oldest = {1, 2, 0, lines.size()};
  const FeedTracker::RecordLines second = {2, 2, 0, lines.size()};
  t.Written(lines, {&oldest, 1});  // dropped: scanned
  t.Written(lines, {&second, 1});  // kept: one run of 2
  const auto feeds = t.Snapshot(kT0, 10);
  EXPECT_EQ(Find(feeds, "m", "a")->points_written, 3u);
  EXPECT_EQ(Find(feeds, "m", "b")->points_written, 1u);
}

TEST(FeedTrackerTest, BoundedEvictsOnlyIdleFeeds) {
  FeedTracker t(absl::Seconds(1), /*capacity=*/3, /*evict_idle=*/absl::Seconds(10));
  for (int i = 0; i < 5; ++i) t.Accepted(absl::StrCat("m,feed=f", i, " v=1 1\n"), kT0);
  EXPECT_EQ(t.tracked(), 3u);
  EXPECT_EQ(t.feeds_not_tracked(), 2u);
  EXPECT_EQ(t.points_not_tracked(), 2u);
  // Idle less than evict_idle: still no room.
  t.Accepted("m,feed=new v=1 1\n", kT0 + absl::Seconds(5));
  EXPECT_EQ(t.feeds_not_tracked(), 3u);
  t.Accepted("m,feed=f0 v=1 1\n", kT0 + absl::Seconds(9));
  // f1 and f2 idle past 10 s: evicted, f0 kept.
  t.Accepted("m,feed=new v=1 1\n", kT0 + absl::Seconds(12));
  auto feeds = t.Snapshot(kT0 + absl::Seconds(12), 10);
  ASSERT_EQ(feeds.size(), 2u);
  EXPECT_EQ(feeds[0].feed, "new");
  EXPECT_FALSE(feeds[0].stale);
  EXPECT_EQ(feeds[1].feed, "f0");
  EXPECT_TRUE(feeds[1].stale);
  EXPECT_EQ(feeds[1].points_accepted, 2u);
}

TEST(FeedTrackerTest, RateOverTheLastMinute) {
  FeedTracker t(absl::Seconds(60));
  for (int s = 0; s < 120; ++s) {
    t.Accepted("m,feed=a v=1 1\nm,feed=a v=1 2\n", kT0 + absl::Seconds(s));
  }
  auto feeds = t.Snapshot(kT0 + absl::Seconds(119), 10);
  // The last 12 five-second buckets, the current one partial: 55..60 s.
  EXPECT_GE(feeds[0].points_per_second, 2.0 * 55 / 60);
  EXPECT_LE(feeds[0].points_per_second, 2.0);
  feeds = t.Snapshot(kT0 + absl::Seconds(119 + 61), 10);
  EXPECT_EQ(feeds[0].points_per_second, 0.0);
  EXPECT_TRUE(feeds[0].stale);
}

}  // namespace
}  // namespace ocs_influx::server
