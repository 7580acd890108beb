// InfluxDB down, restarted, refusing large bodies; the publisher restarted
// with a backlog; the spool full. Every accepted point lands.
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/service/publisher_fixture.h"

namespace ocs_influx::testing {
namespace {

namespace v1 = ocs::influx::v1;

// `count` lines of measurement `m`, values first..first+count-1.
std::string Lines(const std::string& m, int first, int count) {
  std::string out;
  for (int i = first; i < first + count; ++i) {
    absl::StrAppend(&out, m, ",host=a v=", i, "i,pad=\"", std::string(40, 'x'),
                    "\" ", 1700000000000000000LL + i, "\n");
  }
  return out;
}

grpc::Status Write(v1::Publisher::Stub& stub, const std::string& lines) {
  grpc::ClientContext context;
  v1::WriteLinesRequest request;
  request.set_lines(lines);
  v1::WriteResponse response;
  return stub.WriteLines(&context, request, &response);
}

v1::Status GetStatus(v1::Publisher::Stub& stub) {
  grpc::ClientContext context;
  v1::Status status;
  EXPECT_TRUE(stub.GetStatus(&context, v1::GetStatusRequest(), &status).ok());
  return status;
}

// Sum of v over the measurement: a checksum of which points landed.
int64_t SumValues(Influxd& influxd, const std::string& m) {
  auto rows = QueryRows(influxd, "ocs_feeds", absl::StrCat("SELECT sum(v) FROM ", m));
  if (!rows.ok() || rows->empty()) return -1;
  return (*rows)[0].items[1].int_value;
}

int64_t ExpectedSum(int n) { return static_cast<int64_t>(n) * (n - 1) / 2; }

// InfluxDB has run once (so its port is known) and is down when the test
// starts; `setup_` points a publisher at it with a fresh spool.
class InfluxDownTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto started = Influxd::Start();
    ASSERT_TRUE(started.ok()) << started.status();
    influxd_ = std::move(*started);
    ASSERT_TRUE(influxd_->Stop().ok());
    setup_.spool_dir = MakeTempDir("spool");
    setup_.influx_port = influxd_->port();
  }

  std::unique_ptr<Influxd> influxd_;
  PublisherSetup setup_;
};

TEST_F(InfluxDownTest, InfluxDownAtStartThenStartedLosesNothing) {
  auto pub = StartPublisher(setup_);
  ASSERT_TRUE(pub.ok()) << pub.status();

  // Recording starts anyway, degraded; points wait in the spool.
  for (int b = 0; b < 10; ++b) {
    ASSERT_TRUE(Write(*pub->stub, Lines("outage", b * 100, 100)).ok());
  }
  v1::Status status = GetStatus(*pub->stub);
  EXPECT_EQ(status.recording().state(), v1::RUNNING);
  EXPECT_TRUE(status.recording().degraded());
  EXPECT_EQ(status.recording().op_code(), 8);
  EXPECT_FALSE(status.influx().connected());
  EXPECT_FALSE(status.influx().last_error().empty());
  EXPECT_EQ(status.spool().points(), 1000u);
  // Let the writer meet the outage (and back off) before InfluxDB returns.
  for (int i = 0; i < 100 && GetStatus(*pub->stub).writes().retries() < 2; ++i) {
    absl::SleepFor(absl::Milliseconds(50));
  }
  EXPECT_GE(GetStatus(*pub->stub).writes().retries(), 2u);

  ASSERT_TRUE(influxd_->Restart().ok());
  ASSERT_TRUE(FlushAll(*pub->stub, absl::Seconds(30)));
  EXPECT_EQ(CountPoints(*influxd_, "ocs_feeds", "outage", "v"), 1000);
  EXPECT_EQ(SumValues(*influxd_, "outage"), ExpectedSum(1000));
  status = GetStatus(*pub->stub);
  EXPECT_FALSE(status.recording().degraded());
  EXPECT_EQ(status.recording().op_code(), 3);
  EXPECT_TRUE(status.influx().connected());
}

TEST(ResilienceTest, InfluxStoppedAndRestartedMidStream) {
  auto influxd = Influxd::Start();
  ASSERT_TRUE(influxd.ok()) << influxd.status();
  PublisherSetup setup;
  setup.spool_dir = MakeTempDir("spool");
  setup.influx_port = (*influxd)->port();
  auto pub = StartPublisher(setup);
  ASSERT_TRUE(pub.ok()) << pub.status();
  for (int b = 0; b < 30; ++b) {
    if (b == 10) {
      ASSERT_TRUE((*influxd)->Kill().ok());
    }
    if (b == 20) {
      ASSERT_TRUE((*influxd)->Restart().ok());
    }
    ASSERT_TRUE(Write(*pub->stub, Lines("midstream", b * 100, 100)).ok());
    absl::SleepFor(absl::Milliseconds(20));
  }
  ASSERT_TRUE(FlushAll(*pub->stub, absl::Seconds(30)));
  EXPECT_EQ(CountPoints(**influxd, "ocs_feeds", "midstream", "v"), 3000);
  EXPECT_EQ(SumValues(**influxd, "midstream"), ExpectedSum(3000));
}

TEST(ResilienceTest, TooLargeBatchesAreSplit) {
  InfluxdOptions options;
  options.max_body_size = 32 * 1024;
  auto influxd = Influxd::Start(options);
  ASSERT_TRUE(influxd.ok()) << influxd.status();
  PublisherSetup setup;
  setup.spool_dir = MakeTempDir("spool");
  setup.influx_port = (*influxd)->port();
  auto pub = StartPublisher(setup);
  ASSERT_TRUE(pub.ok()) << pub.status();
  ASSERT_TRUE(Write(*pub->stub, Lines("split", 0, 4000)).ok());  // ~350 KB
  ASSERT_TRUE(FlushAll(*pub->stub, absl::Seconds(30)));
  EXPECT_EQ(CountPoints(**influxd, "ocs_feeds", "split", "v"), 4000);
  EXPECT_EQ(SumValues(**influxd, "split"), ExpectedSum(4000));
  v1::Status status = GetStatus(*pub->stub);
  EXPECT_GT(status.writes().batches_split(), 0u);
  EXPECT_EQ(status.points_dead_lettered(), 0u);
}

TEST_F(InfluxDownTest, RestartedPublisherSendsItsSpoolFirst) {
  {
    auto pub = StartPublisher(setup_);
    ASSERT_TRUE(pub.ok()) << pub.status();
    ASSERT_TRUE(Write(*pub->stub, Lines("backlog", 0, 500)).ok());
    pub->server->Shutdown(absl::Milliseconds(200));
  }
  // Restarted while InfluxDB is still down: the whole backlog is found in
  // the spool (nothing can have been delivered yet), then InfluxDB returns.
  auto pub = StartPublisher(setup_);
  ASSERT_TRUE(pub.ok()) << pub.status();
  EXPECT_EQ(GetStatus(*pub->stub).spool().points(), 500u);
  ASSERT_TRUE(influxd_->Restart().ok());
  ASSERT_TRUE(FlushAll(*pub->stub, absl::Seconds(30)));
  EXPECT_EQ(CountPoints(*influxd_, "ocs_feeds", "backlog", "v"), 500);
  EXPECT_EQ(SumValues(*influxd_, "backlog"), ExpectedSum(500));
}

TEST_F(InfluxDownTest, FullSpoolAnswersResourceExhaustedAndRecovers) {
  setup_.spool_max_bytes = 1 << 20;
  auto pub = StartPublisher(setup_);
  ASSERT_TRUE(pub.ok()) << pub.status();
  int accepted_batches = 0;
  grpc::Status last;
  for (int b = 0; b < 200; ++b) {
    last = Write(*pub->stub, Lines("full", b * 100, 100));
    if (!last.ok()) break;
    ++accepted_batches;
  }
  EXPECT_EQ(last.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_GT(accepted_batches, 50);
  ASSERT_TRUE(influxd_->Restart().ok());
  ASSERT_TRUE(FlushAll(*pub->stub, absl::Seconds(30)));
  EXPECT_EQ(CountPoints(*influxd_, "ocs_feeds", "full", "v"), accepted_batches * 100);
  EXPECT_TRUE(Write(*pub->stub, Lines("full", 100000, 100)).ok());
}

TEST_F(InfluxDownTest, TestModeEndsAfterOneCycleEvenWithInfluxDown) {
  auto pub = StartPublisher(setup_);
  ASSERT_TRUE(pub.ok()) << pub.status();
  // A backlog the writer cannot deliver while InfluxDB is down.
  ASSERT_TRUE(Write(*pub->stub, Lines("testmode", 0, 10)).ok());
  {
    grpc::ClientContext context;
    v1::RecordingStatus state;
    ASSERT_TRUE(pub->stub->StopRecording(&context, v1::StopRecordingRequest(), &state).ok());
  }
  grpc::ClientContext context;
  v1::StartRecordingRequest start;
  start.set_test_mode(true);
  v1::RecordingStatus state;
  ASSERT_TRUE(pub->stub->StartRecording(&context, start, &state).ok());
  bool done = false;
  for (int i = 0; i < 100 && !done; ++i) {
    done = GetStatus(*pub->stub).recording().state() == v1::DONE;
    if (!done) absl::SleepFor(absl::Milliseconds(50));
  }
  ASSERT_TRUE(done);
  EXPECT_TRUE(GetStatus(*pub->stub).recording().success());
  EXPECT_EQ(GetStatus(*pub->stub).spool().points(), 10u);  // still durable
}

}  // namespace
}  // namespace ocs_influx::testing
