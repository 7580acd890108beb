// Scenario 8 of the reliability issue: sustained load. Eight concurrent
// gRPC writers for a bounded time with InfluxDB up: no error, nothing lost,
// the publisher's RSS flat (sampled every second), and the figures:
// points/s accepted, p50/p99 acknowledgement latency of a durable write,
// RSS.
//
// FAULTS_SECONDS (default 15): duration. FAULTS_LOAD_RATE (default 8000):
// points/s offered in all.
#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "tests/faults/fault_support.h"
#include "tests/support/influxd.h"

namespace ocs_influx::faults {
namespace {

TEST(LoadTest, EightWritersNoErrorNoLossFlatMemory) {
  const absl::Duration duration = absl::Seconds(EnvInt("FAULTS_SECONDS", 15));
  const int64_t rate = EnvInt("FAULTS_LOAD_RATE", 8000);
  auto influxd = testing::Influxd::Start();
  ASSERT_TRUE(influxd.ok()) << influxd.status();
  PublisherArgs args;
  args.influx_port = (*influxd)->port();
  args.spool_dir = TempDir("spool");
  PublisherProcess publisher(args);
  ASSERT_TRUE(publisher.Start().ok()) << publisher.LogTail();

  WriterOptions options;
  options.measurement = "load";
  options.writers = 8;
  options.batch = 100;
  options.points_per_second = rate / options.writers;
  Writers writers(publisher.target(), options);
  const absl::Time start = absl::Now();
  writers.Start();
  std::vector<int64_t> rss_kib;
  uint64_t max_spool_points = 0;
  while (absl::Now() - start < duration) {
    absl::SleepFor(absl::Seconds(1));
    rss_kib.push_back(RssKib(publisher.pid()));
    if (auto s = publisher.GetStatus(); s.ok()) {
      max_spool_points = std::max<uint64_t>(max_spool_points, s->spool().points());
    }
  }
  writers.Stop();
  const double seconds = absl::ToDoubleSeconds(absl::Now() - start);
  const absl::Time stopped = absl::Now();
  ASSERT_TRUE(publisher.Flush(absl::Seconds(60))) << publisher.LogTail();
  const double drain_s = absl::ToDoubleSeconds(absl::Now() - stopped);

  auto status = publisher.GetStatus();
  ASSERT_TRUE(status.ok());
  auto verdict = Verify((*influxd)->port(), "ocs_feeds", options.measurement, writers.ledgers());
  ASSERT_TRUE(verdict.ok()) << verdict.status();
  ASSERT_GE(rss_kib.size(), 4u);
  // Flat: after the first quarter (start-up, first batches), the last
  // quarter's peak is no more than 20 MiB above the second quarter's.
  const size_t q = rss_kib.size() / 4;
  const int64_t early = *std::max_element(rss_kib.begin() + q, rss_kib.begin() + 2 * q);
  const int64_t late = *std::max_element(rss_kib.end() - q, rss_kib.end());
  const int64_t peak = *std::max_element(rss_kib.begin(), rss_kib.end());
  std::string rss_series;
  for (size_t i = 0; i < rss_kib.size(); i += std::max<size_t>(1, rss_kib.size() / 12)) {
    absl::StrAppend(&rss_series, rss_series.empty() ? "" : ",", rss_kib[i] / 1024);
  }
  const auto errors = writers.errors();
  const auto samples = writers.error_samples();
  PrintSummary(
      "load_8_writers", *verdict,
      static_cast<int64_t>(status->points_written()) -
          static_cast<int64_t>(verdict->landed + verdict->landed_unacked),
      drain_s,
      absl::StrCat("seconds=", absl::StrFormat("%.1f", seconds), " offered_pps=", rate,
                   " accepted_pps=",
                   absl::StrFormat("%.0f", writers.accepted_points() / seconds),
                   " ack_p50_ms=", absl::StrFormat("%.2f", writers.LatencyPercentileMs(0.5)),
                   " ack_p99_ms=", absl::StrFormat("%.2f", writers.LatencyPercentileMs(0.99)),
                   " rpc_errors=", errors.size(), " max_spool_points=", max_spool_points,
                   " rss_mb_early=", early / 1024, " rss_mb_late=", late / 1024,
                   " rss_mb_peak=", peak / 1024, " rss_mb_series=", rss_series));
  for (const auto& [code, n] : errors) {
    ADD_FAILURE() << n << " writes failed with " << code << ": " << samples.at(code);
  }
  EXPECT_EQ(verdict->lost, 0u) << "first lost: " << verdict->first_lost;
  EXPECT_EQ(verdict->landed, verdict->accepted);
  EXPECT_TRUE(verdict->expected == verdict->found);
  EXPECT_EQ(verdict->wrong_value, 0u);
  EXPECT_EQ(verdict->unknown, 0u);
  EXPECT_EQ(verdict->accepted, writers.accepted_points());
  // At least 90 % of the offered rate was taken.
  EXPECT_GT(writers.accepted_points() / seconds, 0.9 * rate);
  EXPECT_LE(late, early + 20 * 1024) << "RSS grew: " << rss_series;
  EXPECT_LT(peak, 200 * 1024);
  EXPECT_EQ(publisher.Terminate(), 0) << publisher.LogTail();
}

}  // namespace
}  // namespace ocs_influx::faults
