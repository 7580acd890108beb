// Scenario 2: the publisher is SIGKILLed at random moments while writers
// keep writing, and restarted on the same spool directory each time. A write
// that failed because the publisher died is not accepted (the writer gives
// those ids up and moves on; some of them may still land, having been
// durable before the kill); a write that returned OK is, and must land.
// Delivery is at least once: a batch sent but not acknowledged before the
// kill is sent again and InfluxDB keeps one copy of each identical point.
//
// FAULTS_ITERATIONS (default 3): kills. FAULTS_SEED: the random moments.
#include <random>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "tests/faults/fault_support.h"
#include "tests/support/influxd.h"

namespace ocs_influx::faults {
namespace {

TEST(PublisherKillTest, EveryAcceptedPointLandsAcrossSigkills) {
  const int iterations = static_cast<int>(EnvInt("FAULTS_ITERATIONS", 3));
  const uint64_t seed = static_cast<uint64_t>(
      EnvInt("FAULTS_SEED", absl::ToUnixNanos(absl::Now()) & 0xffffff));
  std::mt19937_64 random(seed);
  std::uniform_int_distribution<int> run_ms(300, 1500);

  auto influxd = testing::Influxd::Start();
  ASSERT_TRUE(influxd.ok()) << influxd.status();
  PublisherArgs args;
  args.influx_port = (*influxd)->port();
  args.spool_dir = TempDir("spool");
  // Small batches and a short interval keep the writer thread busy at all
  // times, so the kills land mid-append, mid-send and mid-acknowledge.
  args.extra = {"--batch-size", "1000"};
  PublisherProcess publisher(args);
  ASSERT_TRUE(publisher.Start().ok()) << publisher.LogTail();

  WriterOptions options;
  options.measurement = "publisher_kill";
  options.writers = 4;
  options.batch = 100;
  options.points_per_second = 3000;
  options.retry_failed = false;  // a failed write is given up: not accepted
  options.rpc_deadline = absl::Seconds(5);
  Writers writers(publisher.target(), options);
  writers.Start();

  uint64_t truncations = 0, spool_points_at_restart = 0;
  std::vector<double> restart_s;
  for (int i = 0; i < iterations; ++i) {
    absl::SleepFor(absl::Milliseconds(run_ms(random)));
    publisher.Kill();
    const absl::Time killed = absl::Now();
    ASSERT_TRUE(publisher.Start().ok()) << publisher.LogTail();
    restart_s.push_back(absl::ToDoubleSeconds(absl::Now() - killed));
    auto status = publisher.GetStatus();
    ASSERT_TRUE(status.ok()) << status.status();
    // Recovery re-opened the spool: whatever it cut off was never
    // acknowledged to a writer (checked by the verdict below).
    truncations += status->spool().recovered_truncations();
    spool_points_at_restart += status->spool().points();
  }
  absl::SleepFor(absl::Milliseconds(500));
  writers.Stop();

  // The client's own flush, as an operator would run it.
  const absl::Time flush_start = absl::Now();
  const std::string flush_log = TempDir("publisherctl") + "/flush.log";
  EXPECT_EQ(RunTool("client/publisherctl",
                    {"flush", "--target", publisher.target(), "--timeout", "60s"},
                    absl::Seconds(90), flush_log),
            0);
  const double drain_s = absl::ToDoubleSeconds(absl::Now() - flush_start);
  auto final_status = publisher.GetStatus();
  ASSERT_TRUE(final_status.ok());
  EXPECT_EQ(final_status->spool().points(), 0u);
  EXPECT_EQ(final_status->points_dead_lettered(), 0u);

  auto verdict = Verify((*influxd)->port(), "ocs_feeds", options.measurement, writers.ledgers());
  ASSERT_TRUE(verdict.ok()) << verdict.status();
  const int64_t written_ok = InfluxPointsWrittenOk((*influxd)->port());
  const int64_t duplicates =
      written_ok < 0 ? -1
                     : written_ok - static_cast<int64_t>(verdict->landed +
                                                         verdict->landed_unacked + verdict->unknown);
  // Restart: from the SIGKILL to GetStatus answering on the recovered spool.
  double max_restart = 0, sum_restart = 0;
  for (double s : restart_s) {
    max_restart = std::max(max_restart, s);
    sum_restart += s;
  }
  std::string errors;
  for (const auto& [code, n] : writers.errors()) absl::StrAppend(&errors, code, ":", n, ";");
  PrintSummary("publisher_sigkill", *verdict, duplicates, max_restart,
               absl::StrCat("iterations=", iterations, " seed=", seed,
                            " refused_points=", writers.refused_points(),
                            " restart_mean_s=",
                            absl::StrFormat("%.2f", sum_restart / std::max<size_t>(1, restart_s.size())),
                            " spool_truncations=", truncations,
                            " spool_points_found_at_restarts=", spool_points_at_restart,
                            " final_drain_s=", absl::StrFormat("%.2f", drain_s),
                            " rpc_errors_by_code=", errors.empty() ? "none" : errors));
  EXPECT_EQ(verdict->lost, 0u) << "first lost: " << verdict->first_lost << " (seed " << seed
                               << ")\n" << publisher.LogTail();
  EXPECT_EQ(verdict->landed, verdict->accepted);
  EXPECT_TRUE(verdict->expected == verdict->found);
  EXPECT_EQ(verdict->wrong_value, 0u);
  EXPECT_EQ(verdict->unknown, 0u);
  EXPECT_GT(verdict->accepted, 0u);
  // The writers were busy at every kill: most runs see failed writes.
  for (const auto& [code, n] : writers.errors()) {
    EXPECT_TRUE(code == grpc::StatusCode::UNAVAILABLE ||
                code == grpc::StatusCode::DEADLINE_EXCEEDED ||
                code == grpc::StatusCode::CANCELLED)
        << "code " << code << ": " << writers.error_samples().at(code);
  }
  EXPECT_EQ(publisher.Terminate(), 0) << publisher.LogTail();
}

}  // namespace
}  // namespace ocs_influx::faults
