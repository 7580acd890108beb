// Scenario 4: a slow InfluxDB. A loopback proxy between the publisher and
// influxd first delays every answer by 500 ms, then stalls completely for a
// while (longer than --influx-timeout), then is fast again. Writers push
// faster than that: the spool (small --spool-max-bytes) fills, writers feel
// backpressure as RESOURCE_EXHAUSTED and send the same points again, the
// publisher's memory stays bounded, and once the proxy is fast nothing
// accepted is missing.
//
// FAULTS_SLOW_SECONDS (default 5): the length of each of the two phases.
#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "tests/faults/delay_proxy.h"
#include "tests/faults/fault_support.h"
#include "tests/support/influxd.h"

namespace ocs_influx::faults {
namespace {

TEST(SlowInfluxTest, BackpressureBoundedMemoryAndNothingLost) {
  const absl::Duration phase = absl::Seconds(EnvInt("FAULTS_SLOW_SECONDS", 5));
  auto influxd = testing::Influxd::Start();
  ASSERT_TRUE(influxd.ok()) << influxd.status();
  auto proxy = DelayProxy::Start((*influxd)->port());
  ASSERT_TRUE(proxy.ok()) << proxy.status();

  PublisherArgs args;
  args.influx_port = (*proxy)->port();
  args.spool_dir = TempDir("spool");
  args.extra = {"--spool-max-bytes", "2MiB", "--influx-timeout", "2s", "--batch-size", "2000"};
  PublisherProcess publisher(args);
  ASSERT_TRUE(publisher.Start().ok()) << publisher.LogTail();

  WriterOptions options;
  options.measurement = "slow_influx";
  options.writers = 4;
  options.batch = 200;
  options.points_per_second = 0;  // as fast as accepted
  options.retry_exhausted = true;
  options.pause_after_failure = absl::Milliseconds(20);
  Writers writers(publisher.target(), options);

  int64_t max_rss_kib = 0, rss_samples = 0;
  uint64_t max_spool_bytes = 0;
  auto sample_for = [&](absl::Duration d) {
    const absl::Time until = absl::Now() + d;
    while (absl::Now() < until) {
      max_rss_kib = std::max(max_rss_kib, RssKib(publisher.pid()));
      ++rss_samples;
      if (auto s = publisher.GetStatus(); s.ok()) {
        max_spool_bytes = std::max<uint64_t>(max_spool_bytes, s->spool().bytes());
      }
      absl::SleepFor(absl::Milliseconds(250));
    }
  };

  (*proxy)->SetDelay(absl::Milliseconds(500));
  writers.Start();
  sample_for(phase);
  const uint64_t exhausted_after_delay =
      writers.errors()[grpc::StatusCode::RESOURCE_EXHAUSTED];
  (*proxy)->SetStalled(true);
  sample_for(phase);
  const uint64_t accepted_before_fast = writers.accepted_so_far();
  (*proxy)->SetStalled(false);
  (*proxy)->SetDelay(absl::ZeroDuration());
  const absl::Time fast = absl::Now();
  sample_for(absl::Seconds(1));
  writers.Stop();
  ASSERT_TRUE(publisher.Flush(absl::Seconds(60))) << publisher.LogTail();
  const double recovery_s = absl::ToDoubleSeconds(absl::Now() - fast);

  auto status = publisher.GetStatus();
  ASSERT_TRUE(status.ok());
  auto verdict = Verify((*influxd)->port(), "ocs_feeds", options.measurement, writers.ledgers());
  ASSERT_TRUE(verdict.ok()) << verdict.status();
  const auto errors = writers.errors();
  const auto samples = writers.error_samples();
  const uint64_t exhausted =
      errors.count(grpc::StatusCode::RESOURCE_EXHAUSTED)
          ? errors.at(grpc::StatusCode::RESOURCE_EXHAUSTED) : 0;
  const int64_t duplicates =
      static_cast<int64_t>(status->points_written()) -
      static_cast<int64_t>(verdict->landed + verdict->landed_unacked);
  PrintSummary("slow_influx", *verdict, duplicates, recovery_s,
               absl::StrCat("delay_ms=500 stall_s=", absl::ToDoubleSeconds(phase),
                            " spool_max_bytes=2097152 max_spool_bytes=", max_spool_bytes,
                            " resource_exhausted_rpcs=", exhausted,
                            " exhausted_in_delay_phase=", exhausted_after_delay,
                            " accepted_before_fast=", accepted_before_fast,
                            " influx_retries=", status->writes().retries(),
                            " max_rss_mb=", absl::StrFormat("%.1f", max_rss_kib / 1024.0),
                            " rss_samples=", rss_samples,
                            " proxy_connections=", (*proxy)->connections()));
  for (const auto& [code, n] : errors) {
    EXPECT_EQ(code, grpc::StatusCode::RESOURCE_EXHAUSTED)
        << n << " writes failed with " << code << ": " << samples.at(code);
  }
  EXPECT_GT(exhausted, 0u) << "the writers never felt backpressure";
  EXPECT_GT(rss_samples, 0);
  EXPECT_GT(max_rss_kib, 0);
  EXPECT_LT(max_rss_kib, 200 * 1024) << "publisher RSS not bounded";
  EXPECT_LE(max_spool_bytes, 2u << 20);
  EXPECT_GT(status->writes().retries(), 0u) << "the stall never timed a request out";
  EXPECT_EQ(verdict->lost, 0u) << "first lost: " << verdict->first_lost;
  EXPECT_EQ(verdict->landed, verdict->accepted);
  EXPECT_TRUE(verdict->expected == verdict->found);
  EXPECT_EQ(verdict->wrong_value, 0u);
  EXPECT_EQ(verdict->unknown, 0u);
  EXPECT_EQ(verdict->accepted, writers.accepted_points());
  EXPECT_EQ(publisher.Terminate(), 0) << publisher.LogTail();
}

}  // namespace
}  // namespace ocs_influx::faults
