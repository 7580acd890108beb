// InfluxClient speaking the InfluxDB 2 and 3 APIs, against answers the test
// chooses: the request paths, how each documented answer is classified, the
// token never in an error, Retry-After, InfluxDB 3's partial-write list.
// (Through a full InfluxDB 2 / 3 rendering: tests/faults:influx_v2v3_test.)
#include <map>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "service/influx/client.h"
#include "tests/faults/fake_http.h"

namespace ocs_influx::influx {

void PrintTo(WriteOutcome o, std::ostream* os) { *os << WriteOutcomeName(o); }

namespace {

using faults::FakeHttpServer;
using faults::HttpAnswer;
using faults::HttpRequest;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kToken[] = "tok-2b9e-never-shown";

HttpAnswer Answer(int status, const std::string& version, std::string body = "",
                  std::vector<std::pair<std::string, std::string>> headers = {}) {
  HttpAnswer a;
  a.status = status;
  if (!version.empty()) a.headers.push_back({"X-Influxdb-Version", version});
  for (auto& h : headers) a.headers.push_back(std::move(h));
  a.body = std::move(body);
  return a;
}

class ClientV2V3Test : public ::testing::Test {
 protected:
  // Serves `handler`; the client speaks `api` to it.
  void Serve(InfluxApi api, FakeHttpServer::Handler handler) {
    auto fake = FakeHttpServer::Start(std::move(handler));
    ASSERT_TRUE(fake.ok()) << fake.status();
    fake_ = std::move(*fake);
    InfluxOptions o;
    o.api = api;
    o.url = absl::StrCat("http://127.0.0.1:", fake_->port(), "/");
    o.org = "ocs";
    o.token = kToken;
    o.database = "feeds";
    o.request_timeout = absl::Milliseconds(500);
    auto c = InfluxClient::Create(o);
    ASSERT_TRUE(c.ok()) << c.status();
    client_ = std::move(*c);
  }
  void ServeAlways(InfluxApi api, HttpAnswer answer) {
    Serve(api, [answer](const HttpRequest&) { return answer; });
  }

  std::unique_ptr<FakeHttpServer> fake_;
  std::unique_ptr<InfluxClient> client_;
};

TEST_F(ClientV2V3Test, V2WritesToApiV2WriteWithOrgBucketAndNanoseconds) {
  std::string target;
  Serve(InfluxApi::kV2, [&target](const HttpRequest& r) {
    target = r.target;
    return Answer(204, "v2.7.12");
  });
  EXPECT_EQ(client_->BaseUrl(), absl::StrCat("http://127.0.0.1:", fake_->port()));
  EXPECT_EQ(client_->Write("m v=1 1\n").outcome, WriteOutcome::kOk);
  EXPECT_EQ(target, "/api/v2/write?org=ocs&bucket=feeds&precision=ns");
}

TEST_F(ClientV2V3Test, V3WritesWriteLpAndTrustsA204OnceItsPingProvedInfluxDb) {
  std::vector<std::string> targets;
  bool ping_has_version = true;
  Serve(InfluxApi::kV3, [&](const HttpRequest& r) {
    targets.push_back(r.target);
    if (r.path() == "/ping") {
      return Answer(200, ping_has_version ? "3.1.0" : "", R"({"version":"3.1.0"})");
    }
    return Answer(204, "");  // InfluxDB 3 stamps its version on /ping only
  });
  EXPECT_EQ(client_->Write("m v=1 1\n").outcome, WriteOutcome::kOk);
  EXPECT_THAT(targets, ElementsAre("/ping", "/api/v3/write_lp?db=feeds&precision=nanosecond"
                                            "&accept_partial=true"));
  EXPECT_EQ(client_->Write("m v=1 1\n").outcome, WriteOutcome::kOk);
  EXPECT_EQ(targets.size(), 3u);  // no second ping

  // Something else at the URL: its /ping has no version, its 204 counts
  // for nothing.
  ping_has_version = false;
  ASSERT_FALSE(client_->Ping().ok());
  WriteResult r = client_->Write("m v=1 1\n");
  EXPECT_EQ(r.outcome, WriteOutcome::kNotInfluxDB);
  EXPECT_THAT(r.error, HasSubstr("not InfluxDB"));
}

TEST_F(ClientV2V3Test, RefusedTokenKeepsThePointsAndNeverShowsTheToken) {
  for (InfluxApi api : {InfluxApi::kV2, InfluxApi::kV3}) {
    for (int code : {401, 403}) {
      // An echo of the token in the answer must not come back out.
      ServeAlways(api, Answer(code, api == InfluxApi::kV2 ? "v2.7.12" : "",
                              absl::StrCat(R"({"code":"unauthorized","message":"token )",
                                           kToken, R"( unknown"})")));
      WriteResult r = client_->Write("m v=1 1\n");
      EXPECT_EQ(r.outcome, WriteOutcome::kUnauthorized) << code;
      EXPECT_THAT(r.error, HasSubstr("InfluxDB refused the token"));
      EXPECT_THAT(r.error, Not(HasSubstr(kToken)));
      absl::Status ping = client_->Ping();
      EXPECT_THAT(std::string(ping.message()), Not(HasSubstr(kToken)));
      if (api == InfluxApi::kV2) {
        absl::Status prepared = client_->PrepareTarget();
        EXPECT_THAT(std::string(prepared.message()), HasSubstr("InfluxDB refused the token"));
        EXPECT_THAT(std::string(prepared.message()), Not(HasSubstr(kToken)));
      }
    }
  }
}

TEST_F(ClientV2V3Test, RetryAfterOn429And503IsReadAndCapped) {
  ServeAlways(InfluxApi::kV2, Answer(429, "v2.7.12", R"({"code":"too many requests"})",
                                     {{"Retry-After", "7"}}));
  WriteResult r = client_->Write("m v=1 1\n");
  EXPECT_EQ(r.outcome, WriteOutcome::kRetryable);
  EXPECT_EQ(r.retry_after, absl::Seconds(7));
  // A proxy's 503 (no InfluxDB header) asking for a day: five minutes.
  ServeAlways(InfluxApi::kV2, Answer(503, "", "busy", {{"Retry-After", "86400"}}));
  r = client_->Write("m v=1 1\n");
  EXPECT_EQ(r.outcome, WriteOutcome::kRetryable);
  EXPECT_EQ(r.retry_after, kMaxRetryAfter);
  ServeAlways(InfluxApi::kV2, Answer(500, "v2.7.12", "", {{"Retry-After", "9"}}));
  EXPECT_EQ(client_->Write("m v=1 1\n").retry_after, absl::ZeroDuration());
}

TEST_F(ClientV2V3Test, V2AnswersPerTheDocumentation) {
  struct Case {
    int status;
    std::string body;
    WriteOutcome outcome;
  };
  const Case cases[] = {
      {400, R"({"code":"invalid","message":"unable to parse 'x': missing fields"})",
       WriteOutcome::kRejected},
      {404, R"({"code":"not found","message":"bucket \"feeds\" not found"})",
       WriteOutcome::kDatabaseNotFound},
      {404, R"({"code":"not found","message":"organization name \"ocs\" not found"})",
       WriteOutcome::kRetryable},
      {413, R"({"code":"request too large","message":"points batch is too large"})",
       WriteOutcome::kTooLarge},
      {422, R"({"code":"unprocessable entity","message":"failure writing points to database: partial write: points beyond retention policy dropped=1"})",
       WriteOutcome::kRejected},
      {500, R"({"code":"internal error","message":"boom"})", WriteOutcome::kRetryable},
  };
  for (const Case& c : cases) {
    ServeAlways(InfluxApi::kV2, Answer(c.status, "v2.7.12", c.body));
    WriteResult r = client_->Write("m v=1 1\n");
    EXPECT_EQ(r.outcome, c.outcome) << c.status << " " << c.body;
    EXPECT_FALSE(r.error.empty());
  }
  ServeAlways(InfluxApi::kV2, Answer(422, "v2.7.12", cases[4].body));
  EXPECT_THAT(client_->Write("m v=1 1\n").error, HasSubstr("beyond retention"));
}

TEST_F(ClientV2V3Test, V3PartialWriteNamesTheRefusedLines) {
  std::string answer =
      R"({"error":"partial write of line protocol occurred","data":[)"
      R"({"error_message":"invalid column type for column 'v'","line_number":2,"original_line":"m v=\"x\" 2"},)"
      R"({"error_message":"A generic parsing error occurred","line_number":4,"original_line":"m"}]})";
  Serve(InfluxApi::kV3, [&answer](const HttpRequest& r) {
    if (r.path() == "/ping") return Answer(200, "3.1.0", "{}");
    return Answer(400, "", answer);
  });
  WriteResult r = client_->Write("m v=1 1\nm v=\"x\" 2\nm v=3 3\nm v=4 4\n");
  ASSERT_EQ(r.outcome, WriteOutcome::kPartial);
  ASSERT_EQ(r.rejected.size(), 2u);
  EXPECT_EQ(r.rejected[0].line_number, 2u);
  EXPECT_THAT(r.rejected[0].error, HasSubstr("invalid column type"));
  EXPECT_EQ(r.rejected[1].line_number, 4u);
  // A line number the batch does not have: no list to trust, bisect.
  r = client_->Write("m v=1 1\n");
  EXPECT_EQ(r.outcome, WriteOutcome::kRejected);
  EXPECT_TRUE(r.rejected.empty());
  // accept_partial=false's single error object: bisect too.
  answer = R"({"error":"parsing failed for write_lp endpoint","data":{"line_number":1}})";
  EXPECT_EQ(client_->Write("m v=1 1\n").outcome, WriteOutcome::kRejected);
  // A catalog limit (422, no lines): configuration, keep the points.
  Serve(InfluxApi::kV3, [](const HttpRequest& r) {
    if (r.path() == "/ping") return Answer(200, "3.1.0", "{}");
    return Answer(422, "", R"({"error":"too many tables","data":null})");
  });
  EXPECT_EQ(client_->Write("m v=1 1\n").outcome, WriteOutcome::kRetryable);
}

TEST_F(ClientV2V3Test, V2PrepareTargetFindsOrCreatesTheBucketInTheOrg) {
  std::vector<std::string> seen;
  bool exists = false;
  Serve(InfluxApi::kV2, [&](const HttpRequest& r) {
    seen.push_back(absl::StrCat(r.method, " ", r.target, r.body.empty() ? "" : " ", r.body));
    if (r.path() == "/api/v2/buckets" && r.method == "GET") {
      return Answer(200, "v2.7.12",
                    exists ? R"({"buckets":[{"id":"1","name":"feeds"}]})" : R"({"buckets":[]})");
    }
    if (r.path() == "/api/v2/orgs") {
      return Answer(200, "v2.7.12", R"({"orgs":[{"id":"0123456789abcdef","name":"ocs"}]})");
    }
    if (r.path() == "/api/v2/buckets" && r.method == "POST") {
      return Answer(201, "v2.7.12", R"({"id":"2","name":"feeds"})");
    }
    return Answer(404, "v2.7.12", R"({"code":"not found","message":"path not found"})");
  });
  ASSERT_TRUE(client_->PrepareTarget().ok());
  EXPECT_THAT(seen, ElementsAre("GET /api/v2/buckets?name=feeds&org=ocs",
                                "GET /api/v2/orgs?org=ocs",
                                R"(POST /api/v2/buckets {"orgID":"0123456789abcdef","name":"feeds","retentionRules":[]})"));
  seen.clear();
  exists = true;
  ASSERT_TRUE(client_->PrepareTarget().ok());
  EXPECT_EQ(seen.size(), 1u);
}

TEST(ClientV2V3CreateTest, ValidatesUrlTokenOrgAndDatabase) {
  InfluxOptions o;
  o.api = InfluxApi::kV2;
  o.url = "https://influx.example:8086/prefix/";
  o.org = "ocs";
  o.token = kToken;
  o.database = "b";
  auto c = InfluxClient::Create(o);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ((*c)->BaseUrl(), "https://influx.example:8086/prefix");
  for (const char* bad : {"ftp://x", "influx:8086", "http://user:pw@x:8086", "http://x/?a=b",
                          "http://"}) {
    InfluxOptions b = o;
    b.url = bad;
    auto r = InfluxClient::Create(b);
    EXPECT_FALSE(r.ok()) << bad;
    EXPECT_THAT(std::string(r.status().message()), Not(HasSubstr("pw@"))) << bad;
  }
  InfluxOptions b = o;
  b.token = "";
  EXPECT_FALSE(InfluxClient::Create(b).ok());
  b = o;
  b.org = "";
  EXPECT_FALSE(InfluxClient::Create(b).ok());
  b = o;
  b.api = InfluxApi::kV3;
  b.org = "";
  b.database = "bad/name";
  EXPECT_FALSE(InfluxClient::Create(b).ok());
  b.database = "good_name-3";
  EXPECT_TRUE(InfluxClient::Create(b).ok());
}

TEST(ParseRetryAfterTest, SecondsDatesAndGarbage) {
  const absl::Time now = absl::FromUnixSeconds(1700000000);
  EXPECT_EQ(ParseRetryAfter("2", now), absl::Seconds(2));
  EXPECT_EQ(ParseRetryAfter(" 30 ", now), absl::Seconds(30));
  EXPECT_EQ(ParseRetryAfter("0", now), absl::ZeroDuration());
  EXPECT_EQ(ParseRetryAfter("-5", now), absl::ZeroDuration());
  EXPECT_EQ(ParseRetryAfter("soon", now), absl::ZeroDuration());
  EXPECT_EQ(ParseRetryAfter("", now), absl::ZeroDuration());
  EXPECT_EQ(ParseRetryAfter("99999999999999999999", now), absl::ZeroDuration());
  EXPECT_EQ(ParseRetryAfter("3600", now), kMaxRetryAfter);
  // 1700000000 is Tue, 14 Nov 2023 22:13:20 GMT.
  EXPECT_EQ(ParseRetryAfter("Tue, 14 Nov 2023 22:13:50 GMT", now), absl::Seconds(30));
  EXPECT_EQ(ParseRetryAfter("Tue, 14 Nov 2023 22:00:00 GMT", now), absl::ZeroDuration());
}

TEST(ParsePartialWriteTest, OnlyAListOfNumberedLines) {
  EXPECT_TRUE(ParsePartialWrite("").empty());
  EXPECT_TRUE(ParsePartialWrite("not json").empty());
  EXPECT_TRUE(ParsePartialWrite(R"({"error":"x","data":null})").empty());
  EXPECT_TRUE(ParsePartialWrite(R"({"error":"x","data":{"line_number":1}})").empty());
  EXPECT_TRUE(ParsePartialWrite(R"({"data":[{"line_number":0}]})").empty());
  EXPECT_TRUE(ParsePartialWrite(R"({"data":[{"line_number":"1"}]})").empty());
  auto r = ParsePartialWrite(R"({"data":[{"line_number":3,"error_message":"bad\nthing"}]})");
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].line_number, 3u);
  EXPECT_EQ(r[0].error, "bad thing");
}

TEST(ReadEnvOrFileTest, VariableThenFileThenNothing) {
  std::map<std::string, std::string> vars;
  auto fn = [&vars](const char* n) -> const char* {
    auto it = vars.find(n);
    return it == vars.end() ? nullptr : it->second.c_str();
  };
  auto r = ReadEnvOrFile("INFLUXDB_V2_TOKEN", fn);
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->has_value());
  vars["INFLUXDB_V2_TOKEN_FILE"] = "/nonexistent/token";
  r = ReadEnvOrFile("INFLUXDB_V2_TOKEN", fn);
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(std::string(r.status().message()), HasSubstr("INFLUXDB_V2_TOKEN_FILE"));
  vars["INFLUXDB_V2_TOKEN"] = "direct";
  r = ReadEnvOrFile("INFLUXDB_V2_TOKEN", fn);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(**r, "direct");
}

}  // namespace
}  // namespace ocs_influx::influx
