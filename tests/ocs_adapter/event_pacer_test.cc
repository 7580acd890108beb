#include "ocs_adapter/event_pacer.h"

#include "gtest/gtest.h"

namespace ocs_influx::ocs_adapter {
namespace {

constexpr absl::Duration kPause = absl::Milliseconds(50);
constexpr absl::Duration kHandling = absl::Microseconds(75);

const absl::Time kT0 = absl::FromUnixSeconds(1'000'000);

// Handles one EVENT from `started` as the transport does (pausing when it
// woke the thread); returns when the handling and any pause ended.
absl::Time Handle(EventPacer& pacer, absl::Time started, bool* paused,
                  absl::Duration overslept = absl::ZeroDuration()) {
  *paused = pacer.Woke(started);
  absl::Time end = started + kHandling;
  if (*paused) end += pacer.pause() + overslept;
  pacer.Ended(end);
  return end;
}

TEST(EventPacerTest, AnEventThatWokeTheThreadIsFollowedByAPause) {
  EventPacer pacer(kPause);
  bool paused = false;
  absl::Time end = Handle(pacer, kT0, &paused);
  EXPECT_TRUE(paused);
  // The next trickles in 5 ms after that pause: woken again, pause again.
  Handle(pacer, end + absl::Milliseconds(5), &paused);
  EXPECT_TRUE(paused);
}

TEST(EventPacerTest, WhatGatheredDuringThePauseIsHandledWithoutOne) {
  EventPacer pacer(kPause);
  bool paused = false;
  // The thread overslept by 3 ms (a busy machine): its pause ended late,
  // and what gathered is still a burst, not ten wake-ups.
  absl::Time t = Handle(pacer, kT0, &paused, absl::Milliseconds(3));
  ASSERT_TRUE(paused);
  for (int i = 0; i < 10; ++i) {
    t = Handle(pacer, t + absl::Microseconds(5), &paused);
    EXPECT_FALSE(paused) << "event " << i;
  }
}

TEST(EventPacerTest, ABacklogNeverPauses) {
  // Events always waiting (more offered than handled): a pause would cut
  // the throughput, and there is none after the first.
  EventPacer pacer(kPause);
  bool paused = false;
  absl::Time t = Handle(pacer, kT0, &paused);
  ASSERT_TRUE(paused);
  for (int i = 0; i < 10'000; ++i) {
    t = Handle(pacer, t + EventPacer::kBurstGap, &paused);  // at the bound: still a burst
    ASSERT_FALSE(paused) << "event " << i;
  }
}

TEST(EventPacerTest, AGapLongerThanABurstsEndsIt) {
  EventPacer pacer(kPause);
  bool paused = false;
  const absl::Time end = Handle(pacer, kT0, &paused);
  ASSERT_TRUE(paused);
  EXPECT_TRUE(pacer.Woke(end + EventPacer::kBurstGap + absl::Microseconds(1)));
}

TEST(EventPacerTest, ZeroNeverPauses) {
  EventPacer pacer(absl::ZeroDuration());
  bool paused = true;
  absl::Time t = kT0;
  for (int i = 0; i < 3; ++i) {
    Handle(pacer, t, &paused);
    EXPECT_FALSE(paused);
    t += absl::Seconds(1);
  }
}

}  // namespace
}  // namespace ocs_influx::ocs_adapter
