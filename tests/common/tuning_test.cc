// TuneProcess keeps freed memory: what a large request allocates and frees
// again and again costs no page faults once warm, where glibc's defaults
// unmap it and fault it in anew each time. Given argv, it runs the program
// again, same pid and arguments, with the malloc tunables (huge pages
// included) in GLIBC_TUNABLES. GLIBC_TUNABLES naming malloc tunables
// leaves the allocator alone.
#include "common/runtime/tuning.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "gtest/gtest.h"

extern char** environ;

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
  EXPECT_EQ(TuneProcess(nullptr).how, AllocatorTuning::How::kOperator);
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

  const AllocatorTuning tuning = TuneProcess(nullptr);
  ASSERT_EQ(tuning.how, AllocatorTuning::How::kMallopt);
  EXPECT_EQ(tuning.trim_threshold, size_t{32} << 20);
  EXPECT_EQ(tuning.arenas, 2);
  FaultsOfRounds(2);  // warm: the heap grows once
  const long tuned = FaultsOfRounds(kRounds);
  EXPECT_LT(tuned, 64) << "freed memory was faulted in again: " << tuned
                       << " faults, against " << untuned << " untuned";
}

struct ProbeRun {
  pid_t pid = -1;
  int exit_status = -1;
  std::vector<std::string> lines;

  // The value of the first "key=value" line, or "" without one.
  std::string Get(const std::string& key) const {
    for (const std::string& line : lines) {
      absl::string_view rest = line;
      if (absl::ConsumePrefix(&rest, key + "=")) return std::string(rest);
    }
    return "";
  }
};

// Runs tuning_probe with `args` and GLIBC_TUNABLES = `tunables` (unset
// when null); its stdout goes to a file read back after it exits.
ProbeRun RunProbe(const std::vector<std::string>& args, const char* tunables) {
  ProbeRun run;
  const std::string out = std::string(std::getenv("TEST_TMPDIR")) + "/probe.out";
  std::vector<std::string> env_strings;
  for (char** e = environ; *e != nullptr; ++e) {
    if (std::string(*e).rfind("GLIBC_TUNABLES=", 0) != 0) env_strings.push_back(*e);
  }
  if (tunables != nullptr) env_strings.push_back(std::string("GLIBC_TUNABLES=") + tunables);
  std::vector<char*> env;
  for (std::string& e : env_strings) env.push_back(e.data());
  env.push_back(nullptr);
  std::vector<std::string> arg_strings = {"tests/common/tuning_probe"};
  arg_strings.insert(arg_strings.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& a : arg_strings) argv.push_back(a.data());
  argv.push_back(nullptr);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, out.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                   0600);
  const int spawned =
      posix_spawn(&run.pid, argv[0], &actions, nullptr, argv.data(), env.data());
  posix_spawn_file_actions_destroy(&actions);
  if (spawned != 0) return run;
  int status = 0;
  if (waitpid(run.pid, &status, 0) == run.pid && WIFEXITED(status)) {
    run.exit_status = WEXITSTATUS(status);
  }
  std::ifstream in(out);
  for (std::string line; std::getline(in, line);) run.lines.push_back(line);
  return run;
}

bool TransparentHugePagesOnRequest() {
  std::ifstream in("/sys/kernel/mm/transparent_hugepage/enabled");
  std::string setting;
  std::getline(in, setting);
  return setting.find("[always]") != std::string::npos ||
         setting.find("[madvise]") != std::string::npos;
}

TEST(TuneProcessTest, RunsAgainInPlaceWithTheTunablesAndTheSameArguments) {
  const ProbeRun run = RunProbe({"--flag", "two words", ""}, "glibc.cpu.x86_ibt=on");
  ASSERT_EQ(run.exit_status, 0);
  EXPECT_EQ(run.Get("how"), std::to_string(static_cast<int>(AllocatorTuning::How::kTunables)));
  // The same process: whoever started it (systemd, a test) still has it.
  EXPECT_EQ(run.Get("pid"), std::to_string(run.pid));
  // Still found by its name (`pgrep`, `ps -C`), not as "exe".
  EXPECT_EQ(run.Get("comm"), "tuning_probe");
  EXPECT_EQ(run.Get("tunables"),
            std::string("glibc.cpu.x86_ibt=on:") + kAllocatorTunables);
  std::vector<std::string> args;
  for (const std::string& line : run.lines) {
    if (line.rfind("arg=", 0) == 0) args.push_back(line.substr(4));
  }
  EXPECT_EQ(args, (std::vector<std::string>{"--flag", "two words", ""}));
  // Two threads allocated, one arena: with an arena per thread the
  // publisher's first large write faulted 3,400-4,500 pages, 12-14 so.
  EXPECT_EQ(run.Get("arenas"), "1");
#if !defined(__SANITIZE_ADDRESS__)
  if (TransparentHugePagesOnRequest()) {
    // glibc put the heap in huge pages: each 16 MiB block, the main
    // thread's and another thread's, is mostly in them.
    EXPECT_GE(std::atol(run.Get("huge_main_kb").c_str()), 8 << 10);
    EXPECT_GE(std::atol(run.Get("huge_thread_kb").c_str()), 8 << 10)
        << "a thread's allocations are not in huge pages (an arena of its own?)";
  }
#endif
}

TEST(TuneProcessTest, AnOperatorsMallocTunablesAreNotReplaced) {
  const ProbeRun run = RunProbe({}, "glibc.malloc.arena_max=4");
  ASSERT_EQ(run.exit_status, 0);
  EXPECT_EQ(run.Get("how"), std::to_string(static_cast<int>(AllocatorTuning::How::kOperator)));
  EXPECT_EQ(run.Get("tunables"), "glibc.malloc.arena_max=4");
}

TEST(TuneProcessTest, WithoutTunablesAtAllTheyAreAdded) {
  const ProbeRun run = RunProbe({}, nullptr);
  ASSERT_EQ(run.exit_status, 0);
  EXPECT_EQ(run.Get("how"), std::to_string(static_cast<int>(AllocatorTuning::How::kTunables)));
  EXPECT_EQ(run.Get("tunables"), kAllocatorTunables);
}

}  // namespace
}  // namespace ocs_influx::runtime
