// When the WAMP thread pauses between EVENTs. Publications trickle in one
// WebSocket message at a time (4 agents at 20,000 points/s: 200 a second,
// 5 ms apart), and each woke the thread from epoll_wait: on this
// project's VM a wake-up costs about 17 us, the thread's largest single
// cost. After an EVENT that woke it, the thread pauses, the publications
// that arrive meanwhile gather in the socket, and it then reads and
// handles them back to back: one wake-up for many (docs/benchmarks.md,
// "Issue 10, sixth round"). An EVENT handled right after the previous
// one (a backlog) never pauses, so the pause never limits throughput; it
// only delays what arrives during it, by at most `pause`.
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

  // An EVENT was handled from `started` to `now`: how long to pause before
  // the next message. The caller pauses, then nothing else is handled
  // until the pause is over.
  absl::Duration PauseAfter(absl::Time started, absl::Time now);

 private:
  const absl::Duration pause_;
  absl::Time last_end_ = absl::InfinitePast();
};

}  // namespace ocs_influx::ocs_adapter

#endif  // OCS_INFLUX_OCS_ADAPTER_EVENT_PACER_H_
