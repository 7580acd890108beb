// The one way to wait in this project: capped exponential backoff with
// jitter, slept through a StopSignal that Stop() can cut short. The writer's
// retries, the adapter's ingest retries and its rejoin loop all use these,
// so every retry loop backs off the same way and every one of them ends
// promptly at shutdown instead of finishing its sleep.
#ifndef OCS_INFLUX_COMMON_BACKOFF_BACKOFF_H_
#define OCS_INFLUX_COMMON_BACKOFF_BACKOFF_H_

#include <cstdint>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace ocs_influx {

// Delays of initial, 2x, 4x ... capped at max, each scaled by a random
// factor in [0.5, 1.0] so that many clients of one server do not retry in
// step. Not thread-safe: one per retry loop.
class Backoff {
 public:
  Backoff(absl::Duration initial, absl::Duration max);

  // The delay before the next attempt; grows the following one.
  absl::Duration Next();
  // After a success: the next failure waits `initial` again.
  void Reset();
  // How many Next() calls since the last Reset().
  int attempts() const { return attempts_; }

 private:
  const absl::Duration initial_;
  const absl::Duration max_;
  absl::Duration current_;
  int attempts_ = 0;
  uint64_t rng_ = 0;  // xorshift state, seeded by the first Next()
};

// A flag that threads sleep on. Stop() wakes every sleeper at once and makes
// later sleeps return at once; nothing polls.
class StopSignal {
 public:
  // Sleeps `d` (or until `deadline`); false if stopped before or during it.
  bool SleepFor(absl::Duration d) { return SleepUntil(absl::Now() + d); }
  bool SleepUntil(absl::Time deadline);

  void Stop();
  bool stopped() const;

 private:
  mutable absl::Mutex mu_;
  bool stopped_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace ocs_influx

#endif  // OCS_INFLUX_COMMON_BACKOFF_BACKOFF_H_
