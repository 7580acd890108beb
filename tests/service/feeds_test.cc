// Per-feed health through GetStatus and publisher_stats, against the real
// publisher and a real influxd: counts per (measurement, feed) exact, a
// feed that goes quiet turns stale after --stale-after, the table is
// bounded, and Grafana's per-feed points land.
#include <map>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/backoff/backoff.h"
#include "gtest/gtest.h"
#include "service/engine/feed_tracker.h"
#include "tests/service/publisher_fixture.h"

namespace ocs_influx::testing {
namespace {

namespace v1 = ocs::influx::v1;

std::pair<std::string, std::string> K(const char* measurement, const char* feed) {
  return {measurement, feed};
}

class FeedsTest : public ::testing::Test {
 protected:
  void Start(PublisherSetup setup) {
    auto influxd = Influxd::Start();
    ASSERT_TRUE(influxd.ok()) << influxd.status();
    influxd_ = std::move(*influxd);
    setup.spool_dir = MakeTempDir("spool");
    setup.influx_port = influxd_->port();
    auto handle = StartPublisher(setup);
    ASSERT_TRUE(handle.ok()) << handle.status();
    pub_ = std::move(*handle);
  }

  // `rows` points of one OCS feed, timestamps from `t0` seconds.
  void Ingest(const std::string& agent, const std::string& feed, int rows, double t0) {
    v1::IngestFeedRequest request;
    auto* f = request.add_feeds();
    f->set_agent_address(agent);
    f->set_feed_name(feed);
    f->set_record(true);
    auto* block = f->add_blocks();
    block->set_block_name("b");
    auto* c = block->add_columns();
    c->set_name("v");
    for (int i = 0; i < rows; ++i) {
      block->add_timestamps(t0 + i);
      c->mutable_doubles()->add_values(i);
    }
    grpc::ClientContext context;
    v1::WriteResponse response;
    grpc::Status s = pub_.stub->IngestFeed(&context, request, &response);
    ASSERT_TRUE(s.ok()) << s.error_message();
    ASSERT_EQ(response.points_accepted(), static_cast<uint64_t>(rows));
  }

  void WriteLines(const std::string& lines) {
    v1::WriteLinesRequest request;
    request.set_lines(lines);
    grpc::ClientContext context;
    v1::WriteResponse response;
    grpc::Status s = pub_.stub->WriteLines(&context, request, &response);
    ASSERT_TRUE(s.ok()) << s.error_message();
  }

  v1::Status GetStatus() {
    grpc::ClientContext context;
    v1::Status status;
    EXPECT_TRUE(pub_.stub->GetStatus(&context, v1::GetStatusRequest(), &status).ok());
    return status;
  }

  static std::map<std::pair<std::string, std::string>, v1::FeedStatus> ByKey(
      const v1::Status& status) {
    std::map<std::pair<std::string, std::string>, v1::FeedStatus> out;
    for (const v1::FeedStatus& f : status.feeds()) {
      EXPECT_TRUE(out.emplace(std::make_pair(f.measurement(), f.feed()), f).second)
          << "listed twice: " << f.measurement() << " " << f.feed();
    }
    return out;
  }

  std::unique_ptr<Influxd> influxd_;
  PublisherHandle pub_;
};

TEST_F(FeedsTest, CountsPerFeedExactAndAQuietFeedTurnsStale) {
  PublisherSetup setup;
  setup.stale_after = absl::Seconds(2);
  Start(setup);
  ASSERT_NO_FATAL_FAILURE(Ingest("observatory.agent1", "temps", 7, 1700000000.0));
  // Line protocol: runs of one series, a feed tag among others (escaped),
  // interleaved series, and lines without a feed tag.
  ASSERT_NO_FATAL_FAILURE(WriteLines(
      "cryo,feed=a\\ b,x=1 v=1i 1700000000000000001\n"
      "cryo,feed=a\\ b,x=1 v=2i 1700000000000000002\n"
      "cryo,x=2,feed=a\\ b v=3i 1700000000000000003\n"
      "plain v=1i 1700000000000000004\n"
      "cryo,feed=a\\ b,x=1 v=4i 1700000000000000009\n"
      "plain,y=1 v=2i 1700000000000000005\n"));
  ASSERT_TRUE(FlushAll(*pub_.stub, absl::Seconds(20)));

  v1::Status status = GetStatus();
  EXPECT_EQ(status.stale_after().seconds(), 2);
  auto feeds = ByKey(status);
  ASSERT_EQ(feeds.size(), 3u);
  const v1::FeedStatus& agent = feeds[K("observatory.agent1", "temps")];
  EXPECT_EQ(agent.points_accepted(), 7u);
  EXPECT_EQ(agent.points_written(), 7u);
  EXPECT_EQ(agent.last_point_time().seconds(), 1700000006);
  EXPECT_FALSE(agent.stale());
  EXPECT_NEAR(agent.points_per_second(), 7.0 / 60, 1e-9);
  const v1::FeedStatus& cryo = feeds[K("cryo", "a b")];
  EXPECT_EQ(cryo.points_accepted(), 4u);
  EXPECT_EQ(cryo.points_written(), 4u);
  EXPECT_EQ(cryo.last_point_time().nanos(), 9);
  const v1::FeedStatus& plain = feeds[K("plain", "")];
  EXPECT_EQ(plain.points_accepted(), 2u);
  EXPECT_EQ(plain.points_written(), 2u);
  EXPECT_EQ(status.feeds_not_tracked(), 0u);

  // The agent keeps sending for longer than --stale-after; cryo and plain
  // go quiet.
  const absl::Time until = absl::Now() + absl::Milliseconds(2600);
  int sent = 0;
  for (int i = 0; i < 20 && absl::Now() < until; ++i) {
    ASSERT_NO_FATAL_FAILURE(Ingest("observatory.agent1", "temps", 1, 1700000100.0 + i));
    ++sent;
    absl::SleepFor(absl::Milliseconds(300));
  }
  ASSERT_TRUE(FlushAll(*pub_.stub, absl::Seconds(20)));
  status = GetStatus();
  feeds = ByKey(status);
  EXPECT_FALSE(feeds[K("observatory.agent1", "temps")].stale());
  EXPECT_EQ(feeds[K("observatory.agent1", "temps")].points_accepted(), 7u + sent);
  EXPECT_EQ(feeds[K("observatory.agent1", "temps")].points_written(), 7u + sent);
  EXPECT_TRUE(feeds[K("cryo", "a b")].stale());
  EXPECT_TRUE(feeds[K("plain", "")].stale());
  // The most recent first.
  ASSERT_GE(status.feeds_size(), 1);
  EXPECT_EQ(status.feeds(0).measurement(), "observatory.agent1");
}

TEST_F(FeedsTest, TheTableIsBoundedAndTheRestCounted) {
  Start(PublisherSetup());
  std::string lines;
  for (int i = 0; i < 5000; ++i) {
    absl::StrAppend(&lines, "m,feed=f", i, " v=1i ", 1700000000000000000LL + i, "\n");
  }
  ASSERT_NO_FATAL_FAILURE(WriteLines(lines));
  // Twice: a known feed is counted again, an untracked one again too.
  ASSERT_NO_FATAL_FAILURE(WriteLines("m,feed=f0 v=2i 1700000000000009999\n"
                                     "m,feed=f4999 v=2i 1700000000000009999\n"));
  v1::Status status = GetStatus();
  EXPECT_EQ(status.feeds_size(), static_cast<int>(server::kMaxTrackedFeeds));
  EXPECT_EQ(status.feeds_not_tracked(), 5000 - server::kMaxTrackedFeeds + 1);
  EXPECT_EQ(status.points_not_tracked(), 5000 - server::kMaxTrackedFeeds + 1);
  EXPECT_EQ(ByKey(status)[std::make_pair(std::string("m"), std::string("f0"))]
                .points_accepted(),
            2u);
  EXPECT_EQ(status.points_accepted(), 5002u);
}

TEST_F(FeedsTest, PublisherStatsCarriesOnePointPerFeed) {
  PublisherSetup setup;
  setup.stats_interval = absl::Seconds(1);
  setup.stale_after = absl::Seconds(1);
  Start(setup);
  ASSERT_NO_FATAL_FAILURE(Ingest("observatory.agent 1", "temps,x", 3, 1700000000.0));
  ASSERT_TRUE(FlushAll(*pub_.stub, absl::Seconds(20)));
  // Stats are written once a second; wait (bounded) for a point that shows
  // the feed written and then stale.
  Backoff backoff(absl::Milliseconds(100), absl::Milliseconds(500));
  const absl::Time deadline = absl::Now() + absl::Seconds(20);
  std::vector<core::DynamicValue> rows;
  while (absl::Now() < deadline) {
    auto got = QueryRows(*influxd_, "ocs_feeds",
                         "SELECT accepted, written, stale, age_s, points_per_s FROM "
                         "publisher_stats WHERE agent = 'observatory.agent 1' AND "
                         "feed = 'temps,x' AND host = 'test' AND stale = true");
    ASSERT_TRUE(got.ok()) << got.status();
    if (!got->empty() && (*got).back().items[2].int_value == 3) {
      rows = *got;
      break;
    }
    absl::SleepFor(backoff.Next());
  }
  ASSERT_FALSE(rows.empty()) << "no stale per-feed point in publisher_stats: "
                             << influxd_->Query("ocs_feeds",
                                                "SELECT * FROM publisher_stats LIMIT 3")
                                    .value_or("?");
  const auto& r = rows.back().items;
  EXPECT_EQ(r[1].int_value, 3);
  EXPECT_TRUE(r[3].bool_value);
  EXPECT_GE(r[4].double_value, 1.0);
  // The totals' point carries the new fields too.
  auto totals = QueryRows(*influxd_, "ocs_feeds",
                          "SELECT feeds_tracked, feeds_stale, influx_connected, "
                          "write_latency_p50_ms, spool_oldest_age_s FROM publisher_stats "
                          "WHERE feeds_tracked = 1 AND feeds_stale = 1");
  ASSERT_TRUE(totals.ok()) << totals.status();
  EXPECT_FALSE(totals->empty());
}

}  // namespace
}  // namespace ocs_influx::testing
