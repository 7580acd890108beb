#include "common/backoff/backoff.h"

#include <thread>

#include "absl/time/clock.h"
#include "gtest/gtest.h"

namespace ocs_influx {
namespace {

TEST(BackoffTest, GrowsDoublingWithinJitterAndCaps) {
  Backoff b(absl::Milliseconds(100), absl::Seconds(1));
  absl::Duration expected = absl::Milliseconds(100);
  for (int i = 0; i < 10; ++i) {
    absl::Duration d = b.Next();
    EXPECT_GE(d, expected / 2) << "attempt " << i;
    EXPECT_LE(d, expected) << "attempt " << i;
    expected = std::min(expected * 2, absl::Seconds(1));
  }
  EXPECT_EQ(b.attempts(), 10);
  b.Reset();
  EXPECT_EQ(b.attempts(), 0);
  EXPECT_LE(b.Next(), absl::Milliseconds(100));
}

TEST(StopSignalTest, SleepsWholeDelayWhenNotStopped) {
  StopSignal s;
  absl::Time start = absl::Now();
  EXPECT_TRUE(s.SleepFor(absl::Milliseconds(50)));
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(45));
}

TEST(StopSignalTest, StopWakesASleeperAtOnce) {
  StopSignal s;
  absl::Time start = absl::Now();
  std::thread stopper([&s] {
    absl::SleepFor(absl::Milliseconds(50));
    s.Stop();
  });
  EXPECT_FALSE(s.SleepFor(absl::Seconds(60)));
  stopper.join();
  EXPECT_LT(absl::Now() - start, absl::Seconds(10));
  EXPECT_TRUE(s.stopped());
  EXPECT_FALSE(s.SleepFor(absl::Seconds(60)));  // at once, once stopped
}

}  // namespace
}  // namespace ocs_influx
