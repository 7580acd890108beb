#include "common/runtime/tuning.h"

#include <malloc.h>

#include <cstdlib>
#include <cstring>

#include "absl/synchronization/mutex.h"

namespace ocs_influx::runtime {

AllocatorTuning TuneProcess() {
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  AllocatorTuning tuning;
  const char* tunables = std::getenv("GLIBC_TUNABLES");
  if (tunables != nullptr && std::strstr(tunables, "glibc.malloc.") != nullptr) {
    return tuning;
  }
  // Both fixed, which also ends glibc's sliding thresholds. With the trim
  // threshold at 8 MiB `publisherctl write` still cost 4.3 us a point, at
  // 32 MiB 3.7 (docs/benchmarks.md). Blocks over 32 MiB (rare: a call is
  // at most 16 MiB) are still mapped and unmapped on their own.
  constexpr size_t kThreshold = size_t{32} << 20;
  constexpr int kArenas = 2;
  // Two arenas: the busy threads are few (a gRPC or WAMP thread, the
  // writer), and each arena warms up, faulting its pages in, and keeps
  // its own freed memory: with two, `publisherctl write` cost 3.1 us a
  // point against 3.7 with glibc's 8 per core, peak RSS 39 MB against 52,
  // and what is kept is bounded (2 x 32 MiB).
  tuning.applied = mallopt(M_MMAP_THRESHOLD, static_cast<int>(kThreshold)) == 1 &&
                   mallopt(M_TRIM_THRESHOLD, static_cast<int>(kThreshold)) == 1 &&
                   mallopt(M_ARENA_MAX, kArenas) == 1;
  if (tuning.applied) {
    tuning.mmap_threshold = kThreshold;
    tuning.trim_threshold = kThreshold;
    tuning.arenas = kArenas;
  }
  return tuning;
}

}  // namespace ocs_influx::runtime
