// The publisher binary against InfluxDB 2 and 3 APIs: the stand-in
// (tests/support/influx_v2v3_standin.py) serves them in front of a real
// influxd 1.6, which stores what lands. Configured as OCS's InfluxDBAgentv2
// is (INFLUXDB_V2_* environment) or as the influxdb3 CLI (INFLUXDB3_*).
// Prints RELIABILITY lines with the waits measured.
#include <stdlib.h>

#include <fstream>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/faults/fault_support.h"
#include "tests/service/publisher_fixture.h"
#include "tests/support/influx_standin.h"
#include "tests/support/influxd.h"

namespace ocs_influx::faults {
namespace {

using ::ocs_influx::testing::CountPoints;
using ::ocs_influx::testing::Influxd;
using ::ocs_influx::testing::InfluxStandin;
using ::ocs_influx::testing::StandinOptions;
using ::ocs_influx::testing::StandinWrite;
using ::testing::HasSubstr;
using ::testing::Not;

// Variables for the publisher child, which inherits this environment; the
// ones set here are removed again at the end of the test.
class ScopedEnv {
 public:
  ScopedEnv() {
    for (const char* n : kAll) ::unsetenv(n);
  }
  ~ScopedEnv() {
    for (const char* n : kAll) ::unsetenv(n);
  }
  void Set(const char* name, const std::string& value) { ::setenv(name, value.c_str(), 1); }

 private:
  static constexpr const char* kAll[] = {
      "INFLUXDB_V2_URL",          "INFLUXDB_V2_ORG",        "INFLUXDB_V2_BUCKET",
      "INFLUXDB_V2_TOKEN",        "INFLUXDB_V2_TOKEN_FILE", "INFLUXDB_V2_TIMEOUT",
      "INFLUXDB_V2_VERIFY_SSL",   "INFLUXDB_V2_SSL_CA_CERT", "INFLUXDB3_AUTH_TOKEN",
      "INFLUXDB3_AUTH_TOKEN_FILE", "INFLUXDB_V2_URL_FILE",   "INFLUXDB_V2_BUCKET_FILE"};
};

std::string ReadAll(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

grpc::Status WriteLines(v1::Publisher::Stub& stub, const std::string& lines) {
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  v1::WriteLinesRequest request;
  request.set_lines(lines);
  v1::WriteResponse response;
  return stub.WriteLines(&context, request, &response);
}

struct Stack {
  std::unique_ptr<Influxd> influxd;
  std::unique_ptr<InfluxStandin> standin;
};

Stack StartStack(const std::string& flavor, const std::string& token) {
  Stack s;
  auto influxd = Influxd::Start();
  EXPECT_TRUE(influxd.ok()) << influxd.status();
  if (!influxd.ok()) return s;
  s.influxd = std::move(*influxd);
  StandinOptions o;
  o.flavor = flavor;
  o.influxd_url = s.influxd->url();
  o.token = token;
  auto standin = InfluxStandin::Start(o);
  EXPECT_TRUE(standin.ok()) << standin.status();
  if (standin.ok()) s.standin = std::move(*standin);
  return s;
}

// The publisher binary pointed at a v2 or v3 target (--host and --port,
// which fault_support always passes, are then unused).
PublisherArgs Args(const std::string& spool_dir, std::vector<std::string> extra) {
  PublisherArgs a;
  a.influx_port = 1;
  a.spool_dir = spool_dir;
  a.extra = std::move(extra);
  return a;
}

std::vector<StandinWrite> Writes(InfluxStandin& standin) {
  auto w = standin.Writes();
  EXPECT_TRUE(w.ok()) << w.status();
  return w.ok() ? *w : std::vector<StandinWrite>{};
}

TEST(InfluxV2V3Test, V2FromTheOcsEnvironment50kPointsLandInABucketThePublisherCreated) {
  const std::string token = "v2-token-7e1c-secret";
  Stack stack = StartStack("v2", token);
  ASSERT_NE(stack.standin, nullptr);
  const std::string dir = TempDir("v2env");
  {
    std::ofstream(dir + "/token") << token << "\n";
  }
  ScopedEnv env;
  env.Set("INFLUXDB_V2_URL", stack.standin->url());
  env.Set("INFLUXDB_V2_ORG", "ocs");
  env.Set("INFLUXDB_V2_BUCKET", "ocs_v2bucket");
  env.Set("INFLUXDB_V2_TOKEN_FILE", dir + "/token");
  env.Set("INFLUXDB_V2_TIMEOUT", "10000");
  PublisherProcess publisher(Args(dir + "/spool", {"--influxdb-api", "v2", "--gzip", "--log-level",
                                        "debug"}));
  ASSERT_TRUE(publisher.Start().ok()) << publisher.LogTail();
  auto stub = publisher.NewStub();
  constexpr int kPoints = 50000;
  for (int i = 0; i < kPoints; i += 5000) {
    grpc::Status s = WriteLines(*stub, MakeLines("v2load", 1, i, 5000));
    ASSERT_TRUE(s.ok()) << s.error_message();
  }
  ASSERT_TRUE(publisher.Flush(absl::Seconds(90))) << publisher.LogTail();
  EXPECT_EQ(CountPoints(*stack.influxd, "ocs_v2bucket", "v2load", "v"), kPoints);
  int created = 0, refused = 0;
  for (const StandinWrite& w : Writes(*stack.standin)) {
    if (w.path == "/api/v2/buckets" && w.status == 201) ++created;
    if (w.status != 204 && w.status != 201) ++refused;
  }
  EXPECT_EQ(created, 1);
  EXPECT_EQ(refused, 0);
  auto status = publisher.GetStatus();
  ASSERT_TRUE(status.ok()) << status.status();
  EXPECT_EQ(status->points_written(), static_cast<uint64_t>(kPoints));
  EXPECT_THAT(status->DebugString(), Not(HasSubstr(token)));
  EXPECT_EQ(publisher.Terminate(), 0);
  EXPECT_THAT(ReadAll(publisher.log_path()), Not(HasSubstr(token)));
}

TEST(InfluxV2V3Test, V2WrongTokenKeepsEveryPointAndDegradesUntilTheTokenIsRight) {
  const std::string token = "wrong-token-9f4-secret";
  Stack stack = StartStack("v2", "the-right-token-5b2");
  ASSERT_NE(stack.standin, nullptr);
  const std::string dir = TempDir("v2tok");
  ScopedEnv env;
  env.Set("INFLUXDB_V2_URL", stack.standin->url());
  env.Set("INFLUXDB_V2_ORG", "ocs");
  env.Set("INFLUXDB_V2_BUCKET", "ocs_tok");
  env.Set("INFLUXDB_V2_TOKEN", token);
  PublisherProcess publisher(Args(dir + "/spool", {"--influxdb-api", "v2", "--log-level", "debug"}));
  ASSERT_TRUE(publisher.Start().ok()) << publisher.LogTail();
  auto stub = publisher.NewStub();
  constexpr int kPoints = 2000;
  ASSERT_TRUE(WriteLines(*stub, MakeLines("tok", 1, 0, kPoints)).ok());
  // Degraded with the reason, nothing written, nothing dead-lettered.
  v1::Status status;
  const absl::Time deadline = absl::Now() + absl::Seconds(15);
  while (absl::Now() < deadline) {
    auto s = publisher.GetStatus();
    ASSERT_TRUE(s.ok()) << s.status();
    status = *s;
    if (status.recording().degraded() &&
        absl::StrContains(status.influx().last_error(), "InfluxDB refused the token") &&
        status.writes().retries() > 0) {
      break;
    }
    absl::SleepFor(absl::Milliseconds(100));
  }
  EXPECT_TRUE(status.recording().degraded());
  EXPECT_THAT(status.influx().last_error(), HasSubstr("InfluxDB refused the token"));
  EXPECT_EQ(status.points_written(), 0u);
  EXPECT_EQ(status.points_dead_lettered(), 0u);
  EXPECT_EQ(status.spool().points(), static_cast<uint64_t>(kPoints));
  EXPECT_THAT(status.DebugString(), Not(HasSubstr(token)));

  // The site fixes the token (here: the server starts accepting ours).
  ASSERT_TRUE(stack.standin->Control(absl::StrCat("{\"token\": \"", token, "\"}")).ok());
  ASSERT_TRUE(publisher.Flush(absl::Seconds(60))) << publisher.LogTail();
  EXPECT_EQ(CountPoints(*stack.influxd, "ocs_tok", "tok", "v"), kPoints);
  auto after = publisher.GetStatus();
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(after->points_dead_lettered(), 0u);
  EXPECT_FALSE(after->recording().degraded());
  EXPECT_FALSE(std::ifstream(after->dead_letter_file()).good());
  EXPECT_EQ(publisher.Terminate(), 0);
  const std::string log = ReadAll(publisher.log_path());
  EXPECT_THAT(log, HasSubstr("InfluxDB refused the token"));
  EXPECT_THAT(log, Not(HasSubstr(token)));
}

TEST(InfluxV2V3Test, V3WriteLpLandsAndAPartialWriteDeadLettersExactlyTheRefusedLines) {
  const std::string token = "v3-token-c41-secret";
  Stack stack = StartStack("v3", token);
  ASSERT_NE(stack.standin, nullptr);
  const std::string dir = TempDir("v3");
  ScopedEnv env;
  env.Set("INFLUXDB3_AUTH_TOKEN", token);
  PublisherProcess publisher(Args(dir + "/spool", {"--influxdb-api", "v3", "--url", stack.standin->url(), "--database", "ocs_v3",
                 "--log-level", "debug"}));
  ASSERT_TRUE(publisher.Start().ok()) << publisher.LogTail();
  auto stub = publisher.NewStub();
  ASSERT_TRUE(WriteLines(*stub, MakeLines("v3load", 1, 0, 1000)).ok());
  ASSERT_TRUE(WriteLines(*stub, "conflict v=1i 1000\n").ok());
  ASSERT_TRUE(publisher.Flush(absl::Seconds(30))) << publisher.LogTail();
  EXPECT_EQ(CountPoints(*stack.influxd, "ocs_v3", "v3load", "v"), 1000);

  // Lines 3 and 7 conflict with the integer field: InfluxDB 3 stores the
  // other eight and names those two.
  std::string batch;
  std::vector<std::string> refused;
  for (int i = 1; i <= 10; ++i) {
    std::string line = (i == 3 || i == 7)
                           ? absl::StrCat("conflict v=\"text ", i, "\" ", 1000 + i)
                           : absl::StrCat("conflict v=", i, "i ", 1000 + i);
    if (i == 3 || i == 7) refused.push_back(line);
    absl::StrAppend(&batch, line, "\n");
  }
  const size_t before = Writes(*stack.standin).size();
  ASSERT_TRUE(WriteLines(*stub, batch).ok());
  ASSERT_TRUE(publisher.Flush(absl::Seconds(30))) << publisher.LogTail();
  EXPECT_EQ(CountPoints(*stack.influxd, "ocs_v3", "conflict", "v"), 1 + 8);
  auto status = publisher.GetStatus();
  ASSERT_TRUE(status.ok());
  EXPECT_EQ(status->points_dead_lettered(), 2u);
  std::vector<std::string> dead;
  for (absl::string_view l : absl::StrSplit(ReadAll(status->dead_letter_file()), '\n',
                                            absl::SkipEmpty())) {
    if (!absl::StartsWith(l, "#")) dead.emplace_back(l);
  }
  EXPECT_EQ(dead, refused);
  // One request for the batch: the answer named the lines, nothing bisected.
  std::vector<StandinWrite> writes = Writes(*stack.standin);
  ASSERT_GE(writes.size(), before);
  EXPECT_EQ(writes.size() - before, 1u);
  EXPECT_EQ(writes.back().status, 400);
  EXPECT_EQ(publisher.Terminate(), 0);
  EXPECT_THAT(ReadAll(publisher.log_path()), Not(HasSubstr(token)));
}

// The gap between the answer carrying Retry-After and the next write.
double WaitAfter(const std::vector<StandinWrite>& writes, int status) {
  for (size_t i = 0; i + 1 < writes.size(); ++i) {
    if (writes[i].status == status) return writes[i + 1].t - writes[i].t;
  }
  return -1;
}

TEST(InfluxV2V3Test, V2RetryAfterOn429And503IsHonouredAndNothingIsLost) {
  const std::string token = "ra-token";
  Stack stack = StartStack("v2", token);
  ASSERT_NE(stack.standin, nullptr);
  const std::string dir = TempDir("v2ra");
  ScopedEnv env;
  env.Set("INFLUXDB_V2_TOKEN", token);
  PublisherProcess publisher(Args(dir + "/spool", {"--influxdb-api", "v2", "--url", stack.standin->url(), "--org", "ocs",
                 "--bucket", "ocs_ra"}));
  ASSERT_TRUE(publisher.Start().ok()) << publisher.LogTail();
  auto stub = publisher.NewStub();
  ASSERT_TRUE(WriteLines(*stub, MakeLines("ra", 1, 0, 100)).ok());
  ASSERT_TRUE(publisher.Flush(absl::Seconds(30))) << publisher.LogTail();

  ASSERT_TRUE(stack.standin
                  ->Control(R"({"fault": {"status": 429, "count": 1, "retry_after": 3}})")
                  .ok());
  ASSERT_TRUE(WriteLines(*stub, MakeLines("ra", 1, 100, 100)).ok());
  ASSERT_TRUE(publisher.Flush(absl::Seconds(30))) << publisher.LogTail();
  ASSERT_TRUE(stack.standin
                  ->Control(R"({"fault": {"status": 503, "count": 1, "retry_after": 2}})")
                  .ok());
  ASSERT_TRUE(WriteLines(*stub, MakeLines("ra", 1, 200, 100)).ok());
  ASSERT_TRUE(publisher.Flush(absl::Seconds(30))) << publisher.LogTail();

  EXPECT_EQ(CountPoints(*stack.influxd, "ocs_ra", "ra", "v"), 300);
  const std::vector<StandinWrite> writes = Writes(*stack.standin);
  const double after429 = WaitAfter(writes, 429);
  const double after503 = WaitAfter(writes, 503);
  std::printf("RELIABILITY scenario=retry_after retry_after_429=3s waited=%.2fs "
              "retry_after_503=2s waited=%.2fs lost=0\n",
              after429, after503);
  EXPECT_GE(after429, 2.95);
  EXPECT_LE(after429, 4.5);
  EXPECT_GE(after503, 1.95);
  EXPECT_LE(after503, 3.5);
  auto status = publisher.GetStatus();
  ASSERT_TRUE(status.ok());
  EXPECT_EQ(status->points_dead_lettered(), 0u);
  EXPECT_EQ(publisher.Terminate(), 0);
}

TEST(InfluxV2V3Test, V2FaultsKeepEveryPoint401And404And503AndSlow) {
  const std::string token = "faults-token";
  Stack stack = StartStack("v2", token);
  ASSERT_NE(stack.standin, nullptr);
  const std::string dir = TempDir("v2faults");
  ScopedEnv env;
  env.Set("INFLUXDB_V2_TOKEN", token);
  PublisherProcess publisher(
      Args(dir + "/spool", {"--influxdb-api", "v2", "--url", stack.standin->url(), "--org",
                            "ocs", "--bucket", "ocs_faults", "--influx-timeout", "1s"}));
  ASSERT_TRUE(publisher.Start().ok()) << publisher.LogTail();
  auto stub = publisher.NewStub();
  int64_t next = 0;
  for (const char* fault : {R"({"fault": {"status": 401, "count": 2}})",
                            R"({"fault": {"status": 404, "count": 2}})",
                            R"({"fault": {"status": 503, "count": 3}})",
                            R"({"slow": 1.5})"}) {
    ASSERT_TRUE(stack.standin->Control(fault).ok());
    ASSERT_TRUE(WriteLines(*stub, MakeLines("faults", 1, next, 500)).ok());
    next += 500;
    if (absl::StrContains(fault, "slow")) {
      // Every write times out meanwhile; the points wait.
      absl::SleepFor(absl::Seconds(3));
      auto status = publisher.GetStatus();
      ASSERT_TRUE(status.ok());
      EXPECT_TRUE(status->recording().degraded());
      ASSERT_TRUE(stack.standin->Control(R"({"clear": true})").ok());
    }
    ASSERT_TRUE(publisher.Flush(absl::Seconds(30))) << fault << publisher.LogTail();
  }
  EXPECT_EQ(CountPoints(*stack.influxd, "ocs_faults", "faults", "v"), next);
  auto status = publisher.GetStatus();
  ASSERT_TRUE(status.ok());
  EXPECT_EQ(status->points_dead_lettered(), 0u);
  EXPECT_EQ(publisher.Terminate(), 0);
}

TEST(InfluxV2V3Test, V2ALongRetryAfterEndsAtStopAndThePointsWaitInTheSpool) {
  const std::string token = "stop-token";
  Stack stack = StartStack("v2", token);
  ASSERT_NE(stack.standin, nullptr);
  const std::string dir = TempDir("v2stop");
  ScopedEnv env;
  env.Set("INFLUXDB_V2_TOKEN", token);
  const std::vector<std::string> flags = {"--influxdb-api", "v2", "--url",
                                          stack.standin->url(), "--org", "ocs",
                                          "--bucket", "ocs_stop"};
  {
    PublisherProcess publisher(Args(dir + "/spool", flags));
    ASSERT_TRUE(publisher.Start().ok()) << publisher.LogTail();
    auto stub = publisher.NewStub();
    ASSERT_TRUE(stack.standin
                    ->Control(R"({"fault": {"status": 429, "count": 100, "retry_after": 3600}})")
                    .ok());
    ASSERT_TRUE(WriteLines(*stub, MakeLines("stop", 1, 0, 100)).ok());
    const absl::Time deadline = absl::Now() + absl::Seconds(10);
    bool refused = false;
    while (!refused && absl::Now() < deadline) {
      for (const StandinWrite& w : Writes(*stack.standin)) refused |= w.status == 429;
      absl::SleepFor(absl::Milliseconds(50));
    }
    ASSERT_TRUE(refused);
    // Told to come back in an hour (five minutes, capped): SIGTERM still
    // ends it within --shutdown-timeout (2 s here).
    const absl::Time start = absl::Now();
    EXPECT_EQ(publisher.Terminate(), 0);
    const double stop_s = absl::ToDoubleSeconds(absl::Now() - start);
    std::printf("RELIABILITY scenario=retry_after_stop retry_after=3600s stop=%.2fs\n", stop_s);
    EXPECT_LT(stop_s, 6.0);
  }
  ASSERT_TRUE(stack.standin->Control(R"({"clear": true})").ok());
  PublisherProcess again(Args(dir + "/spool", flags));
  ASSERT_TRUE(again.Start().ok()) << again.LogTail();
  ASSERT_TRUE(again.Flush(absl::Seconds(30))) << again.LogTail();
  EXPECT_EQ(CountPoints(*stack.influxd, "ocs_stop", "stop", "v"), 100);
  EXPECT_EQ(again.Terminate(), 0);
}

TEST(InfluxV2V3Test, BadOrMissingSettingsStopStartUpNamingThemAndNeverTheToken) {
  struct Case {
    std::vector<std::string> args;
    std::vector<std::pair<const char*, std::string>> env;
    const char* message;
  };
  const std::string token = "tok-never-shown-31";
  const std::vector<std::pair<const char*, std::string>> v2_env = {
      {"INFLUXDB_V2_URL", "http://127.0.0.1:1"},
      {"INFLUXDB_V2_ORG", "ocs"},
      {"INFLUXDB_V2_BUCKET", "b"},
      {"INFLUXDB_V2_TOKEN", token}};
  auto with = [&](std::vector<std::pair<const char*, std::string>> extra) {
    auto e = v2_env;
    for (auto& kv : extra) {
      bool replaced = false;
      for (auto& old : e) {
        if (std::string(old.first) == kv.first) {
          old.second = kv.second;
          replaced = true;
        }
      }
      if (!replaced) e.push_back(kv);
    }
    return e;
  };
  const std::vector<Case> cases = {
      {{"--influxdb-api", "v4"}, {}, "--influxdb-api"},
      {{"--influxdb-api", "v2"}, {}, "INFLUXDB_V2_URL"},
      {{"--influxdb-api", "v2"}, with({{"INFLUXDB_V2_BUCKET", ""}}), "INFLUXDB_V2_BUCKET"},
      {{"--influxdb-api", "v2"}, with({{"INFLUXDB_V2_ORG", ""}}), "INFLUXDB_V2_ORG"},
      {{"--influxdb-api", "v2"}, with({{"INFLUXDB_V2_TOKEN", ""}}), "INFLUXDB_V2_TOKEN"},
      {{"--influxdb-api", "v2"}, with({{"INFLUXDB_V2_TIMEOUT", "soon"}}), "INFLUXDB_V2_TIMEOUT"},
      {{"--influxdb-api", "v2"}, with({{"INFLUXDB_V2_VERIFY_SSL", "maybe"}}),
       "INFLUXDB_V2_VERIFY_SSL"},
      {{"--influxdb-api", "v2", "--url", "ftp://127.0.0.1:1"}, with({}), "--url"},
      {{"--influxdb-api", "v2", "--influx-token-file", "/nonexistent/t"}, with({}),
       "--influx-token-file"},
      {{"--influxdb-api", "v3", "--url", "http://127.0.0.1:1"}, {}, "INFLUXDB3_AUTH_TOKEN"},
      {{"--influxdb-api", "v3"}, {{"INFLUXDB3_AUTH_TOKEN", token}}, "--url"},
  };
  const std::string dir = TempDir("badcfg");
  int n = 0;
  for (const Case& c : cases) {
    ScopedEnv env;
    for (const auto& [name, value] : c.env) {
      if (!value.empty()) env.Set(name, value);
    }
    std::vector<std::string> args = c.args;
    args.insert(args.end(), {"--spool-dir", absl::StrCat(dir, "/spool", n),
                             "--listen", "127.0.0.1:0"});
    const std::string log = absl::StrCat(dir, "/log", n++);
    EXPECT_EQ(RunTool("service/publisher", args, absl::Seconds(10), log), 2)
        << c.message << ": " << ReadAll(log);
    EXPECT_THAT(ReadAll(log), HasSubstr(c.message));
    EXPECT_THAT(ReadAll(log), Not(HasSubstr(token)));
  }
}

}  // namespace
}  // namespace ocs_influx::faults
