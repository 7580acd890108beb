// Durable append throughput and latency of ~100-line chunks, with 1, 4 and 16
// appending threads, fsync on and off. Each iteration runs the threads for a
// fixed number of appends each and times the whole; acknowledging (so the
// disk does not fill) happens outside the timed part. BM_ReadAcknowledge
// times the writer thread's side: Read batches of 5,000 points and
// Acknowledge each, over a backlog appended outside the timed part.
// BM_AppendLarge appends one 4 MiB record (a full request chunk, see
// LineChunks) at a time, and BM_Open recovers (verifies every record of) a
// 64 MiB backlog: the two where the per-byte costs (checksum, copies) show.
//
// cpu_ns/point (cpu_ns/MB for the last two) is the CPU time of the whole
// process (getrusage: every thread, user and system) over the timed part
// divided by the points: unlike the wall-clock figures it holds on a busy
// machine shared with other work.
//
//   bazel run --config=opt //tests/spool:spool_benchmark
//
// The spool lives under $SPOOL_BENCH_DIR, else $TMPDIR, else /tmp: put it on
// the disk you care about, since fdatasync cost is what fsync=1 measures.
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/time.h"
#include "benchmark/benchmark.h"
#include "service/spool/spool.h"

namespace ocs_influx::spool {
namespace {

namespace fs = std::filesystem;

constexpr uint32_t kLinesPerChunk = 100;

std::string ChunkText() {
  std::string out;
  for (uint32_t i = 0; i < kLinesPerChunk; ++i) {
    absl::StrAppendFormat(&out,
                          "observatory.satp1.feeds.temperatures,feed=temps,agent=lakeshore372 "
                          "channel_%02d=%d.125 %d\n",
                          i, 273 + i, 1700000000000000000LL + i);
  }
  return out;
}

// CPU time of the whole process (all threads, user and system), in ns.
double ProcessCpuNs() {
  struct rusage ru;
  ::getrusage(RUSAGE_SELF, &ru);
  auto ns = [](const struct timeval& tv) { return tv.tv_sec * 1e9 + tv.tv_usec * 1e3; };
  return ns(ru.ru_utime) + ns(ru.ru_stime);
}

std::string BenchDir() {
  const char* base = std::getenv("SPOOL_BENCH_DIR");
  if (base == nullptr) base = std::getenv("TMPDIR");
  if (base == nullptr) base = "/tmp";
  std::string templ = absl::StrCat(base, "/spool_bench_XXXXXX");
  if (::mkdtemp(templ.data()) == nullptr) return "";
  return templ;
}

void BM_DurableAppend(benchmark::State& state) {
  const int threads = static_cast<int>(state.range(0));
  const bool fsync = state.range(1) != 0;
  const int appends_per_thread = fsync ? 64 : 1000;
  const std::string dir = BenchDir();
  SpoolOptions options;
  options.dir = dir;
  options.fsync = fsync;
  options.max_bytes = 16ull << 30;
  absl::StatusOr<std::unique_ptr<Spool>> opened = Spool::Open(options);
  if (!opened.ok()) {
    state.SkipWithError(opened.status().ToString().c_str());
    return;
  }
  Spool& spool = **opened;
  const std::string text = ChunkText();
  const Chunk chunk{text, kLinesPerChunk};

  std::vector<double> latencies_us;
  double total_seconds = 0, cpu_ns = 0;
  uint64_t total_appends = 0;
  for (auto _ : state) {
    std::vector<std::vector<double>> per_thread(threads);
    std::vector<std::thread> workers;
    const double cpu0 = ProcessCpuNs();
    auto start = std::chrono::steady_clock::now();
    for (int t = 0; t < threads; ++t) {
      workers.emplace_back([&, t] {
        per_thread[t].reserve(appends_per_thread);
        for (int i = 0; i < appends_per_thread; ++i) {
          auto t0 = std::chrono::steady_clock::now();
          absl::StatusOr<uint64_t> seq = spool.Append({&chunk, 1});
          auto t1 = std::chrono::steady_clock::now();
          if (!seq.ok()) std::abort();
          per_thread[t].push_back(std::chrono::duration<double, std::micro>(t1 - t0).count());
        }
      });
    }
    for (std::thread& w : workers) w.join();
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    cpu_ns += ProcessCpuNs() - cpu0;
    state.SetIterationTime(seconds);
    total_seconds += seconds;
    total_appends += static_cast<uint64_t>(threads) * appends_per_thread;
    for (const auto& v : per_thread) latencies_us.insert(latencies_us.end(), v.begin(), v.end());
    if (!spool.Acknowledge(spool.last_appended_seq()).ok()) std::abort();
  }

  std::sort(latencies_us.begin(), latencies_us.end());
  auto percentile = [&](double p) {
    return latencies_us.empty() ? 0.0 : latencies_us[static_cast<size_t>(p * (latencies_us.size() - 1))];
  };
  const SpoolStats stats = spool.Stats();
  state.counters["appends/s"] = total_appends / total_seconds;
  state.counters["points/s"] = total_appends * kLinesPerChunk / total_seconds;
  state.counters["MB/s"] = total_appends * (text.size() + 32) / total_seconds / 1e6;
  state.counters["cpu_ns/point"] = cpu_ns / (total_appends * kLinesPerChunk);
  state.counters["p50_us"] = percentile(0.50);
  state.counters["p99_us"] = percentile(0.99);
  state.counters["appends/fsync"] =
      stats.fsyncs == 0 ? 0.0 : static_cast<double>(stats.appends) / stats.fsyncs;
  opened->reset();
  fs::remove_all(dir);
}

void BM_ReadAcknowledge(benchmark::State& state) {
  const bool fsync = state.range(0) != 0;
  constexpr int kBacklog = 2000;  // chunks of 100 points
  const std::string dir = BenchDir();
  SpoolOptions options;
  options.dir = dir;
  options.fsync = fsync;
  options.max_bytes = 16ull << 30;
  options.segment_bytes = 4ull << 20;  // the drain crosses segments
  absl::StatusOr<std::unique_ptr<Spool>> opened = Spool::Open(options);
  if (!opened.ok()) {
    state.SkipWithError(opened.status().ToString().c_str());
    return;
  }
  Spool& spool = **opened;
  const std::string text = ChunkText();
  const std::vector<Chunk> chunks(100, Chunk{text, kLinesPerChunk});
  double total_seconds = 0, cpu_ns = 0;
  uint64_t total_points = 0;
  std::vector<Record> batch;
  for (auto _ : state) {
    for (int i = 0; i < kBacklog; i += static_cast<int>(chunks.size())) {
      if (!spool.Append(chunks).ok()) std::abort();
    }
    const double cpu0 = ProcessCpuNs();
    auto start = std::chrono::steady_clock::now();
    for (;;) {
      if (!spool.Read(5000, absl::ZeroDuration(), &batch).ok()) std::abort();
      if (batch.empty()) break;
      for (const Record& r : batch) total_points += r.points;
      if (!spool.Acknowledge(batch.back().seq).ok()) std::abort();
    }
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    cpu_ns += ProcessCpuNs() - cpu0;
    state.SetIterationTime(seconds);
    total_seconds += seconds;
  }
  state.counters["points/s"] = total_points / total_seconds;
  state.counters["MB/s"] = total_points / kLinesPerChunk * (text.size() + 32) / total_seconds / 1e6;
  state.counters["cpu_ns/point"] = cpu_ns / total_points;
  opened->reset();
  fs::remove_all(dir);
}

// A 4 MiB record of the benchmark's lines (about 40,000 points).
std::string LargeText() {
  const std::string text = ChunkText();
  std::string out;
  while (out.size() + text.size() <= (4u << 20)) out += text;
  return out;
}

// reuse 1: each new segment is written over the delivered one the spool
// keeps (SpareSegment); reuse 0: a new file each time, the delivered one
// deleted. 64 MiB segments: every second iteration rolls.
void BM_AppendLarge(benchmark::State& state) {
  const bool fsync = state.range(0) != 0;
  const std::string dir = BenchDir();
  SpoolOptions options;
  options.dir = dir;
  options.fsync = fsync;
  options.reuse_segments = state.range(1) != 0;
  options.max_bytes = 16ull << 30;
  absl::StatusOr<std::unique_ptr<Spool>> opened = Spool::Open(options);
  if (!opened.ok()) {
    state.SkipWithError(opened.status().ToString().c_str());
    return;
  }
  Spool& spool = **opened;
  const std::string text = LargeText();
  const Chunk chunk{text, static_cast<uint32_t>(text.size() / 100)};
  double total_seconds = 0, cpu_ns = 0;
  uint64_t bytes = 0;
  for (auto _ : state) {
    const double cpu0 = ProcessCpuNs();
    auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < 8; ++i) {
      if (!spool.Append({&chunk, 1}).ok()) std::abort();
    }
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    cpu_ns += ProcessCpuNs() - cpu0;
    state.SetIterationTime(seconds);
    total_seconds += seconds;
    bytes += 8 * (text.size() + 32);
    if (!spool.Acknowledge(spool.last_appended_seq()).ok()) std::abort();
  }
  state.counters["MB/s"] = bytes / total_seconds / 1e6;
  state.counters["cpu_ns/MB"] = cpu_ns / (bytes / 1e6);
  opened->reset();
  fs::remove_all(dir);
}

// Open over 64 MiB of unacknowledged ~10 KB records (in the page cache):
// recovery reads and checks every record's CRC.
void BM_Open(benchmark::State& state) {
  const std::string dir = BenchDir();
  SpoolOptions options;
  options.dir = dir;
  options.fsync = false;
  options.max_bytes = 16ull << 30;
  const std::string text = ChunkText();
  uint64_t backlog = 0;
  {
    absl::StatusOr<std::unique_ptr<Spool>> opened = Spool::Open(options);
    if (!opened.ok()) {
      state.SkipWithError(opened.status().ToString().c_str());
      return;
    }
    const std::vector<Chunk> chunks(100, Chunk{text, kLinesPerChunk});
    while (backlog < (64u << 20)) {
      if (!(*opened)->Append(chunks).ok()) std::abort();
      backlog += chunks.size() * (text.size() + 32);
    }
  }
  double total_seconds = 0, cpu_ns = 0;
  uint64_t bytes = 0;
  for (auto _ : state) {
    const double cpu0 = ProcessCpuNs();
    auto start = std::chrono::steady_clock::now();
    absl::StatusOr<std::unique_ptr<Spool>> opened = Spool::Open(options);
    if (!opened.ok() || (*opened)->Stats().bytes != backlog) std::abort();
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    cpu_ns += ProcessCpuNs() - cpu0;
    state.SetIterationTime(seconds);
    total_seconds += seconds;
    bytes += backlog;
  }
  state.counters["MB/s"] = bytes / total_seconds / 1e6;
  state.counters["cpu_ns/MB"] = cpu_ns / (bytes / 1e6);
  fs::remove_all(dir);
}

BENCHMARK(BM_ReadAcknowledge)
    ->Arg(1)
    ->Arg(0)
    ->ArgName("fsync")
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond)
    ->MinTime(1.0);

BENCHMARK(BM_AppendLarge)
    ->ArgsProduct({{1, 0}, {1, 0}})
    ->ArgNames({"fsync", "reuse"})
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond)
    ->MinTime(1.0);

BENCHMARK(BM_Open)->UseManualTime()->Unit(benchmark::kMillisecond)->MinTime(1.0);

BENCHMARK(BM_DurableAppend)
    ->ArgsProduct({{1, 4, 16}, {1, 0}})
    ->ArgNames({"threads", "fsync"})
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond)
    ->MinTime(1.0);

}  // namespace
}  // namespace ocs_influx::spool
