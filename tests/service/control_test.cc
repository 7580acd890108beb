// The control surface: recording state as OCS's record process, the bearer
// token, health and reflection as probes and grpcurl see them.
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/service/grpc_probe.h"
#include "tests/service/publisher_fixture.h"

namespace ocs_influx::testing {
namespace {

namespace v1 = ocs::influx::v1;
using ::testing::Contains;
using ::testing::HasSubstr;

class ControlTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto influxd = Influxd::Start();
    ASSERT_TRUE(influxd.ok()) << influxd.status();
    influxd_ = std::move(*influxd);
  }

  PublisherHandle Start(PublisherSetup setup) {
    setup.spool_dir = MakeTempDir("spool");
    setup.influx_port = influxd_->port();
    auto handle = StartPublisher(setup);
    EXPECT_TRUE(handle.ok()) << handle.status();
    return handle.ok() ? std::move(*handle) : PublisherHandle{};
  }

  std::unique_ptr<Influxd> influxd_;
};

grpc::Status WriteOne(v1::Publisher::Stub& stub, const std::string& token = "") {
  grpc::ClientContext context;
  if (!token.empty()) context.AddMetadata("authorization", "Bearer " + token);
  v1::WriteLinesRequest request;
  request.set_lines("control v=1");
  v1::WriteResponse response;
  return stub.WriteLines(&context, request, &response);
}

TEST_F(ControlTest, RecordingFollowsTheOcsRecordProcess) {
  PublisherSetup setup;
  setup.record_at_start = false;  // --initial-state idle
  PublisherHandle pub = Start(setup);
  ASSERT_NE(pub.stub, nullptr);

  grpc::Status s = WriteOne(*pub.stub);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(s.error_message(), HasSubstr("not recording"));

  grpc::ClientContext c1;
  v1::StopRecordingRequest stop;
  v1::RecordingStatus state;
  EXPECT_EQ(pub.stub->StopRecording(&c1, stop, &state).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
  {
    grpc::ClientContext c;
    v1::Status status;
    ASSERT_TRUE(pub.stub->GetStatus(&c, v1::GetStatusRequest(), &status).ok());
    EXPECT_EQ(status.recording().state(), v1::IDLE);
    EXPECT_EQ(status.recording().op_code(), 1);
  }

  grpc::ClientContext c2;
  v1::StartRecordingRequest start;
  ASSERT_TRUE(pub.stub->StartRecording(&c2, start, &state).ok());
  EXPECT_EQ(state.state(), v1::RUNNING);
  EXPECT_EQ(state.op_code(), 3);
  EXPECT_EQ(state.session_id(), 0);
  ASSERT_GE(state.messages_size(), 2);
  EXPECT_EQ(state.messages(0).text(), "Status is now \"starting\".");
  EXPECT_EQ(state.messages(1).text(), "Status is now \"running\".");

  grpc::ClientContext c3;
  s = pub.stub->StartRecording(&c3, start, &state);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(s.error_message(), HasSubstr("already in progress"));

  EXPECT_TRUE(WriteOne(*pub.stub).ok());

  grpc::ClientContext c4;
  ASSERT_TRUE(pub.stub->StopRecording(&c4, stop, &state).ok());
  EXPECT_EQ(state.state(), v1::DONE);
  EXPECT_TRUE(state.success());
  EXPECT_EQ(state.op_code(), 5);
  EXPECT_TRUE(state.has_end_time());
  EXPECT_EQ(WriteOne(*pub.stub).error_code(), grpc::StatusCode::FAILED_PRECONDITION);

  // What was accepted before the stop is still delivered.
  ASSERT_TRUE(FlushAll(*pub.stub, absl::Seconds(20)));
  EXPECT_EQ(CountPoints(*influxd_, "ocs_feeds", "control", "v"), 1);

  // test_mode: one publishing cycle, then done with success.
  grpc::ClientContext c5;
  start.set_test_mode(true);
  ASSERT_TRUE(pub.stub->StartRecording(&c5, start, &state).ok());
  EXPECT_EQ(state.session_id(), 1);
  EXPECT_TRUE(state.test_mode());
  bool done = false;
  for (int i = 0; i < 100 && !done; ++i) {
    grpc::ClientContext c;
    v1::Status status;
    ASSERT_TRUE(pub.stub->GetStatus(&c, v1::GetStatusRequest(), &status).ok());
    done = status.recording().state() == v1::DONE;
    if (done) {
      EXPECT_TRUE(status.recording().success());
    }
    if (!done) absl::SleepFor(absl::Milliseconds(50));
  }
  EXPECT_TRUE(done);
}

TEST_F(ControlTest, TokenGuardsEveryRpcButHealth) {
  PublisherSetup setup;
  setup.auth_token = "s3cret-token";
  PublisherHandle pub = Start(setup);
  ASSERT_NE(pub.stub, nullptr);
  grpc::Status s = WriteOne(*pub.stub);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_THAT(s.error_message(), ::testing::Not(HasSubstr("s3cret")));
  EXPECT_EQ(WriteOne(*pub.stub, "wrong-token!").error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_TRUE(WriteOne(*pub.stub, "s3cret-token").ok());
  grpc::ClientContext c;
  v1::Status status;
  EXPECT_EQ(pub.stub->GetStatus(&c, v1::GetStatusRequest(), &status).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  auto health = HealthCheck(pub.channel);
  ASSERT_TRUE(health.ok()) << health.status();
  EXPECT_EQ(*health, 1);  // SERVING
}

TEST_F(ControlTest, ReflectionAndHealthServeGrpcurlAndProbes) {
  PublisherHandle pub = Start(PublisherSetup());
  ASSERT_NE(pub.stub, nullptr);
  auto services = ListServices(pub.channel);
  ASSERT_TRUE(services.ok()) << services.status();
  EXPECT_THAT(*services, Contains("ocs.influx.v1.Publisher"));
  EXPECT_THAT(*services, Contains("grpc.health.v1.Health"));
  auto health = HealthCheck(pub.channel);
  ASSERT_TRUE(health.ok()) << health.status();
  EXPECT_EQ(*health, 1);
}

TEST_F(ControlTest, StatusReportsCountersAndConnection) {
  PublisherHandle pub = Start(PublisherSetup());
  ASSERT_NE(pub.stub, nullptr);
  ASSERT_TRUE(WriteOne(*pub.stub).ok());
  ASSERT_TRUE(FlushAll(*pub.stub, absl::Seconds(20)));
  grpc::ClientContext c;
  v1::Status status;
  ASSERT_TRUE(pub.stub->GetStatus(&c, v1::GetStatusRequest(), &status).ok());
  EXPECT_EQ(status.points_accepted(), 1u);
  EXPECT_EQ(status.points_written(), 1u);
  EXPECT_EQ(status.spool().points(), 0u);
  EXPECT_EQ(status.spool().max_bytes(), 1ull << 30);
  EXPECT_TRUE(status.influx().connected());
  EXPECT_EQ(status.influx().url(), absl::StrCat("http://127.0.0.1:", influxd_->port()));
  EXPECT_THAT(status.influx().url(), ::testing::Not(HasSubstr("root")));
  EXPECT_GE(status.writes().batches_sent(), 1u);
  EXPECT_GT(status.writes().latency_p99().nanos() + status.writes().latency_p99().seconds(), 0);
  EXPECT_EQ(status.recording().op_code(), 3);
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST_F(ControlTest, TlsOnTheGrpcPortWithASelfSignedCertificate) {
  std::string dir = MakeTempDir("tls");
  std::string command = absl::StrCat(
      "openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=localhost "
      "-addext subjectAltName=IP:127.0.0.1,DNS:localhost -keyout ", dir,
      "/key.pem -out ", dir, "/cert.pem 2>/dev/null");
  ASSERT_EQ(std::system(command.c_str()), 0);
  PublisherSetup setup;
  setup.tls_cert_file = dir + "/cert.pem";
  setup.tls_key_file = dir + "/key.pem";
  PublisherHandle pub = Start(setup);
  ASSERT_NE(pub.server, nullptr);
  std::string target = absl::StrCat("127.0.0.1:", pub.server->port());

  grpc::SslCredentialsOptions ssl;
  ssl.pem_root_certs = ReadFile(dir + "/cert.pem");
  auto secure = v1::Publisher::NewStub(
      grpc::CreateChannel(target, grpc::SslCredentials(ssl)));
  EXPECT_TRUE(WriteOne(*secure).ok());

  // Plaintext to a TLS port never gets through.
  auto plain = v1::Publisher::NewStub(
      grpc::CreateChannel(target, grpc::InsecureChannelCredentials()));
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(2)));
  v1::Status status;
  EXPECT_FALSE(plain->GetStatus(&context, v1::GetStatusRequest(), &status).ok());
}

TEST_F(ControlTest, GzipAndPublisherStatsReachInflux) {
  PublisherSetup setup;
  setup.gzip = true;
  setup.stats_interval = absl::Milliseconds(100);
  PublisherHandle pub = Start(setup);
  ASSERT_NE(pub.stub, nullptr);
  ASSERT_TRUE(WriteOne(*pub.stub).ok());
  ASSERT_TRUE(FlushAll(*pub.stub, absl::Seconds(20)));
  EXPECT_EQ(CountPoints(*influxd_, "ocs_feeds", "control", "v"), 1);
  grpc::ClientContext c;
  v1::Status status;
  ASSERT_TRUE(pub.stub->GetStatus(&c, v1::GetStatusRequest(), &status).ok());
  EXPECT_GT(status.writes().bytes_sent_raw(), 0u);
  int64_t stats = 0;
  for (int i = 0; i < 100 && stats == 0; ++i) {
    stats = CountPoints(*influxd_, "ocs_feeds", "publisher_stats", "points_accepted");
    if (stats == 0) absl::SleepFor(absl::Milliseconds(50));
  }
  EXPECT_GT(stats, 0);
  auto rows = QueryRows(*influxd_, "ocs_feeds",
                        "SELECT last(points_written), host FROM publisher_stats");
  ASSERT_TRUE(rows.ok());
  ASSERT_FALSE(rows->empty());
  EXPECT_EQ((*rows)[0].items[2].string_value, "test");
}

}  // namespace
}  // namespace ocs_influx::testing
