// Issue 8, item 4: one flipped byte in a spool segment costs the damaged
// record only. 20,000 points are spooled while InfluxDB is down, the
// publisher stops, one byte a third of the way into the segment is flipped,
// the publisher restarts and InfluxDB comes back: every point but those of
// the damaged record lands, and `publisherctl status` reports the loss.
#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "tests/faults/fault_support.h"
#include "tests/support/influxd.h"

namespace ocs_influx::faults {
namespace {

namespace fs = std::filesystem;

constexpr int kBatches = 100;
constexpr int kBatch = 200;

std::vector<std::string> SegmentFiles(const std::string& dir) {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(dir)) {
    if (e.path().filename().string().rfind("segment-", 0) == 0) out.push_back(e.path().string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

void FlipByte(const std::string& path, uint64_t offset) {
  std::fstream f(path, std::ios::binary | std::ios::in | std::ios::out);
  f.seekg(static_cast<std::streamoff>(offset));
  char c = 0;
  f.get(c);
  f.seekp(static_cast<std::streamoff>(offset));
  f.put(static_cast<char>(c ^ 0x5a));
}

std::string ReadAll(const std::string& path) {
  std::ifstream f(path);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

TEST(SpoolDamageTest, FlippedByteCostsOnlyTheDamagedRecord) {
  auto influxd = testing::Influxd::Start();
  ASSERT_TRUE(influxd.ok()) << influxd.status();
  ASSERT_TRUE((*influxd)->Stop().ok());  // down while the points are spooled

  PublisherArgs args;
  args.influx_port = (*influxd)->port();
  args.spool_dir = TempDir("spool");
  PublisherProcess publisher(args);
  ASSERT_TRUE(publisher.Start().ok()) << publisher.LogTail();

  const std::string measurement = "spool_damage";
  std::vector<WriterLedger> ledgers(1);
  {
    auto stub = publisher.NewStub();
    for (int b = 0; b < kBatches; ++b) {
      v1::WriteLinesRequest request;
      request.set_lines(MakeLines(measurement, 0, int64_t{b} * kBatch, kBatch));
      v1::WriteResponse response;
      grpc::ClientContext context;
      context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
      grpc::Status s = stub->WriteLines(&context, request, &response);
      ASSERT_TRUE(s.ok()) << s.error_message();
      ledgers[0].ranges.push_back({int64_t{b} * kBatch, kBatch, true});
    }
    ledgers[0].next_id = int64_t{kBatches} * kBatch;
  }
  auto before = publisher.GetStatus();
  ASSERT_TRUE(before.ok()) << before.status();
  ASSERT_EQ(before->spool().points(), uint64_t{kBatches} * kBatch);
  EXPECT_EQ(publisher.Terminate(), 0) << publisher.LogTail();

  std::vector<std::string> files = SegmentFiles(args.spool_dir);
  ASSERT_EQ(files.size(), 1u);
  FlipByte(files[0], fs::file_size(files[0]) / 3);

  ASSERT_TRUE(publisher.Start().ok()) << publisher.LogTail();
  auto after = publisher.GetStatus();
  ASSERT_TRUE(after.ok()) << after.status();
  EXPECT_EQ(after->spool().recovered_truncations(), 0u);
  EXPECT_EQ(after->spool().records_lost_to_damage(), 1u);
  EXPECT_GT(after->spool().bytes_lost_to_damage(), 0u);
  const std::string status_log = TempDir("publisherctl") + "/status.log";
  EXPECT_EQ(RunTool("client/publisherctl", {"status", "--target", publisher.target()},
                    absl::Seconds(30), status_log),
            0);
  EXPECT_TRUE(absl::StrContains(ReadAll(status_log), "lost to damage")) << ReadAll(status_log);

  ASSERT_TRUE((*influxd)->Restart().ok()) << (*influxd)->LogTail();
  ASSERT_TRUE(publisher.Flush(absl::Seconds(60))) << publisher.LogTail();
  auto drained = publisher.GetStatus();
  ASSERT_TRUE(drained.ok()) << drained.status();
  EXPECT_EQ(drained->spool().points(), 0u);

  auto verdict = Verify((*influxd)->port(), "ocs_feeds", measurement, ledgers);
  ASSERT_TRUE(verdict.ok()) << verdict.status();
  PrintSummary("spool_flipped_byte", *verdict, -1, 0,
               absl::StrCat("records_lost_to_damage=", after->spool().records_lost_to_damage(),
                            " bytes_lost_to_damage=", after->spool().bytes_lost_to_damage()));
  // One record's points at most (a WriteLines of 200 points is one record
  // here), and at least one: the damage was found, not delivered.
  EXPECT_GT(verdict->lost, 0u);
  EXPECT_LE(verdict->lost, uint64_t{kBatch});
  EXPECT_EQ(verdict->landed + verdict->lost, verdict->accepted);
  EXPECT_EQ(verdict->wrong_value, 0u);
  EXPECT_EQ(verdict->unknown, 0u);
  EXPECT_EQ(publisher.Terminate(), 0) << publisher.LogTail();
}

}  // namespace
}  // namespace ocs_influx::faults
