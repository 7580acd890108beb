// For tuning_test: a program whose main calls TuneProcess(argv) as the
// publisher's does, then reports on stdout what it runs with: the tuning,
// its pid, its name, its arguments, GLIBC_TUNABLES, and the transparent
// huge pages of a 16 MiB heap block it touched, then of one more touched
// by another thread (glibc gives threads arenas of their own unless told
// one).
#include <malloc.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <thread>
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

// The arenas malloc has made, from malloc_info's report.
int Arenas() {
  char* text = nullptr;
  size_t size = 0;
  FILE* out = open_memstream(&text, &size);
  if (out == nullptr) return -1;
  malloc_info(0, out);
  std::fclose(out);
  int arenas = 0;
  for (const char* at = text; (at = std::strstr(at, "<heap nr=")) != nullptr; ++at) ++arenas;
  std::free(text);
  return arenas;
}

}  // namespace

int main(int argc, char** argv) {
  const ocs_influx::runtime::AllocatorTuning tuning = ocs_influx::runtime::TuneProcess(argv);
  // Under the 32 MiB mmap threshold, so from the heap.
  constexpr size_t kBlock = size_t{16} << 20;
  const std::vector<char> block(kBlock, 1);
  const long huge_main_kb = AnonHugePagesKb();
  std::vector<char> thread_block;
  std::thread([&thread_block] { thread_block.assign(kBlock, 2); }).join();
  const char* tunables = std::getenv("GLIBC_TUNABLES");
  std::printf("how=%d\npid=%d\n", static_cast<int>(tuning.how), static_cast<int>(getpid()));
  std::ifstream comm("/proc/self/comm");
  std::string name;
  std::getline(comm, name);
  std::printf("comm=%s\n", name.c_str());
  for (int i = 1; i < argc; ++i) std::printf("arg=%s\n", argv[i]);
  std::printf("arenas=%d\n", Arenas());
  std::printf("tunables=%s\nhuge_main_kb=%ld\nhuge_thread_kb=%ld\nblock=%d\n",
              tunables == nullptr ? "" : tunables, huge_main_kb,
              AnonHugePagesKb() - huge_main_kb, block[kBlock - 1] + thread_block[0]);
  return 0;
}
