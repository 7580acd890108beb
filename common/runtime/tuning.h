// Process-wide settings both programs apply first thing in main(), before
// any thread starts: they trade a bounded amount of memory for CPU on the
// ingest path. Tests do not call this (they keep Abseil's checks).
#ifndef OCS_INFLUX_COMMON_RUNTIME_TUNING_H_
#define OCS_INFLUX_COMMON_RUNTIME_TUNING_H_

#include <cstddef>

namespace ocs_influx::runtime {

// What TuneProcess() set; also for the start-up log line.
struct AllocatorTuning {
  bool applied = false;  // false when GLIBC_TUNABLES set malloc tunables
  size_t mmap_threshold = 0;
  size_t trim_threshold = 0;
  int arenas = 0;
};

// * Abseil's deadlock detection off: Debian's Abseil is built with its debug
//   checks, and every Mutex lock then updates a lock-order graph.
// * glibc malloc keeps freed memory, up to 32 MiB in each of 2 arenas,
//   instead of handing it back to the kernel after each large request:
//   the buffers of a 2 MiB gRPC message were otherwise faulted in again,
//   page by page, on every call (page faults and the copies into fresh
//   pages were over half of the publisher's CPU on `publisherctl write`
//   on this project's virtual machine). An operator's own glibc.malloc.*
//   GLIBC_TUNABLES take precedence.
AllocatorTuning TuneProcess();

}  // namespace ocs_influx::runtime

#endif  // OCS_INFLUX_COMMON_RUNTIME_TUNING_H_
