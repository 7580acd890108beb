#include "ocs_adapter/event_pacer.h"

namespace ocs_influx::ocs_adapter {

absl::Duration EventPacer::PauseAfter(absl::Time started, absl::Time now) {
  // The thread was idle before this EVENT if it started well after the
  // last one (and its pause) ended: it was woken for it.
  const bool woken = started - last_end_ > kBurstGap;
  const absl::Duration pause = woken && pause_ > absl::ZeroDuration() ? pause_
                                                                      : absl::ZeroDuration();
  last_end_ = now + pause;
  return pause;
}

}  // namespace ocs_influx::ocs_adapter
