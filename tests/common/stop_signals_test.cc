#include "common/signals/stop_signals.h"

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <string>

#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"

namespace ocs_influx::signals {
namespace {

// One process: every test blocks the signals first, as main() does, so a
// signal sent here is only ever taken by sigwait.
class StopSignalsTest : public ::testing::Test {
 protected:
  void SetUp() override { BlockStopSignals(); }
};

TEST_F(StopSignalsTest, WaitReturnsWhichSignalCame) {
  ::kill(::getpid(), SIGINT);
  EXPECT_EQ(WaitForStopSignal(), SIGINT);
  ::kill(::getpid(), SIGTERM);
  EXPECT_EQ(WaitForStopSignal(), SIGTERM);
}

TEST_F(StopSignalsTest, ThreadRunsTheCallbackOnce) {
  absl::Notification called;
  std::atomic<int> calls{0};
  std::atomic<int> which{0};
  {
    StopSignalThread thread([&](int signal_number) {
      which = signal_number;
      ++calls;
      called.Notify();
    });
    ::kill(::getpid(), SIGTERM);
    ASSERT_TRUE(called.WaitForNotificationWithTimeout(absl::Seconds(10)));
  }
  EXPECT_EQ(calls.load(), 1);
  EXPECT_EQ(which.load(), SIGTERM);
}

TEST_F(StopSignalsTest, ThreadEndsWithoutASignalAndWithoutTheCallback) {
  std::atomic<int> calls{0};
  { StopSignalThread thread([&](int) { ++calls; }); }
  EXPECT_EQ(calls.load(), 0);
  // The process still takes a real signal afterwards.
  ::kill(::getpid(), SIGINT);
  EXPECT_EQ(WaitForStopSignal(), SIGINT);
}

TEST(SignalNameTest, Names) {
  EXPECT_STREQ(SignalName(SIGINT), "SIGINT");
  EXPECT_STREQ(SignalName(SIGTERM), "SIGTERM");
  EXPECT_EQ(std::string(SignalName(SIGHUP)), "signal " + std::to_string(SIGHUP));
}

}  // namespace
}  // namespace ocs_influx::signals
