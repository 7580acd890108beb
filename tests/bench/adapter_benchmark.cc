// The OCS adapter's CPU per point for an incoming feed EVENT, without the
// network: MessagePack bytes of one publication [message, feed] (as
// autobahn-cpp receives them) -> msgpack::object -> OcsFeed -> line protocol
// (the conversion the core then does). Goal: at most 1.5 us per point of 16
// float fields (the Python agent spends about 31 us).
//
//   bazel run --config=opt //tests/bench:adapter_benchmark
#include <random>
#include <string>

#include "benchmark/benchmark.h"
#include "msgpack.hpp"
#include "ocs_adapter/msgpack_value.h"
#include "proto/publisher.pb.h"
#include "service/core/feed_convert.h"

namespace {

// A publication as OCS's Feed.flush_buffer sends it: one block of
// `timestamps` rows and `fields` float columns.
std::string PackPublication(int timestamps, int fields) {
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> value(-300, 300);
  msgpack::sbuffer buffer;
  msgpack::packer<msgpack::sbuffer> pk(buffer);
  pk.pack_array(2);
  pk.pack_map(1);
  pk.pack(std::string("temps"));
  pk.pack_map(3);
  pk.pack(std::string("block_name"));
  pk.pack(std::string("temps"));
  pk.pack(std::string("timestamps"));
  pk.pack_array(timestamps);
  for (int t = 0; t < timestamps; ++t) pk.pack_double(1795824000.123456 + t * 0.01);
  pk.pack(std::string("data"));
  pk.pack_map(fields);
  for (int f = 0; f < fields; ++f) {
    char name[16];
    std::snprintf(name, sizeof(name), "channel_%02d", f);
    pk.pack(std::string(name));
    pk.pack_array(timestamps);
    for (int t = 0; t < timestamps; ++t) pk.pack_double(value(rng));
  }
  pk.pack_map(7);
  auto kv = [&](const char* k, const char* v) {
    pk.pack(std::string(k));
    pk.pack(std::string(v));
  };
  kv("agent_address", "observatory.LSA23JD");
  pk.pack(std::string("agg_params"));
  pk.pack_map(1);
  pk.pack(std::string("frame_length"));
  pk.pack(60);
  kv("feed_name", "temperatures");
  kv("address", "observatory.LSA23JD.feeds.temperatures");
  pk.pack(std::string("record"));
  pk.pack(true);
  kv("session_id", "1795823990.123");
  kv("agent_class", "Lakeshore372Agent");
  return std::string(buffer.data(), buffer.size());
}

void BM_AdapterEventToLines(benchmark::State& state) {
  const int timestamps = static_cast<int>(state.range(0));
  const int fields = 16;
  const std::string bytes = PackPublication(timestamps, fields);
  ocs_influx::core::FeedConverter converter;
  std::string lines;
  ocs::influx::v1::OcsFeed feed;
  for (auto _ : state) {
    msgpack::object_handle handle = msgpack::unpack(bytes.data(), bytes.size());
    if (!ocs_influx::ocs_adapter::PublicationToFeedMsgpack(handle.get(), &feed).ok()) {
      state.SkipWithError("decode failed");
      break;
    }
    lines.clear();
    ocs_influx::core::EncodeResult result;
    if (!converter.Convert(feed, &lines, &result).ok()) {
      state.SkipWithError("convert failed");
      break;
    }
    benchmark::DoNotOptimize(lines.data());
  }
  // items/s = points/s; CPU per point = 1 / that.
  state.SetItemsProcessed(state.iterations() * timestamps);
}
BENCHMARK(BM_AdapterEventToLines)->Arg(1)->Arg(10)->Arg(100)->Arg(1000);

}  // namespace

BENCHMARK_MAIN();
