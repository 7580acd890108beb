// For tuning_test: a program whose main calls TuneProcess(argv) as the
// publisher's does, then reports on stdout what it runs with: the tuning,
// its pid, its arguments, GLIBC_TUNABLES, and the transparent huge pages
// of a 16 MiB heap block it touched.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "common/runtime/tuning.h"

namespace {

long AnonHugePagesKb() {
  std::ifstream rollup("/proc/self/smaps_rollup");
  std::string line;
  while (std::getline(rollup, line)) {
    if (line.rfind("AnonHugePages:", 0) == 0) return std::atol(line.c_str() + 14);
  }
  return -1;
}

}  // namespace

int main(int argc, char** argv) {
  const ocs_influx::runtime::AllocatorTuning tuning = ocs_influx::runtime::TuneProcess(argv);
  // Under the 32 MiB mmap threshold, so from the heap.
  constexpr size_t kBlock = size_t{16} << 20;
  const std::vector<char> block(kBlock, 1);
  const char* tunables = std::getenv("GLIBC_TUNABLES");
  std::printf("how=%d\npid=%d\n", static_cast<int>(tuning.how), static_cast<int>(getpid()));
  for (int i = 1; i < argc; ++i) std::printf("arg=%s\n", argv[i]);
  std::printf("tunables=%s\nhuge_kb=%ld\nblock=%d\n", tunables == nullptr ? "" : tunables,
              AnonHugePagesKb(), block[kBlock - 1]);
  return 0;
}
