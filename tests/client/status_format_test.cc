#include <string>
#include <vector>

#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/time.h"
#include "client/status_command.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/json_util.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"

namespace ocs_influx::client {
namespace {

namespace v1 = ocs::influx::v1;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr int64_t kNow = 1767225600;  // 2026-01-01 00:00:00 UTC

v1::Status SampleStatus() {
  v1::Status status;
  v1::RecordingStatus* recording = status.mutable_recording();
  recording->set_state(v1::RUNNING);
  recording->set_op_code(8);
  recording->set_degraded(true);
  recording->set_session_id(4);
  recording->mutable_start_time()->set_seconds(kNow - 3600);
  status.set_points_accepted(123456);
  status.set_points_written(120000);
  status.set_points_dead_lettered(7);
  status.set_dead_letter_file("/var/lib/publisher/dead-letter.lp");
  v1::DropCount* drop = status.add_dropped();
  drop->set_reason("non_finite_float");
  drop->set_count(3);
  drop = status.add_dropped();
  drop->set_reason("null_value");
  drop->set_count(2);
  v1::SpoolStatus* spool = status.mutable_spool();
  spool->set_points(3456);
  spool->set_bytes(3 << 20);
  spool->set_max_bytes(uint64_t{1} << 30);
  spool->mutable_oldest_age()->set_seconds(42);
  spool->set_segments(2);
  v1::InfluxStatus* influx = status.mutable_influx();
  influx->set_url("http://127.0.0.1:8086");
  influx->set_database("ocs_feeds");
  influx->set_connected(false);
  influx->mutable_last_success()->set_seconds(kNow - 90);
  influx->set_last_error("connection refused");
  influx->mutable_last_error_time()->set_seconds(kNow - 5);
  v1::WriteStats* writes = status.mutable_writes();
  writes->set_batches_sent(120);
  writes->set_bytes_sent_raw(10 << 20);
  writes->set_bytes_sent_compressed(2 << 20);
  writes->set_retries(9);
  writes->mutable_latency_p50()->set_nanos(3500000);
  writes->mutable_latency_p99()->set_nanos(12000000);
  status.set_version("0.1.0");
  status.mutable_uptime()->set_seconds(3723);
  return status;
}

// The value printed against `label`, or "<no row>".
std::string RowValue(const std::string& table, const std::string& label) {
  for (absl::string_view line : absl::StrSplit(table, '\n')) {
    if (!absl::ConsumePrefix(&line, "  ")) continue;
    if (!absl::ConsumePrefix(&line, label)) continue;
    if (line.empty() || line.substr(0, 2) != "  ") continue;
    return std::string(absl::StripLeadingAsciiWhitespace(line));
  }
  return "<no row>";
}

TEST(StatusTableTest, ShowsEveryPart) {
  std::string table =
      FormatStatusTable(SampleStatus(), absl::FromUnixSeconds(kNow));
  SCOPED_TRACE(table);
  EXPECT_EQ(RowValue(table, "state"), "running");
  EXPECT_EQ(RowValue(table, "op_code"), "8 (DEGRADED)");
  EXPECT_THAT(RowValue(table, "degraded"), HasSubstr("yes"));
  EXPECT_EQ(RowValue(table, "session"), "4");
  EXPECT_EQ(RowValue(table, "started"), "2025-12-31 23:00:00 UTC (1h ago)");
  EXPECT_EQ(RowValue(table, "accepted"), "123456");
  EXPECT_EQ(RowValue(table, "written"), "120000");
  EXPECT_EQ(RowValue(table, "dead-lettered"), "7");
  EXPECT_EQ(RowValue(table, "dropped non_finite_float"), "3");
  EXPECT_EQ(RowValue(table, "dropped null_value"), "2");
  EXPECT_EQ(RowValue(table, "points"), "3456");
  EXPECT_EQ(RowValue(table, "bytes"), "3.0 MiB / 1.0 GiB (0.3%)");
  EXPECT_EQ(RowValue(table, "oldest age"), "42s");
  EXPECT_EQ(RowValue(table, "segments"), "2");
  EXPECT_EQ(RowValue(table, "url"), "http://127.0.0.1:8086");
  EXPECT_EQ(RowValue(table, "database"), "ocs_feeds");
  EXPECT_EQ(RowValue(table, "connected"), "no");
  EXPECT_EQ(RowValue(table, "last success"),
            "2025-12-31 23:58:30 UTC (1m30s ago)");
  EXPECT_EQ(RowValue(table, "last error"), "connection refused");
  EXPECT_EQ(RowValue(table, "batches"), "120");
  EXPECT_EQ(RowValue(table, "retries"), "9");
  EXPECT_EQ(RowValue(table, "bytes raw"), "10.0 MiB");
  EXPECT_EQ(RowValue(table, "bytes compressed"), "2.0 MiB");
  EXPECT_EQ(RowValue(table, "latency p50"), "3.5ms");
  EXPECT_EQ(RowValue(table, "latency p99"), "12ms");
  EXPECT_EQ(RowValue(table, "uptime"), "1h2m3s");
  EXPECT_EQ(RowValue(table, "version"), "0.1.0");
  for (const char* section :
       {"Recording\n", "Points\n", "Spool\n", "InfluxDB\n", "Writes\n",
        "Publisher\n"}) {
    EXPECT_THAT(table, HasSubstr(section));
  }
}

TEST(StatusTableTest, ValuesAreAlignedInOneColumn) {
  std::string table =
      FormatStatusTable(SampleStatus(), absl::FromUnixSeconds(kNow));
  size_t column = std::string::npos;
  for (absl::string_view line : absl::StrSplit(table, '\n')) {
    if (!absl::StartsWith(line, "  ")) continue;
    size_t gap = line.find("  ", 2);
    ASSERT_NE(gap, absl::string_view::npos) << line;
    size_t value_start = line.find_first_not_of(' ', gap);
    if (column == std::string::npos) column = value_start;
    EXPECT_EQ(value_start, column) << line;
  }
}

TEST(StatusTableTest, EmptyStatusSaysNeverAndNone) {
  std::string table = FormatStatusTable(v1::Status(), absl::FromUnixSeconds(kNow));
  SCOPED_TRACE(table);
  EXPECT_THAT(RowValue(table, "state"), HasSubstr("unknown"));
  EXPECT_EQ(RowValue(table, "started"), "never");
  EXPECT_EQ(RowValue(table, "dropped"), "none");
  EXPECT_EQ(RowValue(table, "last error"), "none");
  EXPECT_EQ(RowValue(table, "oldest age"), "-");
}

TEST(StatusJsonTest, ParsesBackToTheSameMessage) {
  v1::Status status = SampleStatus();
  absl::StatusOr<std::string> json = StatusToJson(status);
  ASSERT_TRUE(json.ok()) << json.status();
  v1::Status parsed;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(*json, &parsed).ok());
  EXPECT_TRUE(
      google::protobuf::util::MessageDifferencer::Equals(status, parsed));
}

TEST(StatusJsonTest, PrintsZeroPrimitiveFields) {
  absl::StatusOr<std::string> json = StatusToJson(v1::Status());
  ASSERT_TRUE(json.ok()) << json.status();
  EXPECT_THAT(*json, HasSubstr("\"pointsAccepted\""));
  EXPECT_THAT(*json, HasSubstr("\"version\""));
}

TEST(RecordingLineTest, OneLineWithStateAndSession) {
  v1::RecordingStatus recording;
  recording.set_state(v1::DONE);
  recording.set_op_code(5);
  recording.set_success(true);
  recording.set_session_id(2);
  recording.set_test_mode(true);
  recording.mutable_start_time()->set_seconds(kNow);
  std::string line = FormatRecordingLine(recording);
  EXPECT_THAT(line, Not(HasSubstr("\n")));
  EXPECT_EQ(line,
            "recording: done, succeeded, op_code 5 (SUCCEEDED), session 2 "
            "(test mode), started 2026-01-01 00:00:00 UTC");
}

}  // namespace
}  // namespace ocs_influx::client
