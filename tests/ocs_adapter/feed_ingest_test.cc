// FeedIngest against a real publisher (in-process gRPC, real influxd):
// every publication offered lands, also when a backlog of big publications
// would make one call larger than the publisher takes.
#include "ocs_adapter/feed_ingest.h"

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "ocs_adapter/publisher_client.h"
#include "tests/service/publisher_fixture.h"

namespace ocs_influx::ocs_adapter {
namespace {

using ::ocs_influx::testing::CountPoints;
using ::ocs_influx::testing::FlushAll;
using ::ocs_influx::testing::Influxd;
using ::ocs_influx::testing::MakeTempDir;
using ::ocs_influx::testing::PublisherSetup;
using ::ocs_influx::testing::StartPublisher;

// One block of `rows` timestamps and 16 float columns: about 130 bytes a row.
ocs::influx::v1::OcsFeed BigFeed(int index, int rows) {
  ocs::influx::v1::OcsFeed feed;
  feed.set_agent_address("observatory.big");
  feed.set_feed_name("temperatures");
  feed.set_record(true);
  auto* block = feed.add_blocks();
  block->set_block_name("temps");
  for (int r = 0; r < rows; ++r) {
    block->add_timestamps(1700000000.0 + index * 10000.0 + r * 0.001);
  }
  for (int c = 0; c < 16; ++c) {
    auto* column = block->add_columns();
    column->set_name(absl::StrCat("channel_", c));
    for (int r = 0; r < rows; ++r) column->mutable_doubles()->add_values(r + c);
  }
  return feed;
}

TEST(FeedIngestTest, BigBacklogIsSentInCallsThePublisherTakes) {
  auto influxd = Influxd::Start();
  ASSERT_TRUE(influxd.ok()) << influxd.status();
  PublisherSetup setup;
  setup.spool_dir = MakeTempDir("spool");
  setup.influx_port = (*influxd)->port();
  auto pub = StartPublisher(setup);
  ASSERT_TRUE(pub.ok()) << pub.status();
  PublisherClient client(pub->channel, "");
  AdapterCounters counters;
  {
    FeedIngest ingest(IngestOptions(), &client, &counters);
    // 40 publications of ~1 MB queued at once: 40 MB, over the publisher's
    // 16 MiB message limit if they went out in one call.
    for (int i = 0; i < 40; ++i) {
      ASSERT_TRUE(ingest.Offer(BigFeed(i, 8000)));
    }
    for (int i = 0; i < 600 && ingest.queued_points() > 0; ++i) {
      absl::SleepFor(absl::Milliseconds(100));
    }
    EXPECT_EQ(ingest.queued_points(), 0u);
  }
  EXPECT_EQ(counters.points_refused.load(), 0u);
  ASSERT_TRUE(FlushAll(*pub->stub, absl::Seconds(60)));
  EXPECT_EQ(CountPoints(**influxd, "ocs_feeds", "observatory.big", "channel_0"), 40 * 8000);
}

}  // namespace
}  // namespace ocs_influx::ocs_adapter
