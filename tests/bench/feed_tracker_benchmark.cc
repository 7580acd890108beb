// Per-feed health's cost per point: FeedTracker::Accepted (every request)
// and ::Written (every acknowledged batch) over lines shaped as the load
// generator's and an OCS feed's (16 float fields), in runs of one series
// (the common case: an OCS feed is one run) and, the worst case, every line
// a different feed of 100.
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "benchmark/benchmark.h"
#include "service/engine/feed_tracker.h"

namespace ocs_influx::server {
namespace {

constexpr int kLines = 5000;

std::string Lines(int feeds, bool interleaved) {
  std::string out;
  for (int i = 0; i < kLines; ++i) {
    int feed = interleaved ? i % feeds : i * feeds / kLines;
    absl::StrAppend(&out, "observatory.fake-data", feed % 7, ",feed=false_temperatures_",
                    feed, " ");
    for (int k = 0; k < 16; ++k) {
      absl::StrAppend(&out, k == 0 ? "" : ",", "channel_", k, "=", 0.001 * i + k);
    }
    absl::StrAppend(&out, " ", 1700000000000000000LL + i, "\n");
  }
  return out;
}

void BM_Accepted(benchmark::State& state) {
  const std::string lines = Lines(static_cast<int>(state.range(0)), state.range(1) != 0);
  FeedTracker tracker(absl::Seconds(60));
  const absl::Time now = absl::Now();
  for (auto _ : state) tracker.Accepted(lines, now);
  state.SetItemsProcessed(state.iterations() * kLines);
  state.SetBytesProcessed(state.iterations() * lines.size());
}
BENCHMARK(BM_Accepted)
    ->ArgNames({"feeds", "interleaved"})
    ->Args({10, 0})
    ->Args({100, 1});

void BM_Written(benchmark::State& state) {
  const std::string lines = Lines(static_cast<int>(state.range(0)), state.range(1) != 0);
  FeedTracker tracker(absl::Seconds(60));
  tracker.Accepted(lines, absl::Now());
  for (auto _ : state) tracker.Written(lines);
  state.SetItemsProcessed(state.iterations() * kLines);
}
BENCHMARK(BM_Written)->ArgNames({"feeds", "interleaved"})->Args({10, 0})->Args({100, 1});

}  // namespace
}  // namespace ocs_influx::server

BENCHMARK_MAIN();
