// TuneProcess keeps freed memory: what a large request allocates and frees
// again and again costs no page faults once warm, where glibc's defaults
// unmap it and fault it in anew each time. GLIBC_TUNABLES naming malloc
// tunables leaves the allocator alone.
#include "common/runtime/tuning.h"

#include <sys/resource.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace ocs_influx::runtime {
namespace {

// Keeps the rounds' work observable.
volatile int observed = 0;

long MinorFaults() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_minflt;
}

// Minor page faults over `rounds` of what a large gRPC request does to the
// heap: a string grown in 64 KiB pieces to 4 MiB (each step reallocates),
// beside a 3 MiB buffer, all freed at the end of the round.
long FaultsOfRounds(int rounds) {
  const long before = MinorFaults();
  const std::string piece(64 << 10, 'x');
  for (int i = 0; i < rounds; ++i) {
    std::string message;
    while (message.size() < (size_t{4} << 20)) message += piece;
    std::vector<char> buffer(size_t{3} << 20, static_cast<char>(i));
    observed += message[i] + buffer[i];
  }
  return MinorFaults() - before;
}

// Runs first (gtest keeps the order of a file): the env check must not
// depend on mallopt calls made by the other test.
TEST(TuneProcessTest, OperatorsTunablesWin) {
  ASSERT_EQ(setenv("GLIBC_TUNABLES", "glibc.malloc.trim_threshold=1000000", 1), 0);
  EXPECT_FALSE(TuneProcess().applied);
  ASSERT_EQ(unsetenv("GLIBC_TUNABLES"), 0);
}

TEST(TuneProcessTest, FreedBlocksAreReusedWithoutPageFaults) {
#if defined(__SANITIZE_ADDRESS__)
  GTEST_SKIP() << "under ASan, malloc is ASan's, not glibc's";
#endif
  constexpr int kRounds = 20;
  FaultsOfRounds(2);  // warm
  const long untuned = FaultsOfRounds(kRounds);
  // glibc's defaults hand most of each round's 7 MiB back to the kernel
  // and fault it in again (about 2,000 pages a round here).
  EXPECT_GT(untuned, kRounds * 500);

  const AllocatorTuning tuning = TuneProcess();
  ASSERT_TRUE(tuning.applied);
  EXPECT_EQ(tuning.trim_threshold, size_t{32} << 20);
  EXPECT_EQ(tuning.arenas, 2);
  FaultsOfRounds(2);  // warm: the heap grows once
  const long tuned = FaultsOfRounds(kRounds);
  EXPECT_LT(tuned, 64) << "freed memory was faulted in again: " << tuned
                       << " faults, against " << untuned << " untuned";
}

}  // namespace
}  // namespace ocs_influx::runtime
