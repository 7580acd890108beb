#include "ocs_adapter/event_pacer.h"

#include "gtest/gtest.h"

namespace ocs_influx::ocs_adapter {
namespace {

constexpr absl::Duration kPause = absl::Milliseconds(50);
constexpr absl::Duration kHandling = absl::Microseconds(75);

const absl::Time kT0 = absl::FromUnixSeconds(1'000'000);

TEST(EventPacerTest, AnEventThatWokeTheThreadIsFollowedByAPause) {
  EventPacer pacer(kPause);
  EXPECT_EQ(pacer.PauseAfter(kT0, kT0 + kHandling), kPause);
  // The next trickles in 5 ms after that pause: woken again, pause again.
  const absl::Time next = kT0 + kHandling + kPause + absl::Milliseconds(5);
  EXPECT_EQ(pacer.PauseAfter(next, next + kHandling), kPause);
}

TEST(EventPacerTest, WhatGatheredDuringThePauseIsHandledWithoutOne) {
  EventPacer pacer(kPause);
  absl::Time t = kT0 + kHandling;
  ASSERT_EQ(pacer.PauseAfter(kT0, t), kPause);
  t += kPause;
  // Ten publications waited in the socket: read back to back.
  for (int i = 0; i < 10; ++i) {
    const absl::Time started = t + absl::Microseconds(5);
    t = started + kHandling;
    EXPECT_EQ(pacer.PauseAfter(started, t), absl::ZeroDuration()) << "event " << i;
  }
}

TEST(EventPacerTest, ABacklogNeverPauses) {
  // Events always waiting (more offered than handled): a pause would cut
  // the throughput, and there is none after the first.
  EventPacer pacer(kPause);
  absl::Time t = kT0 + kHandling + kPause;
  ASSERT_EQ(pacer.PauseAfter(kT0, kT0 + kHandling), kPause);
  for (int i = 0; i < 10'000; ++i) {
    const absl::Time started = t + EventPacer::kBurstGap;  // at the bound: still a burst
    t = started + absl::Milliseconds(2);                   // slow handling does not matter
    ASSERT_EQ(pacer.PauseAfter(started, t), absl::ZeroDuration()) << "event " << i;
  }
}

TEST(EventPacerTest, AGapLongerThanABurstsEndsIt) {
  EventPacer pacer(kPause);
  const absl::Time end = kT0 + kHandling;
  ASSERT_EQ(pacer.PauseAfter(kT0, end), kPause);
  const absl::Time started = end + kPause + EventPacer::kBurstGap + absl::Microseconds(1);
  EXPECT_EQ(pacer.PauseAfter(started, started + kHandling), kPause);
}

TEST(EventPacerTest, ZeroNeverPauses) {
  EventPacer pacer(absl::ZeroDuration());
  absl::Time t = kT0;
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(pacer.PauseAfter(t, t + kHandling), absl::ZeroDuration());
    t += absl::Seconds(1);
  }
}

}  // namespace
}  // namespace ocs_influx::ocs_adapter
