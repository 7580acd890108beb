// ClassifyWriteAnswer on its own: an HTTP answer in, what the writer does
// with the batch out, no server. (client_answers_test and client_v2v3_test
// send the same answers over a socket.)
#include "service/influx/write_answer.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "service/influx/http_transport.h"

namespace ocs_influx::influx {

void PrintTo(WriteOutcome o, std::ostream* os) { *os << WriteOutcomeName(o); }

namespace {

using ::testing::HasSubstr;

constexpr char kBase[] = "http://influx:8086";

HttpAnswer Answer(long status, bool from_influxdb, std::string body = "") {
  HttpAnswer a;
  a.status = status;
  a.from_influxdb = from_influxdb;
  a.body = std::move(body);
  return a;
}

WriteResult Classify(const HttpAnswer& a, InfluxApi api = InfluxApi::kV1, bool* proven = nullptr,
                     std::string_view lines = "a v=1 1\nb v=2 2\n") {
  bool p = false;
  WriteResult r;
  ClassifyWriteAnswer(a, lines, api, kBase, proven != nullptr ? proven : &p, &r);
  return r;
}

TEST(WriteAnswerTest, OnlyInfluxDBs204Stores) {
  EXPECT_EQ(Classify(Answer(204, true)).outcome, WriteOutcome::kOk);
  EXPECT_EQ(Classify(Answer(204, false)).outcome, WriteOutcome::kNotInfluxDB);
  EXPECT_EQ(Classify(Answer(200, true, "{}")).outcome, WriteOutcome::kNotInfluxDB);
  // InfluxDB 3 stamps its version on /ping only: a proven URL's 204 counts.
  bool proven = true;
  EXPECT_EQ(Classify(Answer(204, false), InfluxApi::kV3, &proven).outcome, WriteOutcome::kOk);
  EXPECT_TRUE(proven);
}

TEST(WriteAnswerTest, NoAnswerIsRetryableAndForgetsTheProof) {
  HttpAnswer a;
  a.transport_failed = true;
  a.timed_out = true;
  a.transport_error = "Operation timed out";
  bool proven = true;
  WriteResult r = Classify(a, InfluxApi::kV3, &proven);
  EXPECT_EQ(r.outcome, WriteOutcome::kRetryable);
  EXPECT_TRUE(r.timed_out);
  EXPECT_EQ(r.http_status, 0);
  EXPECT_EQ(r.error, "Operation timed out");
  EXPECT_FALSE(proven);
}

TEST(WriteAnswerTest, HarmlessAnswersAreBelievedFromAnyone) {
  EXPECT_EQ(Classify(Answer(413, false)).outcome, WriteOutcome::kTooLarge);
  EXPECT_EQ(Classify(Answer(502, false)).outcome, WriteOutcome::kRetryable);
  // A stranger's 400 or 404 says nothing about the data or the database.
  EXPECT_EQ(Classify(Answer(400, false, R"({"error":"database not found"})")).outcome,
            WriteOutcome::kNotInfluxDB);
}

TEST(WriteAnswerTest, InfluxDBsOwnRefusals) {
  WriteResult r = Classify(Answer(400, true, R"({"error":"unable to parse 'x'"})"));
  EXPECT_EQ(r.outcome, WriteOutcome::kRejected);
  EXPECT_EQ(r.error, "unable to parse 'x'");
  EXPECT_EQ(Classify(Answer(404, true, R"({"error":"database not found: \"d\""})")).outcome,
            WriteOutcome::kDatabaseNotFound);
  EXPECT_EQ(Classify(Answer(404, true, R"({"code":"not found","message":"bucket \"b\" not found"})"),
                     InfluxApi::kV2)
                .outcome,
            WriteOutcome::kDatabaseNotFound);
  // A 404 that is not about the database is a wrong path: configuration.
  EXPECT_EQ(Classify(Answer(404, true, "404 page not found")).outcome, WriteOutcome::kRetryable);
}

TEST(WriteAnswerTest, TokenRefusedWhoeverSaysIt) {
  WriteResult r = Classify(Answer(401, false, R"({"message":"unauthorized access"})"),
                           InfluxApi::kV2);
  EXPECT_EQ(r.outcome, WriteOutcome::kUnauthorized);
  EXPECT_THAT(r.error, HasSubstr("InfluxDB refused the token (HTTP 401: unauthorized access)"));
}

TEST(WriteAnswerTest, RetryAfterOn429And503) {
  HttpAnswer a = Answer(429, true);
  a.retry_after = "7";
  WriteResult r = Classify(a);
  EXPECT_EQ(r.outcome, WriteOutcome::kRetryable);
  EXPECT_EQ(r.retry_after, absl::Seconds(7));
  a.status = 500;
  EXPECT_EQ(Classify(a).retry_after, absl::ZeroDuration());
}

TEST(WriteAnswerTest, V3PartialWriteNamesLinesOrBisects) {
  bool proven = true;
  WriteResult r = Classify(
      Answer(400, false,
             R"({"error":"partial write","data":[{"error_message":"bad","line_number":2}]})"),
      InfluxApi::kV3, &proven);
  EXPECT_EQ(r.outcome, WriteOutcome::kPartial);
  ASSERT_EQ(r.rejected.size(), 1u);
  EXPECT_EQ(r.rejected[0].line_number, 2u);
  // A line number past the batch: the list is not believed.
  r = Classify(Answer(400, false, R"({"error":"x","data":[{"line_number":3}]})"), InfluxApi::kV3,
               &proven);
  EXPECT_EQ(r.outcome, WriteOutcome::kRejected);
  EXPECT_TRUE(r.rejected.empty());
  // 422 without lines: a catalog limit, the site's configuration.
  EXPECT_EQ(Classify(Answer(422, false, R"({"error":"too many tables"})"), InfluxApi::kV3, &proven)
                .outcome,
            WriteOutcome::kRetryable);
}

}  // namespace
}  // namespace ocs_influx::influx
