// Microbenchmarks of the pure core: typed points to line protocol, OCS feed
// conversion, line protocol parse + re-encode, and JSON publication decode.
//
// Every benchmark reports, besides time:
//   items_per_second  fields/s (points/s for the JSON decode)
//   bytes_per_second  line protocol bytes written (JSON bytes read for the
//                     decode)
//   allocs_per_point  heap allocations (every operator new of the process)
//                     per point, counted over the timed loop only, after one
//                     warm-up call has grown the reused buffers.
//
// Run optimised (see docs/benchmarks.md):
//   bazel run --config=opt //tests/bench:core_benchmark -- --benchmark_min_time=1
#include <atomic>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <new>
#include <random>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "benchmark/benchmark.h"
#include "proto/publisher.pb.h"
#include "service/core/feed_convert.h"
#include "service/core/float_format.h"
#include "service/core/line_chunks.h"
#include "service/core/line_parser.h"
#include "service/core/point_encoder.h"
#include "service/core/publication.h"

// ------------------------------------------------------- allocation counter
//
// Every replaceable global operator new/delete is replaced, so allocations
// made anywhere in the process (this binary, libstdc++, libprotobuf, Abseil)
// are counted. Only allocations are counted; frees are passed through.

namespace {

std::atomic<uint64_t> g_allocations{0};

inline void* CountedAlloc(std::size_t size) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  if (size == 0) size = 1;
  return std::malloc(size);
}

inline void* CountedAlignedAlloc(std::size_t size, std::align_val_t align) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  if (size == 0) size = 1;
  std::size_t alignment = static_cast<std::size_t>(align);
  if (alignment < sizeof(void*)) alignment = sizeof(void*);
  void* p = nullptr;
  if (posix_memalign(&p, alignment, size) != 0) return nullptr;
  return p;
}

uint64_t Allocations() {
  return g_allocations.load(std::memory_order_relaxed);
}

}  // namespace

void* operator new(std::size_t size) {
  if (void* p = CountedAlloc(size)) return p;
  throw std::bad_alloc();
}
void* operator new[](std::size_t size) {
  if (void* p = CountedAlloc(size)) return p;
  throw std::bad_alloc();
}
void* operator new(std::size_t size, const std::nothrow_t&) noexcept {
  return CountedAlloc(size);
}
void* operator new[](std::size_t size, const std::nothrow_t&) noexcept {
  return CountedAlloc(size);
}
void* operator new(std::size_t size, std::align_val_t align) {
  if (void* p = CountedAlignedAlloc(size, align)) return p;
  throw std::bad_alloc();
}
void* operator new[](std::size_t size, std::align_val_t align) {
  if (void* p = CountedAlignedAlloc(size, align)) return p;
  throw std::bad_alloc();
}
void* operator new(std::size_t size, std::align_val_t align,
                   const std::nothrow_t&) noexcept {
  return CountedAlignedAlloc(size, align);
}
void* operator new[](std::size_t size, std::align_val_t align,
                     const std::nothrow_t&) noexcept {
  return CountedAlignedAlloc(size, align);
}

// GCC sees malloc behind the inlined operator new and free behind delete, and
// warns at every new/delete pair; they do match.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t, const std::nothrow_t&) noexcept {
  std::free(p);
}
void operator delete[](void* p, std::align_val_t,
                       const std::nothrow_t&) noexcept {
  std::free(p);
}
void operator delete(void* p, std::size_t, std::align_val_t) noexcept {
  std::free(p);
}
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept {
  std::free(p);
}
#pragma GCC diagnostic pop

namespace {

using ocs::influx::v1::Block;
using ocs::influx::v1::Column;
using ocs::influx::v1::OcsFeed;
using ocs::influx::v1::Point;
using ocs::influx::v1::WriteRequest;
using ocs_influx::core::EncodeResult;
using ocs_influx::core::EncodeWriteRequest;
using ocs_influx::core::FeedConverter;
using ocs_influx::core::LinesConverter;
using ocs_influx::core::LineChunks;
using ocs_influx::core::Precision;
using ocs_influx::core::PublicationJsonToFeed;

constexpr int kPoints = 1000;
constexpr int kFields = 16;
constexpr int64_t kFirstNs = 1615394417359038720LL;  // 2021-03-10
constexpr int64_t kStepNs = 10'000'000;              // 100 Hz
constexpr int64_t kNowNs = 1615394500000000000LL;

// --------------------------------------------------------------- test data

enum class Kind { kFloat, kFloatShort, kInt, kString, kBool };

// The field types of a point/block: 16 of one kind, or "mixed" with 4
// floats, 4 ints, 4 strings and 4 bools.
enum class Shape { kFloat, kFloatShort, kInt, kString, kMixed };

Kind FieldKind(Shape shape, int f) {
  switch (shape) {
    case Shape::kFloat: return Kind::kFloat;
    case Shape::kFloatShort: return Kind::kFloatShort;
    case Shape::kInt: return Kind::kInt;
    case Shape::kString: return Kind::kString;
    case Shape::kMixed: {
      static constexpr Kind kinds[] = {Kind::kFloat, Kind::kInt, Kind::kString,
                                       Kind::kBool};
      return kinds[f / 4];
    }
  }
  return Kind::kFloat;
}

std::string FieldKey(Kind kind, int f) {
  char buffer[32];
  switch (kind) {
    case Kind::kFloat:
    case Kind::kFloatShort:
      std::snprintf(buffer, sizeof(buffer), "Channel_%02d_T", f + 1);
      break;
    case Kind::kInt:
      std::snprintf(buffer, sizeof(buffer), "counter_%02d", f + 1);
      break;
    case Kind::kString:
      std::snprintf(buffer, sizeof(buffer), "state_%02d", f + 1);
      break;
    case Kind::kBool:
      std::snprintf(buffer, sizeof(buffer), "heater_on_%02d", f + 1);
      break;
  }
  return buffer;
}

// Deterministic values of realistic shape.
class Values {
 public:
  // Full-precision doubles as numpy computes them: repr has 15-17
  // significant digits, e.g. -407.1079615876283.
  double Float() { return std::uniform_real_distribution<double>(-500, 500)(rng_); }
  // Readings with two decimals, e.g. 273.15: repr has 3-5 digits.
  double FloatShort() {
    return std::uniform_int_distribution<int>(-50000, 50000)(rng_) / 100.0;
  }
  // Counters up to 2^31: ~10 digits.
  int64_t Int() {
    return std::uniform_int_distribution<int64_t>(0, (int64_t{1} << 31) - 1)(rng_);
  }
  // 16 characters, no character that needs escaping.
  const char* String() {
    static const char* const kStrings[] = {"Ramping to 300 K", "Stable at 4.2 K.",
                                           "Heater at 12.5mW", "Waiting for PIDs"};
    return kStrings[std::uniform_int_distribution<int>(0, 3)(rng_)];
  }
  bool Bool() { return std::uniform_int_distribution<int>(0, 1)(rng_) == 1; }

 private:
  std::mt19937_64 rng_{20210310};
};

WriteRequest MakeWriteRequest(Shape shape) {
  Values values;
  WriteRequest request;
  for (int i = 0; i < kPoints; ++i) {
    Point* point = request.add_points();
    point->set_measurement("observatory.LS372A");
    auto* tag = point->add_tags();
    tag->set_key("feed");
    tag->set_value("temperatures");
    for (int f = 0; f < kFields; ++f) {
      Kind kind = FieldKind(shape, f);
      auto* field = point->add_fields();
      field->set_key(FieldKey(kind, f));
      auto* value = field->mutable_value();
      switch (kind) {
        case Kind::kFloat: value->set_double_value(values.Float()); break;
        case Kind::kFloatShort: value->set_double_value(values.FloatShort()); break;
        case Kind::kInt: value->set_int_value(values.Int()); break;
        case Kind::kString: value->set_string_value(values.String()); break;
        case Kind::kBool: value->set_bool_value(values.Bool()); break;
      }
    }
    point->set_timestamp_ns(kFirstNs + i * kStepNs);
  }
  return request;
}

// One block of kPoints timestamps and kFields typed columns; with
// `mixed_column` every column is a MixedColumn (per-value types, as for a
// Python list mixing types) holding the shape's values.
OcsFeed MakeFeed(Shape shape, bool mixed_column) {
  Values values;
  OcsFeed feed;
  feed.set_agent_address("observatory.LS372A");
  feed.set_feed_name("temperatures");
  feed.set_record(true);
  feed.mutable_agg_params()->set_frame_length(60);
  feed.set_session_id("1615394417.0");
  feed.set_agent_class("Lakeshore372Agent");
  Block* block = feed.add_blocks();
  block->set_block_name("temps");
  for (int i = 0; i < kPoints; ++i) {
    block->add_timestamps(1615394417.359 + i * 0.01);
  }
  for (int f = 0; f < kFields; ++f) {
    Kind kind = FieldKind(shape, f);
    Column* column = block->add_columns();
    column->set_name(FieldKey(kind, f));
    for (int i = 0; i < kPoints; ++i) {
      if (mixed_column) {
        auto* value = column->mutable_mixed()->add_values();
        switch (kind) {
          case Kind::kFloat: value->set_double_value(values.Float()); break;
          case Kind::kFloatShort: value->set_double_value(values.FloatShort()); break;
          case Kind::kInt: value->set_int_value(values.Int()); break;
          case Kind::kString: value->set_string_value(values.String()); break;
          case Kind::kBool: value->set_bool_value(values.Bool()); break;
        }
        continue;
      }
      switch (kind) {
        case Kind::kFloat: column->mutable_doubles()->add_values(values.Float()); break;
        case Kind::kFloatShort:
          column->mutable_doubles()->add_values(values.FloatShort());
          break;
        case Kind::kInt: column->mutable_ints()->add_values(values.Int()); break;
        case Kind::kString:
          column->mutable_strings()->add_values(values.String());
          break;
        case Kind::kBool: column->mutable_bools()->add_values(values.Bool()); break;
      }
    }
  }
  return feed;
}

// A publication as an OCS agent (Python's json.dumps) writes it: one block
// of `timestamps` rows, 12 float, 2 int, 1 bool and 1 string columns.
std::string MakePublicationJson(int timestamps) {
  Values values;
  auto append_repr = [](double v, std::string* out) {
    ocs_influx::core::AppendDouble(v, out);
  };
  std::string json = "[{\"temps\": {\"block_name\": \"temps\", \"timestamps\": [";
  for (int i = 0; i < timestamps; ++i) {
    if (i > 0) json += ", ";
    append_repr(1615394417.359 + i * 0.01, &json);
  }
  json += "], \"data\": {";
  for (int f = 0; f < kFields; ++f) {
    Kind kind = f < 12 ? Kind::kFloat
                : f < 14 ? Kind::kInt
                : f == 14 ? Kind::kBool
                          : Kind::kString;
    if (f > 0) json += ", ";
    absl::StrAppend(&json, "\"", FieldKey(kind, f), "\": [");
    for (int i = 0; i < timestamps; ++i) {
      if (i > 0) json += ", ";
      switch (kind) {
        case Kind::kFloat: append_repr(values.Float(), &json); break;
        case Kind::kInt: absl::StrAppend(&json, values.Int()); break;
        case Kind::kBool: json += values.Bool() ? "true" : "false"; break;
        case Kind::kString: absl::StrAppend(&json, "\"", values.String(), "\""); break;
        default: break;
      }
    }
    json += "]";
  }
  json +=
      "}}}, {\"agent_address\": \"observatory.LS372A\", \"agg_params\": "
      "{\"frame_length\": 60}, \"feed_name\": \"temperatures\", \"address\": "
      "\"observatory.LS372A.feeds.temperatures\", \"record\": true, "
      "\"session_id\": \"1615394417.0\", \"agent_class\": "
      "\"Lakeshore372Agent\"}]";
  return json;
}

// ----------------------------------------------------------------- helpers

bool Check(benchmark::State& state, const absl::Status& status) {
  if (status.ok()) return true;
  state.SkipWithError(std::string(status.ToString()).c_str());
  return false;
}

void Report(benchmark::State& state, uint64_t allocations, int64_t points,
            int64_t items, int64_t bytes) {
  const double iterations = static_cast<double>(state.iterations());
  state.SetItemsProcessed(state.iterations() * items);
  state.SetBytesProcessed(state.iterations() * bytes);
  state.counters["allocs_per_point"] = benchmark::Counter(
      iterations > 0 ? static_cast<double>(allocations) / (iterations * points)
                     : 0);
}

// -------------------------------------------------------------- benchmarks

void BM_EncodeWriteRequest(benchmark::State& state, Shape shape) {
  const WriteRequest request = MakeWriteRequest(shape);
  std::string out;
  EncodeResult result;
  // Warm-up: grows `out` to its working size.
  if (!Check(state, EncodeWriteRequest(request, kNowNs, &out, &result))) return;
  const int64_t bytes = static_cast<int64_t>(out.size());

  const uint64_t before = Allocations();
  for (auto _ : state) {
    out.clear();
    EncodeResult r;
    absl::Status s = EncodeWriteRequest(request, kNowNs, &out, &r);
    if (!s.ok()) {
      Check(state, s);
      break;
    }
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  const uint64_t allocations = Allocations() - before;
  Report(state, allocations, kPoints, int64_t{kPoints} * kFields, bytes);
}

void BM_FeedConvert(benchmark::State& state, Shape shape, bool mixed_column) {
  const OcsFeed feed = MakeFeed(shape, mixed_column);
  FeedConverter converter;
  std::string out;
  EncodeResult result;
  if (!Check(state, converter.Convert(feed, &out, &result))) return;
  if (result.points != kPoints) {
    state.SkipWithError("feed conversion dropped points");
    return;
  }
  const int64_t bytes = static_cast<int64_t>(out.size());

  const uint64_t before = Allocations();
  for (auto _ : state) {
    out.clear();
    EncodeResult r;
    absl::Status s = converter.Convert(feed, &out, &r);
    if (!s.ok()) {
      Check(state, s);
      break;
    }
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  const uint64_t allocations = Allocations() - before;
  Report(state, allocations, kPoints, int64_t{kPoints} * kFields, bytes);
}

// The same through bounded chunks (LineChunks), as the gRPC service
// encodes every request: the path the publisher takes.
void BM_EncodeWriteRequestChunks(benchmark::State& state, Shape shape) {
  const WriteRequest request = MakeWriteRequest(shape);
  LineChunks out;
  EncodeResult result;
  if (!Check(state, EncodeWriteRequest(request, kNowNs, &out, &result))) return;
  const int64_t bytes = static_cast<int64_t>(out.bytes());

  const uint64_t before = Allocations();
  for (auto _ : state) {
    out.Clear();
    EncodeResult r;
    absl::Status s = EncodeWriteRequest(request, kNowNs, &out, &r);
    if (!s.ok()) {
      Check(state, s);
      break;
    }
    benchmark::DoNotOptimize(out.tail()->data());
    benchmark::ClobberMemory();
  }
  const uint64_t allocations = Allocations() - before;
  Report(state, allocations, kPoints, int64_t{kPoints} * kFields, bytes);
}

void BM_FeedConvertChunks(benchmark::State& state, Shape shape, bool mixed_column) {
  const OcsFeed feed = MakeFeed(shape, mixed_column);
  FeedConverter converter;
  LineChunks out;
  EncodeResult result;
  if (!Check(state, converter.Convert(feed, &out, &result))) return;
  const int64_t bytes = static_cast<int64_t>(out.bytes());

  const uint64_t before = Allocations();
  for (auto _ : state) {
    out.Clear();
    EncodeResult r;
    absl::Status s = converter.Convert(feed, &out, &r);
    if (!s.ok()) {
      Check(state, s);
      break;
    }
    benchmark::DoNotOptimize(out.tail()->data());
    benchmark::ClobberMemory();
  }
  const uint64_t allocations = Allocations() - before;
  Report(state, allocations, kPoints, int64_t{kPoints} * kFields, bytes);
}

void BM_LinesConvert(benchmark::State& state, Shape shape) {
  std::string text;
  {
    EncodeResult r;
    if (!Check(state, EncodeWriteRequest(MakeWriteRequest(shape), kNowNs,
                                         &text, &r))) {
      return;
    }
  }
  LinesConverter converter;
  std::string out;
  EncodeResult result;
  if (!Check(state, converter.Convert(text, Precision::kNanoseconds, kNowNs,
                                      &out, &result))) {
    return;
  }
  if (out != text) {
    state.SkipWithError("re-encoded lines differ from the canonical input");
    return;
  }
  const int64_t bytes = static_cast<int64_t>(out.size());

  const uint64_t before = Allocations();
  for (auto _ : state) {
    out.clear();
    EncodeResult r;
    absl::Status s =
        converter.Convert(text, Precision::kNanoseconds, kNowNs, &out, &r);
    if (!s.ok()) {
      Check(state, s);
      break;
    }
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  const uint64_t allocations = Allocations() - before;
  Report(state, allocations, kPoints, int64_t{kPoints} * kFields, bytes);
}

constexpr int kPublicationTimestamps = 100;

// Items are points (timestamps); bytes are JSON input bytes.
void BM_PublicationJsonToFeed(benchmark::State& state) {
  const std::string json = MakePublicationJson(kPublicationTimestamps);
  OcsFeed feed;
  if (!Check(state, PublicationJsonToFeed(json, &feed))) return;
  if (feed.blocks_size() != 1 ||
      feed.blocks(0).timestamps_size() != kPublicationTimestamps ||
      feed.blocks(0).columns_size() != kFields) {
    state.SkipWithError("publication decoded to an unexpected shape");
    return;
  }

  const uint64_t before = Allocations();
  for (auto _ : state) {
    absl::Status s = PublicationJsonToFeed(json, &feed);
    if (!s.ok()) {
      Check(state, s);
      break;
    }
    benchmark::DoNotOptimize(&feed);
    benchmark::ClobberMemory();
  }
  const uint64_t allocations = Allocations() - before;
  Report(state, allocations, kPublicationTimestamps, kPublicationTimestamps,
         static_cast<int64_t>(json.size()));
}

// JSON publication to line protocol, as a JSON-fed ingest does it: decode,
// then convert. Items are points; bytes are JSON input bytes.
void BM_PublicationJsonToLines(benchmark::State& state) {
  const std::string json = MakePublicationJson(kPublicationTimestamps);
  OcsFeed feed;
  FeedConverter converter;
  std::string out;
  EncodeResult result;
  if (!Check(state, PublicationJsonToFeed(json, &feed))) return;
  if (!Check(state, converter.Convert(feed, &out, &result))) return;

  const uint64_t before = Allocations();
  for (auto _ : state) {
    out.clear();
    EncodeResult r;
    absl::Status s = PublicationJsonToFeed(json, &feed);
    if (s.ok()) s = converter.Convert(feed, &out, &r);
    if (!s.ok()) {
      Check(state, s);
      break;
    }
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  const uint64_t allocations = Allocations() - before;
  Report(state, allocations, kPublicationTimestamps, kPublicationTimestamps,
         static_cast<int64_t>(json.size()));
}

// CORE_BENCHMARK_ITERATIONS=N runs every benchmark for exactly N timed
// iterations (after its one warm-up call), so that instruction counts under
// `valgrind --tool=callgrind` are repeatable whatever the machine's load.
void FixedIterations(benchmark::internal::Benchmark* b) {
  const char* n = std::getenv("CORE_BENCHMARK_ITERATIONS");
  if (n != nullptr && std::atoi(n) > 0) b->Iterations(std::atoi(n));
}

BENCHMARK_CAPTURE(BM_EncodeWriteRequest, float, Shape::kFloat)->Apply(FixedIterations);
BENCHMARK_CAPTURE(BM_EncodeWriteRequest, float_short, Shape::kFloatShort);
BENCHMARK_CAPTURE(BM_EncodeWriteRequest, int, Shape::kInt);
BENCHMARK_CAPTURE(BM_EncodeWriteRequest, string, Shape::kString);
BENCHMARK_CAPTURE(BM_EncodeWriteRequest, mixed, Shape::kMixed);

BENCHMARK_CAPTURE(BM_FeedConvert, float, Shape::kFloat, false)->Apply(FixedIterations);
BENCHMARK_CAPTURE(BM_FeedConvert, float_short, Shape::kFloatShort, false);
BENCHMARK_CAPTURE(BM_FeedConvert, int, Shape::kInt, false);
BENCHMARK_CAPTURE(BM_FeedConvert, string, Shape::kString, false);
BENCHMARK_CAPTURE(BM_FeedConvert, mixed, Shape::kMixed, false);
BENCHMARK_CAPTURE(BM_FeedConvert, mixed_column, Shape::kMixed, true);
BENCHMARK_CAPTURE(BM_EncodeWriteRequestChunks, float, Shape::kFloat);
BENCHMARK_CAPTURE(BM_EncodeWriteRequestChunks, string, Shape::kString);
BENCHMARK_CAPTURE(BM_FeedConvertChunks, float, Shape::kFloat, false);
BENCHMARK_CAPTURE(BM_FeedConvertChunks, int, Shape::kInt, false);
BENCHMARK_CAPTURE(BM_FeedConvertChunks, string, Shape::kString, false);
BENCHMARK_CAPTURE(BM_FeedConvertChunks, mixed_column, Shape::kMixed, true);

BENCHMARK_CAPTURE(BM_LinesConvert, float, Shape::kFloat)->Apply(FixedIterations);

BENCHMARK(BM_PublicationJsonToFeed);
BENCHMARK(BM_PublicationJsonToLines);

// Fails loudly if the replaced operator new does not see allocations made
// inside the shared libraries (then allocs_per_point would lie).
bool AllocationCounterWorks() {
  const uint64_t before = Allocations();
  {
    // Allocates in libprotobuf (parsing) and in this binary (the message).
    OcsFeed feed;
    feed.set_agent_address(std::string(100, 'a'));
    std::string wire = feed.SerializeAsString();
    OcsFeed copy;
    if (!copy.ParseFromString(wire)) return false;
    benchmark::DoNotOptimize(copy.agent_address().data());
  }
  return Allocations() > before;
}

}  // namespace

int main(int argc, char** argv) {
  if (!AllocationCounterWorks()) {
    std::fprintf(stderr, "the allocation counter sees no allocations\n");
    return 1;
  }
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::AddCustomContext(
      "allocs_per_point",
      "operator new calls per point over the timed loop, after warm-up");
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
