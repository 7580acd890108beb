// The InfluxDB client against a real influxd 1.x on loopback.
#include <algorithm>
#include <cstdlib>
#include <utility>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "service/influx/client.h"
#include "tests/support/influx_query.h"
#include "tests/support/influxd.h"

namespace ocs_influx::influx {

// Failure messages name the outcome rather than dump its bytes.
void PrintTo(WriteOutcome o, std::ostream* os) { *os << WriteOutcomeName(o); }

namespace {

using ocs_influx::testing::Influxd;
using ocs_influx::testing::InfluxdOptions;
using ocs_influx::testing::QueryInflux;
using ::testing::HasSubstr;
using ::testing::Not;

std::unique_ptr<Influxd> StartOrDie(const InfluxdOptions& o = {}) {
  auto d = Influxd::Start(o);
  EXPECT_TRUE(d.ok()) << d.status();
  return d.ok() ? std::move(*d) : nullptr;
}

InfluxOptions OptionsFor(const Influxd& d, std::string db, bool gzip = false) {
  InfluxOptions o;
  o.host = "127.0.0.1";
  o.port = d.port();
  o.database = std::move(db);
  o.gzip = gzip;
  o.connect_timeout = absl::Seconds(2);
  o.request_timeout = absl::Seconds(20);
  return o;
}

// A client and the options it was made from, which the test reads back
// through (the client itself never queries).
struct TestClient {
  InfluxOptions options;
  std::unique_ptr<InfluxClient> client;
  InfluxClient* operator->() const { return client.get(); }
  absl::StatusOr<std::string> Query(std::string_view q, std::string_view epoch = {}) const {
    return QueryInflux(options, q, epoch);
  }
};

TestClient ClientFor(const Influxd& d, std::string db, bool gzip = false) {
  TestClient t{OptionsFor(d, std::move(db), gzip), nullptr};
  auto c = InfluxClient::Create(t.options);
  EXPECT_TRUE(c.ok()) << c.status();
  if (c.ok()) t.client = std::move(*c);
  return t;
}

// The N of {"values":[[0,N]]} in a SELECT count(...) answer; -1 if absent.
long long CountIn(const std::string& json) {
  const std::string key = "\"values\":[[";
  size_t p = json.find(key);
  if (p == std::string::npos) return json.find("\"series\"") == std::string::npos ? 0 : -1;
  p = json.find(',', p + key.size());
  if (p == std::string::npos) return -1;
  return std::strtoll(json.c_str() + p + 1, nullptr, 10);
}

long long Count(const InfluxOptions& o, const std::string& measurement,
                const std::string& field) {
  auto r = QueryInflux(o, absl::StrCat("SELECT count(", QuoteInfluxQLIdentifier(field), ") FROM ",
                                QuoteInfluxQLIdentifier(measurement)));
  EXPECT_TRUE(r.ok()) << r.status();
  return r.ok() ? CountIn(*r) : -1;
}

std::string Lines(int n, const std::string& measurement, int64_t t0, int fields = 1) {
  std::string out;
  for (int i = 0; i < n; ++i) {
    absl::StrAppend(&out, measurement, ",feed=f", i % 7, " ");
    for (int f = 0; f < fields; ++f) {
      absl::StrAppendFormat(&out, "%schannel_%02d=%.6f", f == 0 ? "" : ",", f,
                            0.001 * i + f * 1.37);
    }
    absl::StrAppend(&out, " ", t0 + i * 1000, "\n");
  }
  return out;
}

// One influxd shared by the tests that leave it running as they found it.
class SharedInfluxdTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { influxd_ = StartOrDie().release(); }
  static void TearDownTestSuite() {
    delete influxd_;
    influxd_ = nullptr;
  }
  void SetUp() override { ASSERT_NE(influxd_, nullptr); }
  static Influxd* influxd_;
};
Influxd* SharedInfluxdTest::influxd_ = nullptr;

TEST_F(SharedInfluxdTest, Ping) {
  auto c = ClientFor(*influxd_, "whatever");
  EXPECT_TRUE(c->Ping().ok());
  EXPECT_EQ(c->BaseUrl(), influxd_->url());
}

TEST_F(SharedInfluxdTest, WriteAllTypesAndEscapesThenReadBackExactly) {
  auto c = ClientFor(*influxd_, "exact");
  ASSERT_TRUE(c->CreateDatabase().ok());
  ASSERT_TRUE(c->CreateDatabase().ok());  // idempotent
  const std::string lines =
      "we\\,ather\\ x,loc\\ tag=a\\,b\\=c\\ d,site=s1 "
      "f_float=1.5,f_neg=-0.1,f_prec=0.30000000000000004,f_huge=1e300,"
      "f_int=-42i,f_max=9223372036854775807i,f_min=-9223372036854775808i,"
      "f_str=\"he said \\\"hi\\\" \\\\ back, ok=1 \xC2\xB5s\",f_true=true,f_false=F,"
      "f\\ sp\\,c\\=e=7i 1700000000123456789\n"
      "we\\,ather\\ x,loc\\ tag=a\\,b\\=c\\ d,site=s1 f_float=2.25 1700000000123456790\n"
      "we\\,ather\\ x,site=s2 f_float=-0 1\n";
  WriteResult w = c->Write(lines);
  ASSERT_EQ(w.outcome, WriteOutcome::kOk) << w.error;
  EXPECT_EQ(w.http_status, 204);
  EXPECT_EQ(w.bytes_raw, lines.size());
  EXPECT_EQ(w.bytes_sent, lines.size());
  EXPECT_GT(w.latency, absl::ZeroDuration());

  auto q = c.Query("SELECT * FROM \"we,ather x\" ORDER BY time", "ns");
  ASSERT_TRUE(q.ok()) << q.status();
  EXPECT_EQ(
      *q,
      "{\"results\":[{\"statement_id\":0,\"series\":[{\"name\":\"we,ather x\",\"columns\":"
      "[\"time\",\"f sp,c=e\",\"f_false\",\"f_float\",\"f_huge\",\"f_int\",\"f_max\","
      "\"f_min\",\"f_neg\",\"f_prec\",\"f_str\",\"f_true\",\"loc tag\",\"site\"],"
      "\"values\":["
      "[1,null,null,-0,null,null,null,null,null,null,null,null,null,\"s2\"],"
      "[1700000000123456789,7,false,1.5,1e+300,-42,9223372036854775807,"
      "-9223372036854775808,-0.1,0.30000000000000004,"
      "\"he said \\\"hi\\\" \\\\ back, ok=1 \xC2\xB5s\",true,\"a,b=c d\",\"s1\"],"
      "[1700000000123456790,null,null,2.25,null,null,null,null,null,null,null,null,"
      "\"a,b=c d\",\"s1\"]]}]}]}\n");

  // RFC 3339 timestamps keep every nanosecond too.
  auto rfc = c.Query("SELECT f_float FROM \"we,ather x\" WHERE site = 's1'");
  ASSERT_TRUE(rfc.ok()) << rfc.status();
  EXPECT_THAT(*rfc, HasSubstr("\"2023-11-14T22:13:20.123456789Z\",1.5"));
  EXPECT_THAT(*rfc, HasSubstr("\"2023-11-14T22:13:20.12345679Z\",2.25"));
}

TEST_F(SharedInfluxdTest, GzipWrite) {
  auto c = ClientFor(*influxd_, "gz", /*gzip=*/true);
  ASSERT_TRUE(c->CreateDatabase().ok());
  for (int round = 0; round < 3; ++round) {  // the compression buffer is reused
    const std::string body = Lines(1000, "gzm", 1700000000000000000LL + round * 10000000LL, 5);
    WriteResult w = c->Write(body);
    ASSERT_EQ(w.outcome, WriteOutcome::kOk) << w.error;
    EXPECT_EQ(w.bytes_raw, body.size());
    EXPECT_LT(w.bytes_sent * 3, w.bytes_raw);
  }
  EXPECT_EQ(Count(c.options, "gzm", "channel_04"), 3000);
  auto q = c.Query("SELECT channel_01 FROM gzm WHERE feed = 'f3' ORDER BY time LIMIT 1", "ns");
  ASSERT_TRUE(q.ok());
  EXPECT_THAT(*q, HasSubstr("[[1700000000000003000,1.373]]"));
}

TEST_F(SharedInfluxdTest, MissingDatabase) {
  auto c = ClientFor(*influxd_, "no_such_db");
  WriteResult w = c->Write("m v=1 1\n");
  EXPECT_EQ(w.outcome, WriteOutcome::kDatabaseNotFound) << w.error;
  EXPECT_EQ(w.http_status, 404);
  EXPECT_EQ(w.error, "database not found: \"no_such_db\"");
  // The cure the writer applies: create it, write again.
  ASSERT_TRUE(c->CreateDatabase().ok());
  EXPECT_EQ(c->Write("m v=1 1\n").outcome, WriteOutcome::kOk);
}

TEST_F(SharedInfluxdTest, TypeConflictAndParseErrorAreRejected) {
  auto c = ClientFor(*influxd_, "conflict");
  ASSERT_TRUE(c->CreateDatabase().ok());
  ASSERT_EQ(c->Write("m v=1i 1\n").outcome, WriteOutcome::kOk);
  WriteResult w = c->Write("m v=\"text\" 2\n");
  EXPECT_EQ(w.outcome, WriteOutcome::kRejected);
  EXPECT_EQ(w.http_status, 400);
  EXPECT_EQ(w.error,
            "partial write: field type conflict: input field \"v\" on measurement \"m\" is "
            "type string, already exists as type integer dropped=1");

  w = c->Write("garbage\n");
  EXPECT_EQ(w.outcome, WriteOutcome::kRejected);
  EXPECT_EQ(w.http_status, 400);
  EXPECT_THAT(w.error, HasSubstr("unable to parse 'garbage'"));

  // A partial write stores the good lines of the batch.
  w = c->Write("m v=2i 3\nm v=bad 4\nm v=5i 5\n");
  EXPECT_EQ(w.outcome, WriteOutcome::kRejected);
  EXPECT_THAT(w.error, HasSubstr("unable to parse"));
  EXPECT_EQ(Count(c.options, "m", "v"), 3);
}

TEST_F(SharedInfluxdTest, DatabaseAndRetentionPolicyNamesAreEscaped) {
  // influxd refuses "/" and "\\" in database names ("invalid name").
  const std::string db = "odd \"db\" name&x=1?y#z+%20";
  auto admin = ClientFor(*influxd_, db);
  absl::Status created = admin->CreateDatabase();
  ASSERT_TRUE(created.ok()) << created;
  ASSERT_TRUE(admin
                  .Query(absl::StrCat("CREATE RETENTION POLICY \"r p&1\" ON ",
                                       QuoteInfluxQLIdentifier(db),
                                       " DURATION INF REPLICATION 1"))
                  .ok());
  InfluxOptions o = admin.options;
  o.retention_policy = "r p&1";
  auto c = InfluxClient::Create(o);
  ASSERT_TRUE(c.ok());
  WriteResult w = (*c)->Write("m v=1 1\n");
  ASSERT_EQ(w.outcome, WriteOutcome::kOk) << w.error;
  auto q = QueryInflux(o, "SELECT count(v) FROM \"r p&1\".m");
  ASSERT_TRUE(q.ok()) << q.status();
  EXPECT_EQ(CountIn(*q), 1);
  // Nothing went to the default policy.
  EXPECT_EQ(Count(o, "m", "v"), 0);
  auto dbs = admin.Query("SHOW DATABASES");
  ASSERT_TRUE(dbs.ok());
  EXPECT_THAT(*dbs, HasSubstr("\"odd \\\"db\\\" name\\u0026x=1?y#z+%20\""));
}

TEST_F(SharedInfluxdTest, MeasureLatencyOf5000Lines) {
  for (bool gzip : {false, true}) {
    auto c = ClientFor(*influxd_, "latency", gzip);
    ASSERT_TRUE(c->CreateDatabase().ok());
    std::vector<absl::Duration> lat;
    uint64_t raw = 0, sent = 0;
    for (int i = 0; i < 7; ++i) {
      const std::string body =
          Lines(5000, gzip ? "lat_gz" : "lat_plain", 1700000000000000000LL + i * 100000000LL, 10);
      WriteResult w = c->Write(body);
      ASSERT_EQ(w.outcome, WriteOutcome::kOk) << w.error;
      if (i > 0) lat.push_back(w.latency);  // the first pays for series creation
      raw = w.bytes_raw;
      sent = w.bytes_sent;
    }
    std::sort(lat.begin(), lat.end());
    const std::string summary = absl::StrFormat(
        "5000-line write (%s): median %s, min %s, max %s; %d bytes raw, %d sent",
        gzip ? "gzip level 1" : "plain", absl::FormatDuration(lat[lat.size() / 2]),
        absl::FormatDuration(lat.front()), absl::FormatDuration(lat.back()), raw, sent);
    std::printf("%s\n", summary.c_str());
    RecordProperty(gzip ? "latency_gzip" : "latency_plain", summary);
  }
}

TEST(InfluxdFaultTest, TooLargeBody) {
  InfluxdOptions opts;
  opts.max_body_size = 100 * 1024;
  auto d = StartOrDie(opts);
  ASSERT_NE(d, nullptr);
  auto c = ClientFor(*d, "big");
  ASSERT_TRUE(c->CreateDatabase().ok());
  const std::string big = Lines(20000, "big", 1, 3);  // ~1.4 MB
  ASSERT_GT(big.size(), 1000000u);
  WriteResult w = c->Write(big);
  EXPECT_EQ(w.outcome, WriteOutcome::kTooLarge) << w.error;
  EXPECT_EQ(w.http_status, 413);
  EXPECT_EQ(w.error, "Request Entity Too Large");
  // influxd closes the connection after a 413; the next write reconnects.
  WriteResult small = c->Write(Lines(10, "big", 1));
  EXPECT_EQ(small.outcome, WriteOutcome::kOk) << small.error;
  EXPECT_EQ(Count(c.options, "big", "channel_00"), 10);

  // influxd 1.6 applies max-body-size to the bytes on the wire, so gzip
  // lets a batch through that would be too large as plain text.
  auto gz = ClientFor(*d, "big", /*gzip=*/true);
  const std::string compressible = Lines(3000, "gzbig", 1);
  ASSERT_GT(compressible.size(), opts.max_body_size);
  w = gz->Write(compressible);
  EXPECT_LT(w.bytes_sent, static_cast<uint64_t>(opts.max_body_size));
  EXPECT_EQ(w.outcome, WriteOutcome::kOk) << w.error;
}

TEST(InfluxdFaultTest, StoppedServerIsRetryableAndRestartRecovers) {
  auto d = StartOrDie();
  ASSERT_NE(d, nullptr);
  auto c = ClientFor(*d, "restart");
  ASSERT_TRUE(c->CreateDatabase().ok());
  ASSERT_EQ(c->Write("m v=1 1\n").outcome, WriteOutcome::kOk);  // keep-alive connection open

  ASSERT_TRUE(d->Stop().ok());
  WriteResult w = c->Write("m v=2 2\n");
  EXPECT_EQ(w.outcome, WriteOutcome::kRetryable);
  EXPECT_EQ(w.http_status, 0);
  EXPECT_LT(w.latency, absl::Seconds(1));
  EXPECT_FALSE(w.error.empty());
  EXPECT_TRUE(absl::IsUnavailable(c->Ping()));

  ASSERT_TRUE(d->Restart().ok());
  w = c->Write("m v=2 2\n");
  EXPECT_EQ(w.outcome, WriteOutcome::kOk) << w.error;
  EXPECT_EQ(Count(c.options, "m", "v"), 2);  // the first point survived the restart

  // A killed server (no orderly close of the connection) too.
  ASSERT_TRUE(d->Kill().ok());
  EXPECT_EQ(c->Write("m v=3 3\n").outcome, WriteOutcome::kRetryable);
  ASSERT_TRUE(d->Restart().ok());
  w = c->Write("m v=3 3\n");
  EXPECT_EQ(w.outcome, WriteOutcome::kOk) << w.error;
  EXPECT_EQ(Count(c.options, "m", "v"), 3);
}

TEST(InfluxdFaultTest, RestartWhileConnectionIdle) {
  auto d = StartOrDie();
  ASSERT_NE(d, nullptr);
  auto c = ClientFor(*d, "idle");
  ASSERT_TRUE(c->CreateDatabase().ok());
  ASSERT_EQ(c->Write("m v=1 1\n").outcome, WriteOutcome::kOk);
  // The client never sees the server go: its pooled connection is stale
  // when the next write starts, and libcurl must notice and reconnect.
  ASSERT_TRUE(d->Restart().ok());
  WriteResult w = c->Write("m v=2 2\n");
  EXPECT_EQ(w.outcome, WriteOutcome::kOk) << w.error;
}

TEST(InfluxdFaultTest, HungServerTimesOutAsRetryable) {
  auto d = StartOrDie();
  ASSERT_NE(d, nullptr);
  InfluxOptions o;
  o.host = "127.0.0.1";
  o.port = d->port();
  o.database = "hung";
  o.request_timeout = absl::Seconds(1);
  auto c = InfluxClient::Create(o);
  ASSERT_TRUE(c.ok());
  ASSERT_TRUE((*c)->CreateDatabase().ok());
  ASSERT_TRUE(d->Pause().ok());
  WriteResult w = (*c)->Write("m v=1 1\n");
  ASSERT_TRUE(d->Resume().ok());
  EXPECT_EQ(w.outcome, WriteOutcome::kRetryable);
  EXPECT_EQ(w.http_status, 0);
  EXPECT_GE(w.latency, absl::Milliseconds(900));
  EXPECT_LT(w.latency, absl::Seconds(5));
  EXPECT_THAT(w.error, HasSubstr("imed out"));
  w = (*c)->Write("m v=1 1\n");
  EXPECT_EQ(w.outcome, WriteOutcome::kOk) << w.error;
}

// A self-signed certificate for 127.0.0.1 (IP SAN only, so "localhost"
// does not match it); empty if openssl is not there.
std::pair<std::string, std::string> MakeCertificate() {
  const char* tmp = std::getenv("TEST_TMPDIR");
  const std::string dir = tmp != nullptr ? tmp : "/tmp";
  const std::string cert = dir + "/cert.pem", key = dir + "/key.pem";
  const std::string cmd = absl::StrCat(
      "openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=127.0.0.1 "
      "-addext subjectAltName=IP:127.0.0.1 -keyout ",
      key, " -out ", cert, " >/dev/null 2>&1");
  if (std::system(cmd.c_str()) != 0) return {};
  return {cert, key};
}

TEST(InfluxdTlsTest, VerifiesOnlyWhenAsked) {
  auto [cert, key] = MakeCertificate();
  if (cert.empty()) GTEST_SKIP() << "no openssl to make a test certificate";
  InfluxdOptions opts;
  opts.https_certificate = cert;
  opts.https_private_key = key;
  auto d = StartOrDie(opts);
  ASSERT_NE(d, nullptr);

  InfluxOptions o;
  o.host = "127.0.0.1";
  o.port = d->port();
  o.database = "tls";
  o.ssl = true;
  o.verify_ssl = false;  // OCS --ssl alone: encrypted, not verified
  auto c = InfluxClient::Create(o);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ((*c)->BaseUrl(), d->url());
  ASSERT_TRUE((*c)->CreateDatabase().ok());
  WriteResult w = (*c)->Write("m v=1 1\n");
  EXPECT_EQ(w.outcome, WriteOutcome::kOk) << w.error;

  o.verify_ssl = true;  // unknown issuer
  c = InfluxClient::Create(o);
  ASSERT_TRUE(c.ok());
  EXPECT_TRUE(absl::IsUnavailable((*c)->Ping()));
  w = (*c)->Write("m v=2 2\n");
  EXPECT_EQ(w.outcome, WriteOutcome::kRetryable);
  EXPECT_EQ(w.http_status, 0);
  EXPECT_THAT(w.error, HasSubstr("certificate"));

  o.ca_file = cert;  // trusted issuer, matching IP
  c = InfluxClient::Create(o);
  ASSERT_TRUE(c.ok());
  w = (*c)->Write("m v=2 2\n");
  EXPECT_EQ(w.outcome, WriteOutcome::kOk) << w.error;

  o.host = "localhost";  // trusted issuer, wrong name
  c = InfluxClient::Create(o);
  ASSERT_TRUE(c.ok());
  w = (*c)->Write("m v=3 3\n");
  EXPECT_EQ(w.outcome, WriteOutcome::kRetryable);
  EXPECT_THAT(w.error, HasSubstr("localhost"));

  // Clear text to the TLS port: Go answers 400 itself. Not InfluxDB's
  // verdict on the data, so the batch must not be dead-lettered.
  o.host = "127.0.0.1";
  o.ssl = false;
  c = InfluxClient::Create(o);
  ASSERT_TRUE(c.ok());
  w = (*c)->Write("m v=4 4\n");
  EXPECT_EQ(w.http_status, 400);
  EXPECT_EQ(w.outcome, WriteOutcome::kNotInfluxDB) << w.error;
  EXPECT_THAT(w.error, HasSubstr("answer from something that is not InfluxDB at "
                                 "http://127.0.0.1:"));
}

TEST(InfluxdAuthTest, WrongAndRightPassword) {
  InfluxdOptions opts;
  opts.auth_enabled = true;
  auto d = StartOrDie(opts);
  ASSERT_NE(d, nullptr);
  ASSERT_TRUE(d->CreateAdminUser("admin", "c0rrect horse").ok());

  InfluxOptions o;
  o.host = "127.0.0.1";
  o.port = d->port();
  o.database = "secured";
  o.username = "admin";
  o.password = "wrong-password";
  auto bad = InfluxClient::Create(o);
  ASSERT_TRUE(bad.ok());
  EXPECT_TRUE((*bad)->Ping().ok());  // /ping needs no credentials
  absl::Status create = (*bad)->CreateDatabase();
  EXPECT_TRUE(absl::IsUnauthenticated(create)) << create;
  EXPECT_THAT(std::string(create.message()), Not(HasSubstr("wrong-password")));
  WriteResult w = (*bad)->Write("m v=1 1\n");
  EXPECT_EQ(w.outcome, WriteOutcome::kUnauthorized);
  EXPECT_EQ(w.http_status, 401);
  EXPECT_THAT(w.error, HasSubstr("authorization failed"));
  EXPECT_THAT(w.error, Not(HasSubstr("wrong-password")));

  o.username = "";
  auto anonymous = InfluxClient::Create(o);
  ASSERT_TRUE(anonymous.ok());
  EXPECT_EQ((*anonymous)->Write("m v=1 1\n").outcome, WriteOutcome::kUnauthorized);

  o.username = "admin";
  o.password = "c0rrect horse";
  auto good = InfluxClient::Create(o);
  ASSERT_TRUE(good.ok());
  ASSERT_TRUE((*good)->CreateDatabase().ok());
  w = (*good)->Write("m v=1 1\n");
  EXPECT_EQ(w.outcome, WriteOutcome::kOk) << w.error;
  EXPECT_EQ(Count(o, "m", "v"), 1);
}

TEST(InfluxdAuthTest, NonAdminCannotCreateDatabase) {
  InfluxdOptions opts;
  opts.auth_enabled = true;
  auto d = StartOrDie(opts);
  ASSERT_NE(d, nullptr);
  ASSERT_TRUE(d->CreateAdminUser("admin", "pw").ok());
  ASSERT_TRUE(d->CreateDatabase("db", "admin", "pw").ok());
  ASSERT_TRUE(d->Query("", "CREATE USER writer WITH PASSWORD 'wpw'", "admin", "pw").ok());
  ASSERT_TRUE(d->Query("", "GRANT WRITE ON db TO writer", "admin", "pw").ok());

  InfluxOptions o;
  o.host = "127.0.0.1";
  o.port = d->port();
  o.database = "db";
  o.username = "writer";
  o.password = "wpw";
  auto c = InfluxClient::Create(o);
  ASSERT_TRUE(c.ok());
  absl::Status s = (*c)->CreateDatabase();
  EXPECT_FALSE(s.ok());
  EXPECT_TRUE(absl::IsPermissionDenied(s)) << s;
  EXPECT_EQ((*c)->Write("m v=1 1\n").outcome, WriteOutcome::kOk);
}

}  // namespace
}  // namespace ocs_influx::influx
