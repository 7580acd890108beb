#include "common/runtime/tuning.h"

#include <malloc.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"

namespace ocs_influx::runtime {
namespace {

AllocatorTuning TuneByMallopt(AllocatorTuning tuning) {
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
  if (mallopt(M_MMAP_THRESHOLD, static_cast<int>(kThreshold)) == 1 &&
      mallopt(M_TRIM_THRESHOLD, static_cast<int>(kThreshold)) == 1 &&
      mallopt(M_ARENA_MAX, kArenas) == 1) {
    tuning.how = AllocatorTuning::How::kMallopt;
    tuning.mmap_threshold = kThreshold;
    tuning.trim_threshold = kThreshold;
    tuning.arenas = kArenas;
  }
  return tuning;
}

// An image started through /proc/self/exe is named "exe" by the kernel,
// which `ps -C`, `pgrep`, `top` and `killall` then show and match: it gets
// the name it was started by back.
void RestoreNameAfterReexec(const char* argv0) {
  std::ifstream comm("/proc/self/comm");
  std::string name;
  if (argv0 == nullptr || !std::getline(comm, name) || name != "exe") return;
  const char* slash = std::strrchr(argv0, '/');
  const std::string base = slash == nullptr ? argv0 : slash + 1;
  // The kernel keeps 15 bytes of it, as it would have at the first exec.
  if (!base.empty()) prctl(PR_SET_NAME, base.substr(0, 15).c_str(), 0, 0, 0);
}

}  // namespace

AllocatorTuning TuneProcess(char** argv) {
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  AllocatorTuning tuning;
  const char* tunables = std::getenv("GLIBC_TUNABLES");
  const std::string before = tunables == nullptr ? "" : tunables;
  if (before.find(kAllocatorTunables) != std::string::npos) {
    if (argv != nullptr) RestoreNameAfterReexec(argv[0]);
    tuning.how = AllocatorTuning::How::kTunables;
    return tuning;
  }
  if (before.find("glibc.malloc.") != std::string::npos) {
    tuning.how = AllocatorTuning::How::kOperator;
    return tuning;
  }
  if (argv != nullptr && argv[0] != nullptr) {
    // The loop ends there: the new image finds kAllocatorTunables above.
    const std::string after =
        before.empty() ? kAllocatorTunables : absl::StrCat(before, ":", kAllocatorTunables);
    if (setenv("GLIBC_TUNABLES", after.c_str(), 1) == 0) {
      execv("/proc/self/exe", argv);
      tuning.reexec_error = absl::StrCat("exec /proc/self/exe: ", std::strerror(errno));
      if (tunables == nullptr) {
        unsetenv("GLIBC_TUNABLES");
      } else {
        setenv("GLIBC_TUNABLES", before.c_str(), 1);
      }
    } else {
      tuning.reexec_error = absl::StrCat("setenv: ", std::strerror(errno));
    }
  }
  return TuneByMallopt(std::move(tuning));
}

std::string Describe(const AllocatorTuning& tuning) {
  std::string text;
  switch (tuning.how) {
    case AllocatorTuning::How::kTunables:
      text = absl::StrCat("malloc keeps up to 32 MiB freed, one arena, heap in "
                          "transparent huge pages where the kernel allows (GLIBC_TUNABLES ",
                          kAllocatorTunables, ")");
      break;
    case AllocatorTuning::How::kMallopt:
      text = absl::StrCat("malloc keeps up to ", tuning.trim_threshold >> 20,
                          " MiB freed per arena, ", tuning.arenas,
                          " arenas (mallopt; no huge pages)");
      break;
    case AllocatorTuning::How::kOperator:
      text = "malloc as GLIBC_TUNABLES sets it (it names glibc.malloc.*)";
      break;
    case AllocatorTuning::How::kFailed:
      text = "malloc left as glibc sets it (mallopt refused)";
      break;
  }
  if (!tuning.reexec_error.empty()) {
    absl::StrAppend(&text, "; could not run again with huge pages: ", tuning.reexec_error);
  }
  return text;
}

}  // namespace ocs_influx::runtime
