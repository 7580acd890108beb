// FeedIngest against a real publisher (real influxd), over each of the
// adapter's two ways to it (gRPC on loopback, the in-process
// EmbeddedPublisher): every publication offered lands, also when a backlog
// of big publications would make one call larger than the publisher takes;
// publications offered at about the same time share a call.
#include "ocs_adapter/feed_ingest.h"

#include <algorithm>
#include <atomic>
#include <memory>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/files/files.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "ocs_adapter/embedded_publisher.h"
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
using ::ocs_influx::testing::PublisherHandle;

// The adapter's way to `pub`: its gRPC port, or the engine directly.
std::unique_ptr<PublisherLink> Link(PublisherHandle& pub, bool embedded) {
  if (embedded) return std::make_unique<EmbeddedPublisher>(pub.server->publisher());
  return std::make_unique<PublisherClient>(pub.channel, "");
}

class FeedIngestTest : public ::testing::TestWithParam<bool> {};

INSTANTIATE_TEST_SUITE_P(BothWays, FeedIngestTest, ::testing::Values(false, true),
                         [](const ::testing::TestParamInfo<bool>& info) {
                           return info.param ? "Embedded" : "Grpc";
                         });

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

TEST_P(FeedIngestTest, BigBacklogIsSentInCallsThePublisherTakes) {
  auto influxd = Influxd::Start();
  ASSERT_TRUE(influxd.ok()) << influxd.status();
  PublisherSetup setup;
  setup.spool_dir = MakeTempDir("spool");
  setup.influx_port = (*influxd)->port();
  auto pub = StartPublisher(setup);
  ASSERT_TRUE(pub.ok()) << pub.status();
  std::unique_ptr<PublisherLink> client = Link(*pub, GetParam());
  AdapterCounters counters;
  {
    FeedIngest ingest(IngestOptions(), client.get(), &counters);
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

// A publication of `rows` small ints: about 9 bytes a row as protobuf (a
// timestamp and a one-byte varint) against 1-2 as MessagePack.
ocs::influx::v1::OcsFeed SmallIntFeed(const std::string& agent, int rows) {
  ocs::influx::v1::OcsFeed feed;
  feed.set_agent_address(agent);
  feed.set_feed_name("counts");
  feed.set_record(true);
  auto* block = feed.add_blocks();
  block->set_block_name("c");
  auto* t = block->mutable_timestamps();
  t->Resize(rows, 0.0);
  auto* column = block->add_columns();
  column->set_name("n");
  auto* v = column->mutable_ints()->mutable_values();
  v->Resize(rows, 0);
  for (int r = 0; r < rows; ++r) {
    (*t)[r] = 1600000000.0 + r * 0.001;
    (*v)[r] = r % 100;
  }
  return feed;
}

// Callers check stack.pub.stub: null when the start failed (reported here).
::ocs_influx::testing::InfluxdAndPublisher StartStack() {
  auto stack = ::ocs_influx::testing::StartInfluxdAndPublisher();
  EXPECT_TRUE(stack.ok()) << stack.status();
  return stack.ok() ? std::move(*stack) : ::ocs_influx::testing::InfluxdAndPublisher{};
}

bool WaitDrained(const FeedIngest& ingest, absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  while (ingest.queued_points() > 0 && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(50));
  }
  return ingest.queued_points() == 0;
}

// Issue 8, finding 2: 2,000,000 small ints in one publication (12 MB as
// MessagePack, about 18 MB as protobuf, over the publisher's 16 MiB message
// limit). The sender retried that one call forever and nothing after it
// landed. Now the feed is cut into calls the publisher takes: it lands
// whole, and so does the next agent's feed.
TEST_P(FeedIngestTest, PublicationOverTheMessageLimitLandsWholeAndTheNextOneToo) {
  auto stack = StartStack();
  ASSERT_NE(stack.pub.stub, nullptr);
  std::unique_ptr<PublisherLink> client = Link(stack.pub, GetParam());
  AdapterCounters counters;
  constexpr int kRows = 2'000'000;
  {
    FeedIngest ingest(IngestOptions(), client.get(), &counters);
    ocs::influx::v1::OcsFeed big = SmallIntFeed("observatory.huge", kRows);
    ASSERT_GT(big.ByteSizeLong(), 16u << 20);
    ASSERT_TRUE(ingest.Offer(std::move(big)));
    ASSERT_TRUE(ingest.Offer(SmallIntFeed("observatory.after", 10)));
    EXPECT_TRUE(WaitDrained(ingest, absl::Seconds(60)));
  }
  EXPECT_EQ(counters.points_refused.load(), 0u);
  ASSERT_TRUE(FlushAll(*stack.pub.stub, absl::Seconds(120)));
  EXPECT_EQ(CountPoints(*stack.influxd, "ocs_feeds", "observatory.after", "n"), 10);
  EXPECT_EQ(CountPoints(*stack.influxd, "ocs_feeds", "observatory.huge", "n"), kRows);
}

// A single row larger than any call the publisher takes cannot be cut: it
// is refused at once (never retried), and the next publication lands.
TEST_P(FeedIngestTest, RowLargerThanTheMessageLimitIsRefusedNotRetried) {
  auto stack = StartStack();
  ASSERT_NE(stack.pub.stub, nullptr);
  std::unique_ptr<PublisherLink> client = Link(stack.pub, GetParam());
  AdapterCounters counters;
  {
    FeedIngest ingest(IngestOptions(), client.get(), &counters);
    ocs::influx::v1::OcsFeed huge = SmallIntFeed("observatory.onerow", 1);
    auto* column = huge.mutable_blocks(0)->add_columns();
    column->set_name("s");
    column->mutable_strings()->add_values(std::string(17u << 20, 'x'));
    ASSERT_TRUE(ingest.Offer(std::move(huge)));
    ASSERT_TRUE(ingest.Offer(SmallIntFeed("observatory.after", 10)));
    EXPECT_TRUE(WaitDrained(ingest, absl::Seconds(30)));
  }
  EXPECT_EQ(counters.points_refused.load(), 1u);
  ASSERT_TRUE(FlushAll(*stack.pub.stub, absl::Seconds(60)));
  EXPECT_EQ(CountPoints(*stack.influxd, "ocs_feeds", "observatory.after", "n"), 10);
}

// A publication the publisher answers INVALID_ARGUMENT for (a column
// shorter than its timestamps) is dead-lettered as publisher_refused and
// counted; its neighbours in the same call land.
TEST_P(FeedIngestTest, PublicationThePublisherRefusesIsDeadLetteredAndNeighboursLand) {
  auto stack = StartStack();
  ASSERT_NE(stack.pub.stub, nullptr);
  std::unique_ptr<PublisherLink> client = Link(stack.pub, GetParam());
  AdapterCounters counters;
  DeadLetterOptions dead_options;
  dead_options.path = MakeTempDir("dead") + "/dead-publications.jsonl";
  {
    DeadLetters dead(dead_options, &counters);
    FeedIngest ingest(IngestOptions(), client.get(), &counters, &dead);
    ocs::influx::v1::OcsFeed bad = SmallIntFeed("observatory.bad", 3);
    bad.mutable_blocks(0)->mutable_columns(0)->mutable_ints()->mutable_values()->RemoveLast();
    // Queued together: they go out in one call.
    ASSERT_TRUE(ingest.Offer(SmallIntFeed("observatory.before", 4)));
    ASSERT_TRUE(ingest.Offer(std::move(bad)));
    ASSERT_TRUE(ingest.Offer(SmallIntFeed("observatory.after", 5)));
    EXPECT_TRUE(WaitDrained(ingest, absl::Seconds(30)));
  }
  EXPECT_EQ(counters.publications_refused[static_cast<int>(Refusal::kPublisherRefused)].load(),
            1u);
  EXPECT_EQ(counters.points_refused.load(), 3u);
  ASSERT_TRUE(FlushAll(*stack.pub.stub, absl::Seconds(60)));
  EXPECT_EQ(CountPoints(*stack.influxd, "ocs_feeds", "observatory.before", "n"), 4);
  EXPECT_EQ(CountPoints(*stack.influxd, "ocs_feeds", "observatory.after", "n"), 5);
  absl::StatusOr<std::string> text = files::ReadWholeFile(dead_options.path, "dead letters");
  ASSERT_TRUE(text.ok()) << text.status();
  EXPECT_NE(text->find("\"reason\":\"publisher_refused\""), std::string::npos) << *text;
  EXPECT_NE(text->find("\"observatory.bad\""), std::string::npos) << *text;
  EXPECT_EQ(std::count(text->begin(), text->end(), '\n'), 1);
}

// Counts the calls that reach the publisher: each is one spool append (and
// one fsync).
class CountingLink final : public PublisherLink {
 public:
  explicit CountingLink(PublisherLink* inner) : inner_(inner) {}
  absl::StatusOr<ocs::influx::v1::RecordingStatus> StartRecording(bool test_mode) override {
    return inner_->StartRecording(test_mode);
  }
  absl::StatusOr<ocs::influx::v1::RecordingStatus> StopRecording() override {
    return inner_->StopRecording();
  }
  absl::StatusOr<ocs::influx::v1::Status> GetStatus() override { return inner_->GetStatus(); }
  absl::StatusOr<ocs::influx::v1::WriteResponse> IngestFeeds(
      const ocs::influx::v1::IngestFeedRequest& request) override {
    calls.fetch_add(1);
    return inner_->IngestFeeds(request);
  }
  std::atomic<int> calls{0};

 private:
  PublisherLink* const inner_;
};

// Four agents publish at the same moments, 50 times: with the linger, an
// idle sender waits for the other three and one call carries all four
// (without it, the first publication went out alone: about 2-4 calls a
// round). Every point lands either way.
TEST_P(FeedIngestTest, PublicationsOfferedTogetherShareOneCall) {
  auto stack = StartStack();
  ASSERT_NE(stack.pub.stub, nullptr);
  std::unique_ptr<PublisherLink> inner = Link(stack.pub, GetParam());
  constexpr int kAgents = 4, kRounds = 50;
  int calls[2] = {0, 0};
  for (int linger_on = 0; linger_on < 2; ++linger_on) {
    CountingLink client(inner.get());
    AdapterCounters counters;
    IngestOptions options;
    options.linger = linger_on ? absl::Milliseconds(5) : absl::ZeroDuration();
    options.call_interval = absl::ZeroDuration();  // the linger alone
    {
      FeedIngest ingest(options, &client, &counters);
      for (int round = 0; round < kRounds; ++round) {
        std::vector<std::thread> agents;
        for (int a = 0; a < kAgents; ++a) {
          agents.emplace_back([&ingest, a, round, linger_on] {
            ocs::influx::v1::OcsFeed feed =
                SmallIntFeed(absl::StrCat("observatory.round", linger_on, "-", a), 2);
            for (double& t : *feed.mutable_blocks(0)->mutable_timestamps()) t += round;
            ingest.Offer(std::move(feed));
          });
        }
        for (std::thread& t : agents) t.join();
        // The next round comes well after this one is sent.
        absl::SleepFor(absl::Milliseconds(20));
      }
      EXPECT_TRUE(WaitDrained(ingest, absl::Seconds(30)));
    }
    EXPECT_EQ(counters.points_refused.load(), 0u);
    calls[linger_on] = client.calls.load();
  }
  std::cerr << "calls for " << kAgents * kRounds << " publications in " << kRounds
            << " rounds: " << calls[0] << " without linger, " << calls[1] << " with 5 ms\n";
  EXPECT_LE(calls[1], kRounds + kRounds / 5);
  ASSERT_TRUE(FlushAll(*stack.pub.stub, absl::Seconds(60)));
  for (int a = 0; a < kAgents; ++a) {
    EXPECT_EQ(CountPoints(*stack.influxd, "ocs_feeds", absl::StrCat("observatory.round1-", a), "n"),
              100);
  }
}

// One agent publishes every millisecond for 300 ms: with a 50 ms call
// interval the sender makes about 6 calls (one fsync each) where, without
// it, it made one per publication or two. Every point lands either way,
// in order.
TEST_P(FeedIngestTest, CallIntervalBoundsTheCallsOfASteadyStream) {
  auto stack = StartStack();
  ASSERT_NE(stack.pub.stub, nullptr);
  std::unique_ptr<PublisherLink> inner = Link(stack.pub, GetParam());
  constexpr int kPublications = 300;
  int calls[2] = {0, 0};
  absl::Duration took[2];
  for (int interval_on = 0; interval_on < 2; ++interval_on) {
    CountingLink client(inner.get());
    AdapterCounters counters;
    IngestOptions options;
    options.linger = absl::ZeroDuration();
    options.call_interval = interval_on ? absl::Milliseconds(50) : absl::ZeroDuration();
    const absl::Time start = absl::Now();
    {
      FeedIngest ingest(options, &client, &counters);
      for (int i = 0; i < kPublications; ++i) {
        ocs::influx::v1::OcsFeed feed =
            SmallIntFeed(absl::StrCat("observatory.steady", interval_on), 1);
        (*feed.mutable_blocks(0)->mutable_timestamps())[0] += i;
        ASSERT_TRUE(ingest.Offer(std::move(feed)));
        absl::SleepFor(absl::Milliseconds(1));
      }
      EXPECT_TRUE(WaitDrained(ingest, absl::Seconds(30)));
    }
    took[interval_on] = absl::Now() - start;
    EXPECT_EQ(counters.points_refused.load(), 0u);
    calls[interval_on] = client.calls.load();
  }
  std::cerr << "calls for " << kPublications << " publications a millisecond apart: "
            << calls[0] << " without a call interval (" << took[0] << "), " << calls[1]
            << " with 50 ms (" << took[1] << ")\n";
  // One call per 50 ms of the stream, and one for what is left.
  EXPECT_LE(calls[1], absl::ToInt64Milliseconds(took[1]) / 50 + 2);
  EXPECT_GT(calls[0], 2 * calls[1]);
  ASSERT_TRUE(FlushAll(*stack.pub.stub, absl::Seconds(60)));
  for (int on = 0; on < 2; ++on) {
    EXPECT_EQ(CountPoints(*stack.influxd, "ocs_feeds", absl::StrCat("observatory.steady", on),
                          "n"),
              kPublications);
  }
}

}  // namespace
}  // namespace ocs_influx::ocs_adapter
