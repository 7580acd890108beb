// FeedTracker alone: series recognised in line protocol as written (escapes,
// the feed tag anywhere among the tags, none at all), the bound and its
// eviction, the rate window, dead letters after a partial write.
#include "service/engine/feed_tracker.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

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

// A chunk known to be one series (LineChunks) is counted as the scan
// counts it: the same feed, points and newest timestamp.
TEST(FeedTrackerTest, AOneSeriesChunkCountsAsTheScan) {
  const std::string key = "a\\ b\\,c,x=1,feed=f\\=1\\,2";
  std::string lines;
  for (int i = 0; i < 5; ++i) absl::StrAppend(&lines, key, " v=1,w=\"s p\" ", 10 + i, "\n");
  FeedTracker scanned(absl::Seconds(60)), told(absl::Seconds(60));
  scanned.Accepted(lines, kT0);
  told.Accepted(lines, key.size(), 5, kT0);
  const auto a = scanned.Snapshot(kT0, 10), b = told.Snapshot(kT0, 10);
  ASSERT_EQ(a.size(), 1u);
  ASSERT_EQ(b.size(), 1u);
  EXPECT_EQ(b[0].measurement, "a b,c");
  EXPECT_EQ(b[0].feed, "f=1,2");
  EXPECT_EQ(b[0].points_accepted, a[0].points_accepted);
  EXPECT_EQ(b[0].last_point_unix_ns, 14);
  EXPECT_EQ(b[0].last_point_unix_ns, a[0].last_point_unix_ns);
  // One line, and 0 (not known to be one series): the scan.
  FeedTracker one(absl::Seconds(60));
  one.Accepted("m,feed=z v=1 7\n", 8, 1, kT0);
  one.Accepted("m,feed=z v=1 8\nm,feed=y v=1 9\n", 0, 2, kT0);
  const auto c = one.Snapshot(kT0, 10);
  EXPECT_EQ(Find(c, "m", "z")->points_accepted, 2u);
  EXPECT_EQ(Find(c, "m", "z")->last_point_unix_ns, 8);
  EXPECT_EQ(Find(c, "m", "y")->points_accepted, 1u);
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
