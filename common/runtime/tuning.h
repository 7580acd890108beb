// Process-wide settings both programs apply first thing in main(), before
// any thread starts: they trade a bounded amount of memory for CPU on the
// ingest path. Tests do not call this (they keep Abseil's checks).
#ifndef OCS_INFLUX_COMMON_RUNTIME_TUNING_H_
#define OCS_INFLUX_COMMON_RUNTIME_TUNING_H_

#include <cstddef>
#include <string>

namespace ocs_influx::runtime {

// The malloc settings, as GLIBC_TUNABLES spells them. One arena: with
// huge pages and glibc's arena per busy thread, the publisher still
// faulted 3,400-4,500 pages in its first `publisherctl write` of 300,000
// points, 12-14 with one arena (2.5 us a point against 2.1-2.3).
inline constexpr char kAllocatorTunables[] =
    "glibc.malloc.hugetlb=1:glibc.malloc.mmap_threshold=33554432:"
    "glibc.malloc.trim_threshold=33554432:glibc.malloc.arena_max=1";

// What TuneProcess() set up; for the start-up log line.
struct AllocatorTuning {
  enum class How {
    kTunables,  // the process runs with kAllocatorTunables (re-executed)
    kMallopt,   // the thresholds and arenas by mallopt, no huge pages
    kOperator,  // GLIBC_TUNABLES named glibc.malloc.* already: left alone
    kFailed,    // mallopt refused
  };
  How how = How::kFailed;
  // When a re-execution was tried and failed: why.
  std::string reexec_error;
  // For How::kMallopt.
  size_t mmap_threshold = 0;
  size_t trim_threshold = 0;
  int arenas = 0;
};

// * Abseil's deadlock detection off: Debian's Abseil is built with its debug
//   checks, and every Mutex lock then updates a lock-order graph.
// * glibc malloc keeps freed memory, up to 32 MiB per arena,
//   instead of handing it back to the kernel after each large request:
//   the buffers of a 2 MiB gRPC message were otherwise faulted in again,
//   page by page, on every call (page faults and the copies into fresh
//   pages were over half of the publisher's CPU on `publisherctl write`
//   on this project's virtual machine).
// * and the heap in transparent huge pages where the kernel allows them
//   on request (THP "madvise" or "always"): one fault per 2 MiB instead of
//   512 while the heap warms up. Only glibc's own start-up reads that
//   setting (glibc.malloc.hugetlb), so with `argv` given TuneProcess
//   executes the program again, same pid and arguments, with
//   kAllocatorTunables added to GLIBC_TUNABLES; it returns in the new
//   image, which keeps the process name argv[0] gave it (not "exe").
//   Without `argv`, or when the exec fails, mallopt sets the rest.
// An operator's own glibc.malloc.* GLIBC_TUNABLES take precedence.
AllocatorTuning TuneProcess(char** argv);

// The start-up log line's words for `tuning`.
std::string Describe(const AllocatorTuning& tuning);

}  // namespace ocs_influx::runtime

#endif  // OCS_INFLUX_COMMON_RUNTIME_TUNING_H_
