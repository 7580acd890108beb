// InfluxClient against answers that are not InfluxDB's "stored": only a 204
// carrying X-Influxdb-Version acknowledges a write; every other answer keeps
// the batch, and only InfluxDB's own "database not found" asks for
// CREATE DATABASE.
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "service/influx/client.h"
#include "tests/faults/fake_http.h"

namespace ocs_influx::influx {
namespace {

using faults::FakeHttpServer;
using faults::HttpAnswer;
using faults::HttpRequest;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kPassword[] = "pw-never-shown";

HttpAnswer Answer(int status, bool influx, std::string body = "") {
  HttpAnswer a;
  a.status = status;
  if (influx) a.headers.push_back(faults::InfluxVersionHeader());
  a.body = std::move(body);
  return a;
}

class ClientAnswersTest : public ::testing::Test {
 protected:
  void Serve(HttpAnswer answer) {
    auto fake = FakeHttpServer::Start([answer](const HttpRequest&) { return answer; });
    ASSERT_TRUE(fake.ok()) << fake.status();
    fake_ = std::move(*fake);
    InfluxOptions o;
    o.host = "127.0.0.1";
    o.port = fake_->port();
    o.password = kPassword;
    o.request_timeout = absl::Milliseconds(500);
    auto c = InfluxClient::Create(o);
    ASSERT_TRUE(c.ok()) << c.status();
    client_ = std::move(*c);
  }
  std::string Url() const { return absl::StrCat("http://127.0.0.1:", fake_->port()); }

  std::unique_ptr<FakeHttpServer> fake_;
  std::unique_ptr<InfluxClient> client_;
};

TEST_F(ClientAnswersTest, Only204FromInfluxDbIsStored) {
  Serve(Answer(204, true));
  EXPECT_EQ(client_->Write("m v=1 1\n").outcome, WriteOutcome::kOk);
  EXPECT_TRUE(client_->Ping().ok());
}

TEST_F(ClientAnswersTest, Answer200WithoutVersionHeaderIsNotInfluxDb) {
  Serve(Answer(200, false, "<html>maintenance</html>"));
  WriteResult w = client_->Write("m v=1 1\n");
  EXPECT_EQ(w.outcome, WriteOutcome::kNotInfluxDB);
  EXPECT_EQ(w.http_status, 200);
  EXPECT_THAT(w.error, HasSubstr("answer from something that is not InfluxDB at " + Url()));
  EXPECT_THAT(w.error, Not(HasSubstr(kPassword)));
  absl::Status ping = client_->Ping();
  EXPECT_THAT(std::string(ping.message()), HasSubstr("not InfluxDB"));
  absl::Status create = client_->CreateDatabase();
  EXPECT_FALSE(create.ok());
  EXPECT_THAT(std::string(create.message()), HasSubstr("not InfluxDB"));
}

TEST_F(ClientAnswersTest, Other2xxFromInfluxDbIsNotStored) {
  Serve(Answer(200, true, "{}"));
  WriteResult w = client_->Write("m v=1 1\n");
  EXPECT_EQ(w.outcome, WriteOutcome::kNotInfluxDB);
  EXPECT_THAT(w.error, HasSubstr("InfluxDB answers 204"));
}

TEST_F(ClientAnswersTest, Answer204WithoutVersionHeaderIsNotInfluxDb) {
  Serve(Answer(204, false));
  EXPECT_EQ(client_->Write("m v=1 1\n").outcome, WriteOutcome::kNotInfluxDB);
  EXPECT_FALSE(client_->Ping().ok());
}

TEST_F(ClientAnswersTest, Answer404WithoutVersionHeaderIsNotAboutTheDatabase) {
  Serve(Answer(404, false, "404 page not found"));
  EXPECT_EQ(client_->Write("m v=1 1\n").outcome, WriteOutcome::kNotInfluxDB);
}

TEST_F(ClientAnswersTest, InfluxDbDatabaseNotFound) {
  Serve(Answer(404, true, R"({"error":"database not found: \"ocs_feeds\""})"));
  EXPECT_EQ(client_->Write("m v=1 1\n").outcome, WriteOutcome::kDatabaseNotFound);
}

TEST_F(ClientAnswersTest, InfluxDbOther404IsRetryable) {
  Serve(Answer(404, true, "404 page not found"));
  EXPECT_EQ(client_->Write("m v=1 1\n").outcome, WriteOutcome::kRetryable);
}

TEST_F(ClientAnswersTest, Answer4xxWithoutVersionHeaderIsNeverRejected) {
  Serve(Answer(400, false, R"({"error":"unable to parse"})"));
  EXPECT_EQ(client_->Write("m v=1 1\n").outcome, WriteOutcome::kNotInfluxDB);
}

TEST_F(ClientAnswersTest, ProxyTooLargeStillSplits) {
  Serve(Answer(413, false, "<html>413 Request Entity Too Large</html>"));
  EXPECT_EQ(client_->Write("m v=1 1\n").outcome, WriteOutcome::kTooLarge);
}

TEST_F(ClientAnswersTest, ProxyBadGatewayIsRetryableAndSaysWhoAnswered) {
  Serve(Answer(502, false, "Bad Gateway"));
  WriteResult w = client_->Write("m v=1 1\n");
  EXPECT_EQ(w.outcome, WriteOutcome::kRetryable);
  EXPECT_THAT(w.error, HasSubstr("not InfluxDB"));
  EXPECT_THAT(w.error, HasSubstr("Bad Gateway"));
}

TEST_F(ClientAnswersTest, InfluxDb500IsRetryableAndNotATimeout) {
  Serve(Answer(500, true, R"({"error":"timeout"})"));
  WriteResult w = client_->Write("m v=1 1\n");
  EXPECT_EQ(w.outcome, WriteOutcome::kRetryable);
  EXPECT_FALSE(w.timed_out);
}

TEST_F(ClientAnswersTest, NoAnswerIsATimeout) {
  HttpAnswer hang;
  hang.hang = true;
  Serve(hang);
  WriteResult w = client_->Write("m v=1 1\n");
  EXPECT_EQ(w.outcome, WriteOutcome::kRetryable);
  EXPECT_TRUE(w.timed_out) << w.error;
}

TEST(ClientAbortTest, AbortCheckEndsARequestInFlight) {
  HttpAnswer hang;
  hang.hang = true;
  auto fake = FakeHttpServer::Start([hang](const HttpRequest&) { return hang; });
  ASSERT_TRUE(fake.ok()) << fake.status();
  InfluxOptions o;
  o.host = "127.0.0.1";
  o.port = (*fake)->port();
  o.request_timeout = absl::Seconds(30);
  auto c = InfluxClient::Create(o);
  ASSERT_TRUE(c.ok()) << c.status();
  const absl::Time abort_at = absl::Now() + absl::Milliseconds(300);
  (*c)->SetAbortCheck([abort_at] { return absl::Now() >= abort_at; });
  const absl::Time start = absl::Now();
  WriteResult w = (*c)->Write("m v=1 1\n");
  EXPECT_EQ(w.outcome, WriteOutcome::kRetryable);
  EXPECT_FALSE(w.timed_out);
  EXPECT_THAT(w.error, HasSubstr("abandoned"));
  EXPECT_LT(absl::Now() - start, absl::Seconds(3));
}

}  // namespace
}  // namespace ocs_influx::influx
