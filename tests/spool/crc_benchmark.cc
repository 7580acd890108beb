// The record checksum alone: zlib's table CRC-32 (what the spool used up to
// issue 10) against libdeflate's carry-less-multiplication CRC-32 (what it
// uses now), over record payload sizes from a few KiB (one publication) to
// 4 MiB (a full request chunk, see LineChunks). Both compute the same
// standard CRC-32, which record_format_test checks.
//
//   bazel run --config=opt //tests/spool:crc_benchmark
#include <libdeflate.h>
#include <zlib.h>

#include <cstdint>
#include <random>
#include <string>

#include "benchmark/benchmark.h"

namespace {

std::string Payload(size_t size) {
  std::mt19937 rng(7);
  std::string out(size, '\0');
  for (char& c : out) c = static_cast<char>(' ' + rng() % 95);
  return out;
}

void BM_Crc32Zlib(benchmark::State& state) {
  const std::string data = Payload(static_cast<size_t>(state.range(0)));
  for (auto _ : state) {
    uLong c = crc32(0L, reinterpret_cast<const Bytef*>(data.data()), static_cast<uInt>(data.size()));
    benchmark::DoNotOptimize(c);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * state.range(0));
}

void BM_Crc32Libdeflate(benchmark::State& state) {
  const std::string data = Payload(static_cast<size_t>(state.range(0)));
  for (auto _ : state) {
    uint32_t c = libdeflate_crc32(0, data.data(), data.size());
    benchmark::DoNotOptimize(c);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * state.range(0));
}

BENCHMARK(BM_Crc32Zlib)->RangeMultiplier(4)->Range(4 << 10, 4 << 20);
BENCHMARK(BM_Crc32Libdeflate)->RangeMultiplier(4)->Range(4 << 10, 4 << 20);

}  // namespace
