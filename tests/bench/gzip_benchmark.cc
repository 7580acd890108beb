// gzip of a /write body: zlib's deflate (what the client first used),
// libdeflate alone (what it used next) and //service/influx:gzip (what it
// uses now: ISA-L's igzip at level 1, libdeflate at 2-9), on the batch the
// writer sends by default: 5000 lines of 16 float fields, the shortest
// round-trip digits of a random walk, nanosecond timestamps 10 ms apart.
//
// Reports, besides time:
//   bytes_per_second  line protocol bytes compressed
//   ratio             line protocol bytes / gzip bytes
//   allocs_per_batch  heap allocations per compressed batch, after warm-up
//
//   bazel run --config=opt //tests/bench:gzip_benchmark
#include <libdeflate.h>
#include <zlib.h>

#include <atomic>
#include <charconv>
#include <climits>
#include <cstdint>
#include <cstdlib>
#include <new>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "benchmark/benchmark.h"
#include "service/influx/gzip.h"

// Every operator new of the process is counted; frees are passed through.
static std::atomic<uint64_t> g_allocs{0};
void* operator new(size_t n) {
  g_allocs.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, size_t) noexcept { std::free(p); }

namespace {

std::string Batch(int lines = 5000, int fields = 16) {
  std::mt19937_64 rng(42);
  std::normal_distribution<double> step(0.0, 0.01);
  std::vector<double> v(fields);
  for (int f = 0; f < fields; ++f) v[f] = 1.0 + f;
  std::string out;
  char digits[32];
  int64_t t = 1700000000000000000LL;
  for (int i = 0; i < lines; ++i) {
    absl::StrAppend(&out, "observatory.lat1.feeds.temperatures,feed=temps ");
    for (int f = 0; f < fields; ++f) {
      v[f] += step(rng);
      const auto r = std::to_chars(digits, digits + sizeof(digits), v[f]);
      absl::StrAppend(&out, f == 0 ? "" : ",", "channel_", f < 10 ? "0" : "", f, "=",
                      absl::string_view(digits, r.ptr - digits));
    }
    absl::StrAppend(&out, " ", t, "\n");
    t += 10000000;
  }
  return out;
}

const std::string& TheBatch() {
  static const std::string* b = new std::string(Batch());
  return *b;
}

// The client's former Gzip(): one z_stream reset per batch, output buffer
// of deflateBound, one Z_FINISH.
class ZlibGzip {
 public:
  explicit ZlibGzip(int level) {
    if (deflateInit2(&zs_, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) std::abort();
  }
  ~ZlibGzip() { deflateEnd(&zs_); }
  size_t Compress(const std::string& in) {
    if (deflateReset(&zs_) != Z_OK) std::abort();
    const size_t bound = deflateBound(&zs_, static_cast<uLong>(in.size()));
    if (out_.size() < bound) out_.resize(bound);
    zs_.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
    zs_.avail_in = static_cast<uInt>(in.size());
    zs_.next_out = out_.data();
    zs_.avail_out = static_cast<uInt>(out_.size());
    if (deflate(&zs_, Z_FINISH) != Z_STREAM_END) std::abort();
    return zs_.total_out;
  }

 private:
  z_stream zs_{};
  std::vector<unsigned char> out_;
};

void Report(benchmark::State& state, size_t in, size_t out, uint64_t allocs) {
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * in));
  state.counters["ratio"] = static_cast<double>(in) / static_cast<double>(out);
  state.counters["allocs_per_batch"] =
      static_cast<double>(allocs) / static_cast<double>(state.iterations());
}

void BM_Gzip_zlib(benchmark::State& state) {
  const std::string& in = TheBatch();
  ZlibGzip z(static_cast<int>(state.range(0)));
  size_t n = z.Compress(in);  // warm-up: the buffer grows once
  const uint64_t a0 = g_allocs.load();
  for (auto _ : state) {
    n = z.Compress(in);
    benchmark::DoNotOptimize(n);
  }
  Report(state, in.size(), n, g_allocs.load() - a0);
}

void BM_Gzip_libdeflate(benchmark::State& state) {
  const std::string& in = TheBatch();
  libdeflate_compressor* c = libdeflate_alloc_compressor(static_cast<int>(state.range(0)));
  if (c == nullptr) std::abort();
  std::vector<char> out(libdeflate_gzip_compress_bound(c, in.size()));
  size_t n = 0;
  const uint64_t a0 = g_allocs.load();
  for (auto _ : state) {
    n = libdeflate_gzip_compress(c, in.data(), in.size(), out.data(), out.size());
    benchmark::DoNotOptimize(n);
  }
  Report(state, in.size(), n, g_allocs.load() - a0);
  libdeflate_free_compressor(c);
}

void BM_Gzip_client(benchmark::State& state) {
  const std::string& in = TheBatch();
  auto g = ocs_influx::influx::GzipCompressor::Create(static_cast<int>(state.range(0)));
  if (!g.ok()) std::abort();
  size_t n = g->Compress(in)->size();
  const uint64_t a0 = g_allocs.load();
  for (auto _ : state) {
    n = g->Compress(in)->size();
    benchmark::DoNotOptimize(n);
  }
  Report(state, in.size(), n, g_allocs.load() - a0);
}

BENCHMARK(BM_Gzip_zlib)->Arg(1)->Arg(6)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_Gzip_libdeflate)->Arg(1)->Arg(6)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_Gzip_client)->Arg(1)->Arg(6)->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
