// The publisher binary as an operator runs it: bad flags stop start-up with
// a message naming them; SIGTERM stops accepting, delivers, exits 0; the
// InfluxDB password never reaches the logs.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/service/publisher_fixture.h"

namespace ocs_influx::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kBinary[] = "service/publisher";

struct Child {
  pid_t pid = -1;
  std::string log;
};

// Starts the publisher with `args`, stderr to a file, and `env` added.
Child Spawn(const std::vector<std::string>& args,
            const std::vector<std::string>& env = {}) {
  Child child;
  child.log = MakeTempDir("binary") + "/stderr.log";
  child.pid = fork();
  if (child.pid == 0) {
    int fd = open(child.log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(fd, STDERR_FILENO);
    dup2(fd, STDOUT_FILENO);
    for (const std::string& e : env) putenv(const_cast<char*>(e.c_str()));
    std::vector<char*> argv;
    argv.push_back(const_cast<char*>(kBinary));
    for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    execv(kBinary, argv.data());
    _exit(127);
  }
  return child;
}

// Waits at most `timeout` for the child; -1 if it did not exit (it is then
// killed).
int WaitExit(pid_t pid, absl::Duration timeout) {
  absl::Time deadline = absl::Now() + timeout;
  while (absl::Now() < deadline) {
    int status = 0;
    if (waitpid(pid, &status, WNOHANG) == pid) {
      return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    }
    absl::SleepFor(absl::Milliseconds(20));
  }
  kill(pid, SIGKILL);
  waitpid(pid, nullptr, 0);
  return -1;
}

std::unique_ptr<ocs::influx::v1::Publisher::Stub> Connect(int port) {
  return ocs::influx::v1::Publisher::NewStub(grpc::CreateChannel(
      absl::StrCat("127.0.0.1:", port), grpc::InsecureChannelCredentials()));
}

// Writes `lines` once the just-started publisher answers (bounded: 10 s).
grpc::Status WriteOnceUp(ocs::influx::v1::Publisher::Stub& stub, const std::string& lines) {
  grpc::Status written;
  for (int i = 0; i < 100; ++i) {
    grpc::ClientContext context;
    ocs::influx::v1::WriteLinesRequest request;
    request.set_lines(lines);
    ocs::influx::v1::WriteResponse response;
    written = stub.WriteLines(&context, request, &response);
    if (written.error_code() != grpc::StatusCode::UNAVAILABLE) break;
    absl::SleepFor(absl::Milliseconds(100));
  }
  return written;
}

std::string ReadAll(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST(BinaryTest, BadFlagsNameTheFlag) {
  struct Case {
    std::vector<std::string> args;
    const char* message;
  };
  const Case cases[] = {
      {{"--port", "70000"}, "--port"},
      {{"--bogus"}, "unknown flag --bogus"},
      {{"--initial-state", "maybe"}, "--initial-state"},
      {{"--flush-interval", "soon"}, "--flush-interval"},
      {{"--gzip", "--spool-max-bytes", "12parsecs"}, "--spool-max-bytes"},
      {{"--tls-cert", "/nonexistent"}, "--tls-key"},
      {{"--auth-token-file", "/nonexistent/token"}, "--auth-token-file"},
  };
  for (const Case& c : cases) {
    Child child = Spawn(c.args);
    EXPECT_EQ(WaitExit(child.pid, absl::Seconds(10)), 2) << c.args[0];
    EXPECT_THAT(ReadAll(child.log), HasSubstr(c.message)) << c.args[0];
  }
}

TEST(BinaryTest, HelpListsEveryFlagWithItsDefault) {
  Child child = Spawn({"--help"});
  EXPECT_EQ(WaitExit(child.pid, absl::Seconds(10)), 0);
  std::string help = ReadAll(child.log);
  for (const char* flag : {"--host", "--port", "--database", "--protocol", "--gzip",
                           "--ssl", "--verify-ssl", "--initial-state", "--listen",
                           "--retention-policy", "--spool-dir", "--spool-max-bytes",
                           "--batch-size", "--flush-interval", "--dead-letter-file",
                           "--auth-token-file", "--tls-cert", "--tls-key",
                           "--stats-interval"}) {
    EXPECT_THAT(help, HasSubstr(flag));
  }
  EXPECT_THAT(help, HasSubstr("(default: 127.0.0.1:50051)"));
  EXPECT_THAT(help, HasSubstr("INFLUXDB_PASSWORD"));
}

TEST(BinaryTest, SigtermDeliversAndExitsZeroWithoutLeakingThePassword) {
  InfluxdOptions influx_options;
  influx_options.auth_enabled = true;
  auto influxd = Influxd::Start(influx_options);
  ASSERT_TRUE(influxd.ok()) << influxd.status();
  ASSERT_TRUE((*influxd)->CreateAdminUser("admin", "pa55-w0rd-xyz").ok());
  int grpc_port = *PickFreeLoopbackPort();
  std::string spool = MakeTempDir("spool");
  Child child = Spawn(
      {"--host", "127.0.0.1", "--port", std::to_string((*influxd)->port()),
       "--listen", absl::StrCat("127.0.0.1:", grpc_port), "--spool-dir", spool,
       "--flush-interval", "5s", "--log-level", "debug"},
      {"INFLUXDB_USERNAME=admin", "INFLUXDB_PASSWORD=pa55-w0rd-xyz"});
  auto stub = Connect(grpc_port);
  grpc::Status written = WriteOnceUp(*stub, "sigterm v=1 1\nsigterm v=2 2\n");
  ASSERT_TRUE(written.ok()) << written.error_message() << ReadAll(child.log);
  // The flush interval is 5 s: the points are still waiting when SIGTERM
  // comes, and the shutdown delivers them.
  kill(child.pid, SIGTERM);
  EXPECT_EQ(WaitExit(child.pid, absl::Seconds(20)), 0);
  auto rows = (*influxd)->Query("ocs_feeds", "SELECT count(v) FROM sigterm", "admin",
                                "pa55-w0rd-xyz");
  ASSERT_TRUE(rows.ok()) << rows.status();
  EXPECT_THAT(*rows, HasSubstr("[\"1970-01-01T00:00:00Z\",2]"));
  std::string log = ReadAll(child.log);
  EXPECT_THAT(log, HasSubstr("SIGTERM received"));
  EXPECT_THAT(log, Not(HasSubstr("pa55-w0rd-xyz")));
}

TEST(BinaryTest, TokenAndPasswordNeverReachTheLogOrStatus) {
  auto influxd = Influxd::Start();
  ASSERT_TRUE(influxd.ok()) << influxd.status();
  const std::string dir = MakeTempDir("secrets");
  const std::string token = "tok-3f9a-very-secret";
  {
    std::ofstream out(dir + "/token");
    out << token << "\n";
  }
  int grpc_port = *PickFreeLoopbackPort();
  Child child = Spawn(
      {"--host", "127.0.0.1", "--port", std::to_string((*influxd)->port()),
       "--listen", absl::StrCat("127.0.0.1:", grpc_port), "--spool-dir", dir + "/spool",
       "--auth-token-file", dir + "/token", "--log-level", "debug"},
      {"INFLUXDB_USERNAME=someone", "INFLUXDB_PASSWORD=pw-77-secret"});
  auto stub = Connect(grpc_port);
  // Refused without the token and with a wrong one, answered with it.
  EXPECT_EQ(WriteOnceUp(*stub, "secret v=1 1\n").error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  for (const std::string& sent : {std::string("wrong"), token}) {
    grpc::ClientContext context;
    context.AddMetadata("authorization", "Bearer " + sent);
    ocs::influx::v1::Status status;
    grpc::Status s = stub->GetStatus(&context, {}, &status);
    if (sent == token) {
      ASSERT_TRUE(s.ok()) << s.error_message();
      EXPECT_THAT(status.DebugString(), Not(HasSubstr(token)));
      EXPECT_THAT(status.DebugString(), Not(HasSubstr("pw-77-secret")));
    } else {
      EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAUTHENTICATED);
      EXPECT_THAT(s.error_message(), Not(HasSubstr(token)));
    }
  }
  // Nothing waits in the spool: the stop wakes the idle writer and the
  // process ends at once, not after an idle wait or the drain timeout.
  const absl::Time stop_sent = absl::Now();
  kill(child.pid, SIGTERM);
  EXPECT_EQ(WaitExit(child.pid, absl::Seconds(20)), 0);
  EXPECT_LT(absl::Now() - stop_sent, absl::Seconds(4));
  std::string log = ReadAll(child.log);
  EXPECT_THAT(log, HasSubstr("bearer token required"));
  EXPECT_THAT(log, Not(HasSubstr(token)));
  EXPECT_THAT(log, Not(HasSubstr("pw-77-secret")));
}

TEST(BinaryTest, WrongCredentialsAreReportedPlainlyAndNothingIsLost) {
  InfluxdOptions influx_options;
  influx_options.auth_enabled = true;
  auto influxd = Influxd::Start(influx_options);
  ASSERT_TRUE(influxd.ok()) << influxd.status();
  ASSERT_TRUE((*influxd)->CreateAdminUser("admin", "right-password").ok());
  int grpc_port = *PickFreeLoopbackPort();
  std::string spool = MakeTempDir("spool");
  std::vector<std::string> args = {
      "--host", "127.0.0.1", "--port", std::to_string((*influxd)->port()),
      "--listen", absl::StrCat("127.0.0.1:", grpc_port), "--spool-dir", spool,
      "--flush-interval", "100ms", "--shutdown-timeout", "500ms"};
  Child child = Spawn(args, {"INFLUXDB_USERNAME=admin",
                             "INFLUXDB_PASSWORD=wrong-password-123"});
  auto stub = Connect(grpc_port);
  grpc::Status written = WriteOnceUp(*stub, "creds v=1 1\ncreds v=2 2\ncreds v=3 3\n");
  ASSERT_TRUE(written.ok()) << written.error_message();
  ocs::influx::v1::Status status;
  for (int i = 0; i < 50; ++i) {
    grpc::ClientContext context;
    ASSERT_TRUE(stub->GetStatus(&context, {}, &status).ok());
    if (status.writes().retries() > 0) break;
    absl::SleepFor(absl::Milliseconds(100));
  }
  EXPECT_TRUE(status.recording().degraded());
  EXPECT_THAT(status.influx().last_error(), HasSubstr("authorization failed"));
  EXPECT_THAT(status.DebugString(), Not(HasSubstr("wrong-password-123")));
  kill(child.pid, SIGTERM);
  EXPECT_EQ(WaitExit(child.pid, absl::Seconds(20)), 0);
  EXPECT_THAT(ReadAll(child.log), Not(HasSubstr("wrong-password-123")));

  // Fixed credentials, restarted: the backlog lands.
  Child fixed = Spawn(args, {"INFLUXDB_USERNAME=admin",
                             "INFLUXDB_PASSWORD=right-password"});
  bool landed = false;
  for (int i = 0; i < 100 && !landed; ++i) {
    auto rows = (*influxd)->Query("ocs_feeds", "SELECT count(v) FROM creds", "admin",
                                  "right-password");
    landed = rows.ok() && rows->find("[\"1970-01-01T00:00:00Z\",3]") != std::string::npos;
    if (!landed) absl::SleepFor(absl::Milliseconds(100));
  }
  EXPECT_TRUE(landed);
  kill(fixed.pid, SIGTERM);
  EXPECT_EQ(WaitExit(fixed.pid, absl::Seconds(20)), 0);
}

}  // namespace
}  // namespace ocs_influx::testing
