// The adapter's two ways to the publisher give the same answers: the gRPC
// client (--publisher HOST:PORT) and the in-process EmbeddedPublisher
// (--embedded-publisher), both in front of one real publisher and influxd.
// Same points landing, same codes and messages for a bad feed, an empty
// call, not recording and a full spool; UNAVAILABLE once shutting down.
#include "ocs_adapter/embedded_publisher.h"

#include <time.h>

#include <cmath>
#include <iostream>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "ocs_adapter/publisher_client.h"
#include "tests/service/publisher_fixture.h"

namespace ocs_influx::ocs_adapter {
namespace {

namespace v1 = ocs::influx::v1;
using ::ocs_influx::testing::FlushAll;
using ::ocs_influx::testing::Influxd;
using ::ocs_influx::testing::PublisherHandle;
using ::ocs_influx::testing::PublisherSetup;
using ::ocs_influx::testing::QueryRows;
using ::ocs_influx::testing::StartInfluxdAndPublisher;

// `rows` rows at `t0` on: a float column with a NaN (dropped and counted),
// an int column, a string column.
v1::OcsFeed Feed(const std::string& agent, int rows, double t0 = 1700000000.0) {
  v1::OcsFeed feed;
  feed.set_agent_address(agent);
  feed.set_feed_name("temps");
  feed.set_record(true);
  auto* block = feed.add_blocks();
  block->set_block_name("b");
  auto* d = block->add_columns();
  d->set_name("d");
  auto* n = block->add_columns();
  n->set_name("n");
  auto* s = block->add_columns();
  s->set_name("s");
  for (int r = 0; r < rows; ++r) {
    block->add_timestamps(t0 + r * 0.25);
    d->mutable_doubles()->add_values(r == 1 ? std::nan("") : r * 1.5);
    n->mutable_ints()->add_values(r);
    s->mutable_strings()->add_values(absl::StrCat("v\"", r));
  }
  return feed;
}

v1::IngestFeedRequest Request(std::initializer_list<v1::OcsFeed> feeds) {
  v1::IngestFeedRequest r;
  for (const v1::OcsFeed& f : feeds) *r.add_feeds() = f;
  return r;
}

class EmbeddedPublisherTest : public ::testing::Test {
 protected:
  void Start(uint64_t spool_max_bytes = 1ull << 30) {
    PublisherSetup setup;
    setup.spool_max_bytes = spool_max_bytes;
    auto stack = StartInfluxdAndPublisher(setup);
    ASSERT_TRUE(stack.ok()) << stack.status();
    influxd_ = std::move(stack->influxd);
    pub_ = std::move(stack->pub);
    grpc_ = std::make_unique<PublisherClient>(pub_.channel, "");
    embedded_ = std::make_unique<EmbeddedPublisher>(pub_.server->publisher());
  }

  // The error of the same request over both ways: code and text alike.
  void ExpectSameError(const v1::IngestFeedRequest& request, absl::StatusCode code,
                       const std::string& text) {
    absl::StatusOr<v1::WriteResponse> over_grpc = grpc_->IngestFeeds(request);
    absl::StatusOr<v1::WriteResponse> in_process = embedded_->IngestFeeds(request);
    ASSERT_FALSE(over_grpc.ok());
    ASSERT_FALSE(in_process.ok());
    EXPECT_EQ(over_grpc.status().code(), code) << over_grpc.status();
    EXPECT_EQ(in_process.status(), over_grpc.status());
    EXPECT_NE(in_process.status().message().find(text), absl::string_view::npos)
        << in_process.status();
  }

  // What landed in `measurement`, as InfluxDB answers a SELECT *, with the
  // measurement's name taken out (so two can be compared).
  std::string Landed(const std::string& measurement) {
    auto body = influxd_->Query("ocs_feeds", absl::StrCat("SELECT * FROM \"", measurement, "\""));
    EXPECT_TRUE(body.ok()) << body.status();
    return body.ok() ? absl::StrReplaceAll(*body, {{measurement, "M"}}) : "";
  }
  size_t RowCount(const std::string& measurement) {
    auto rows = QueryRows(*influxd_, "ocs_feeds",
                          absl::StrCat("SELECT * FROM \"", measurement, "\""));
    EXPECT_TRUE(rows.ok()) << rows.status();
    return rows.ok() ? rows->size() : 0;
  }

  std::unique_ptr<Influxd> influxd_;
  PublisherHandle pub_;
  std::unique_ptr<PublisherClient> grpc_;
  std::unique_ptr<EmbeddedPublisher> embedded_;
};

TEST_F(EmbeddedPublisherTest, SameFeedsLandTheSameAndAreAnsweredTheSame) {
  Start();
  absl::StatusOr<v1::WriteResponse> over_grpc =
      grpc_->IngestFeeds(Request({Feed("observatory.via-grpc", 5), Feed("observatory.via-grpc", 3, 1800000000.0)}));
  absl::StatusOr<v1::WriteResponse> in_process =
      embedded_->IngestFeeds(Request({Feed("observatory.in-process", 5), Feed("observatory.in-process", 3, 1800000000.0)}));
  ASSERT_TRUE(over_grpc.ok()) << over_grpc.status();
  ASSERT_TRUE(in_process.ok()) << in_process.status();
  EXPECT_EQ(in_process->points_accepted(), 8u);
  EXPECT_EQ(in_process->SerializeAsString(), over_grpc->SerializeAsString());
  ASSERT_EQ(in_process->dropped_size(), 1);
  EXPECT_EQ(in_process->dropped(0).reason(), "non_finite_float");
  ASSERT_TRUE(FlushAll(*pub_.stub, absl::Seconds(30)));
  EXPECT_EQ(RowCount("observatory.in-process"), 8u);
  EXPECT_EQ(Landed("observatory.in-process"), Landed("observatory.via-grpc"));
}

TEST_F(EmbeddedPublisherTest, BadFeedAndEmptyCallAreRefusedAlike) {
  Start();
  v1::OcsFeed bad = Feed("observatory.bad", 3);
  bad.mutable_blocks(0)->mutable_columns(1)->mutable_ints()->mutable_values()->RemoveLast();
  ExpectSameError(Request({Feed("observatory.bad", 2), bad}),
                  absl::StatusCode::kInvalidArgument, "feeds[1]: ");
  ExpectSameError(v1::IngestFeedRequest(), absl::StatusCode::kInvalidArgument, "feeds");
  ASSERT_TRUE(FlushAll(*pub_.stub, absl::Seconds(30)));
  EXPECT_EQ(RowCount("observatory.bad"), 0u);  // nothing of a refused call lands
}

TEST_F(EmbeddedPublisherTest, NotRecordingIsFailedPreconditionAlike) {
  Start();
  absl::StatusOr<v1::RecordingStatus> stopped = embedded_->StopRecording();
  ASSERT_TRUE(stopped.ok()) << stopped.status();
  absl::StatusOr<v1::Status> status_in = embedded_->GetStatus();
  absl::StatusOr<v1::Status> status_grpc = grpc_->GetStatus();
  ASSERT_TRUE(status_in.ok() && status_grpc.ok());
  EXPECT_EQ(status_in->recording().state(), status_grpc->recording().state());
  ExpectSameError(Request({Feed("observatory.idle", 2)}), absl::StatusCode::kFailedPrecondition,
                  "not recording");
  absl::StatusOr<v1::RecordingStatus> started = embedded_->StartRecording(false);
  ASSERT_TRUE(started.ok()) << started.status();
  EXPECT_TRUE(embedded_->IngestFeeds(Request({Feed("observatory.idle", 2)})).ok());
}

TEST_F(EmbeddedPublisherTest, FullSpoolIsResourceExhaustedAlike) {
  Start(/*spool_max_bytes=*/256 << 10);
  ASSERT_TRUE(influxd_->Pause().ok());  // nothing leaves the spool
  absl::Status last;
  for (int i = 0; i < 1000 && last.ok(); ++i) {
    last = embedded_->IngestFeeds(Request({Feed("observatory.full", 200, 1e9 + i * 100)})).status();
  }
  EXPECT_EQ(last.code(), absl::StatusCode::kResourceExhausted) << last;
  ExpectSameError(Request({Feed("observatory.full", 200, 1)}),
                  absl::StatusCode::kResourceExhausted, "");
  ASSERT_TRUE(influxd_->Resume().ok());
}

TEST_F(EmbeddedPublisherTest, ShuttingDownIsUnavailable) {
  Start();
  pub_.server->publisher()->Shutdown(absl::ZeroDuration());
  absl::StatusOr<v1::WriteResponse> r = embedded_->IngestFeeds(Request({Feed("observatory.late", 2)}));
  EXPECT_EQ(r.status().code(), absl::StatusCode::kUnavailable) << r.status();
  EXPECT_EQ(grpc_->IngestFeeds(Request({Feed("observatory.late", 2)})).status(), r.status());
}

double ProcessCpuSeconds() {
  timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

// A measurement, not a check (run with --gtest_also_run_disabled_tests,
// best with --config=opt): the process CPU (every thread, gRPC's too) per
// call of one OCS-shaped publication (100 rows, 16 float channels) over
// each way. Recording is stopped, so each call is converted in full and
// then refused before the spool: what differs is only the way there.
TEST_F(EmbeddedPublisherTest, DISABLED_MeasureCpuPerCall) {
  Start();
  ASSERT_TRUE(embedded_->StopRecording().ok());
  v1::OcsFeed feed;
  feed.set_agent_address("observatory.bench");
  feed.set_feed_name("temperatures");
  feed.set_record(true);
  auto* block = feed.add_blocks();
  block->set_block_name("temps");
  for (int r = 0; r < 100; ++r) block->add_timestamps(1700000000.0 + r * 0.01);
  for (int c = 0; c < 16; ++c) {
    auto* column = block->add_columns();
    column->set_name(absl::StrCat("channel_", c < 10 ? "0" : "", c));
    for (int r = 0; r < 100; ++r) column->mutable_doubles()->add_values(r * 1.25 + c);
  }
  const v1::IngestFeedRequest request = Request({feed});
  constexpr int kCalls = 3000;
  for (PublisherLink* link : {static_cast<PublisherLink*>(grpc_.get()),
                              static_cast<PublisherLink*>(embedded_.get())}) {
    for (int i = 0; i < 200; ++i) link->IngestFeeds(request).IgnoreError();  // warm up
    const double cpu0 = ProcessCpuSeconds();
    const absl::Time t0 = absl::Now();
    for (int i = 0; i < kCalls; ++i) {
      EXPECT_EQ(link->IngestFeeds(request).status().code(),
                absl::StatusCode::kFailedPrecondition);
    }
    const double cpu = ProcessCpuSeconds() - cpu0;
    std::cerr << (link == grpc_.get() ? "gRPC (loopback TCP)" : "in-process (direct)")
              << ": " << cpu / kCalls * 1e6 << " us CPU per call, "
              << cpu / (kCalls * 100.0) * 1e6 << " us per point, "
              << absl::ToDoubleMicroseconds(absl::Now() - t0) / kCalls
              << " us wall per call\n";
  }
}

}  // namespace
}  // namespace ocs_influx::ocs_adapter
