// Scenario 1: influxd is SIGKILLed mid-stream and restarted after a pause
// while the writers keep writing. Every point the publisher accepted lands
// (count and checksum of values and timestamps), and the backlog of the
// outage drains within a bounded time of the restart.
//
// FAULTS_OUTAGE_SECONDS (default 4) sets the outage.
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "tests/faults/fault_support.h"
#include "tests/support/influxd.h"

namespace ocs_influx::faults {
namespace {

TEST(InfluxKillTest, AcceptedPointsLandAfterInfluxdIsKilledAndRestarted) {
  const absl::Duration outage = absl::Seconds(EnvInt("FAULTS_OUTAGE_SECONDS", 4));
  auto influxd = testing::Influxd::Start();
  ASSERT_TRUE(influxd.ok()) << influxd.status();
  PublisherArgs args;
  args.influx_port = (*influxd)->port();
  args.spool_dir = TempDir("spool");
  PublisherProcess publisher(args);
  ASSERT_TRUE(publisher.Start().ok()) << publisher.LogTail();

  WriterOptions options;
  options.measurement = "influx_kill";
  options.writers = 4;
  options.batch = 200;
  options.points_per_second = 2500;  // 10,000 points/s in all
  Writers writers(publisher.target(), options);
  writers.Start();
  absl::SleepFor(absl::Seconds(2));
  ASSERT_TRUE((*influxd)->Kill().ok());
  const uint64_t accepted_at_kill = writers.accepted_so_far();
  absl::SleepFor(outage);
  const uint64_t accepted_in_outage = writers.accepted_so_far() - accepted_at_kill;
  auto during = publisher.GetStatus();
  ASSERT_TRUE(during.ok()) << during.status();
  EXPECT_TRUE(during->recording().degraded());
  EXPECT_GT(during->spool().points(), 0u);
  const uint64_t backlog_points = during->spool().points();

  ASSERT_TRUE((*influxd)->Restart().ok()) << (*influxd)->LogTail();
  const absl::Time restarted = absl::Now();
  // Everything accepted up to the restart is in InfluxDB when this Flush
  // returns (its target is the last seq appended when it starts), while the
  // writers go on writing.
  ASSERT_TRUE(publisher.Flush(absl::Seconds(60))) << publisher.LogTail();
  const double recovery_s = absl::ToDoubleSeconds(absl::Now() - restarted);
  absl::SleepFor(absl::Seconds(1));
  writers.Stop();
  ASSERT_TRUE(publisher.Flush(absl::Seconds(60))) << publisher.LogTail();

  EXPECT_TRUE(writers.errors().empty())
      << "writes failed while InfluxDB was down: the spool should take them";
  auto after = publisher.GetStatus();
  ASSERT_TRUE(after.ok()) << after.status();
  EXPECT_FALSE(after->recording().degraded());
  EXPECT_EQ(after->spool().points(), 0u);
  EXPECT_GT(accepted_in_outage, 0u);

  auto verdict = Verify((*influxd)->port(), "ocs_feeds", options.measurement, writers.ledgers());
  ASSERT_TRUE(verdict.ok()) << verdict.status();
  // The publisher lived through it all, so its counter of points InfluxDB
  // answered 2xx for, less the distinct points, is what was sent twice.
  const int64_t duplicates =
      static_cast<int64_t>(after->points_written()) -
      static_cast<int64_t>(verdict->landed + verdict->landed_unacked);
  PrintSummary("influx_sigkill", *verdict, duplicates, recovery_s,
               absl::StrCat("outage_s=", absl::ToDoubleSeconds(outage),
                            " accepted_during_outage=", accepted_in_outage,
                            " backlog_points=", backlog_points,
                            " retries=", after->writes().retries()));
  EXPECT_EQ(verdict->lost, 0u) << "first lost: " << verdict->first_lost;
  EXPECT_EQ(verdict->landed, verdict->accepted);
  EXPECT_TRUE(verdict->expected == verdict->found);
  EXPECT_EQ(verdict->wrong_value, 0u);
  EXPECT_EQ(verdict->unknown, 0u);
  EXPECT_EQ(verdict->accepted, writers.accepted_points());
  // The writer's backoff is capped at 30 s; past that plus the drain, the
  // publisher did not notice InfluxDB came back.
  EXPECT_LT(recovery_s, 45.0);
  EXPECT_EQ(publisher.Terminate(), 0) << publisher.LogTail();
}

}  // namespace
}  // namespace ocs_influx::faults
