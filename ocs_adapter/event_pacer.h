// When the WAMP thread pauses between EVENTs. Publications trickle in one
// WebSocket message at a time (4 agents at 20,000 points/s: 200 a second,
// 5 ms apart), and each woke the thread from epoll_wait: on this
// project's VM a wake-up costs about 17 us, the thread's largest single
// cost. After an EVENT that woke it, the thread pauses, the publications
// that arrive meanwhile gather in the socket, and it then reads and
// handles them back to back: one wake-up for many (docs/benchmarks.md,
// "Issue 10, sixth round").
//
// Never in a backlog: an EVENT handled right after the previous one's end
// (or the end of a pause) found its message already read, and the caller
// does not pause while bytes wait in the socket either, so a pause only
// delays what arrives during it, by at most `pause`, and never limits
// throughput. The end is taken after the pause, as it really ended: a
// thread that overslept is not taken for one that was woken.
#ifndef OCS_INFLUX_OCS_ADAPTER_EVENT_PACER_H_
#define OCS_INFLUX_OCS_ADAPTER_EVENT_PACER_H_

#include "absl/time/time.h"

namespace ocs_influx::ocs_adapter {

class EventPacer {
 public:
  // Handling that starts within this of the previous one's end is part of
  // the same burst: the thread found the message already there.
  static constexpr absl::Duration kBurstGap = absl::Microseconds(500);

  // Zero: never pause.
  explicit EventPacer(absl::Duration pause) : pause_(pause) {}

  absl::Duration pause() const { return pause_; }

  // Whether an EVENT whose handling started at `started` woke the thread
  // (rather than being part of a burst), and a pause is configured.
  bool Woke(absl::Time started) const {
    return pause_ > absl::ZeroDuration() && started - last_end_ > kBurstGap;
  }

  // The handling of an EVENT, and its pause if any, ended at `now`.
  void Ended(absl::Time now) { last_end_ = now; }

 private:
  const absl::Duration pause_;
  absl::Time last_end_ = absl::InfinitePast();
};

}  // namespace ocs_influx::ocs_adapter

#endif  // OCS_INFLUX_OCS_ADAPTER_EVENT_PACER_H_
