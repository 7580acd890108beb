// The OCS adapter's CPU per point for an incoming feed EVENT, without the
// network: MessagePack bytes of one publication [message, feed] (as
// autobahn-cpp receives them) -> msgpack::object -> OcsFeed -> line protocol
// (the conversion the core then does). Goal: at most 1.5 us per point of 16
// float fields (the Python agent spends about 31 us).
//
// BM_WampThreadEvent is the WAMP I/O thread's share alone, as the adapter
// runs it for one EVENT message: the transport's WellFormedMsgpack over the
// whole message, autobahn-cpp's unpacking (a long-lived msgpack::unpacker
// the message is copied into), the publication read into the OcsFeed, and
// CheckFeedBounds (names, and the line-protocol bound the queue takes).
// /autobahn as before issue 10's fifth round, /tape as now (the envelope
// read by ReadWampEvent, the publication through a MsgpackTape).
//
// BM_EventHandOff/heap|arena: the same, each event into a new feed that
// another thread frees, as the adapter's sender does once the feed is
// sent; the feed on the heap (as before issue 10's fourth round) or in an
// ArenaFeed (as now). CPU of the whole process, both threads.
//
//   bazel run --config=opt //tests/bench:adapter_benchmark
#include <condition_variable>
#include <cstring>
#include <deque>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <thread>

#include "benchmark/benchmark.h"
#include "msgpack.hpp"
#include "ocs_adapter/feed_bounds.h"
#include "ocs_adapter/feed_ingest.h"
#include "ocs_adapter/msgpack_codec.h"
#include "ocs_adapter/msgpack_publication.h"
#include "ocs_adapter/msgpack_tape.h"
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

// [EVENT, subscription, publication, details, [arg0]]: the WebSocket
// message the router sends for one publication.
std::string PackEvent(const std::string& publication) {
  msgpack::sbuffer buffer;
  msgpack::packer<msgpack::sbuffer> pk(buffer);
  pk.pack_array(5);
  pk.pack(36);
  pk.pack(uint64_t{5012345678901234});
  pk.pack(uint64_t{8765432109876543});
  pk.pack_map(0);
  pk.pack_array(1);
  buffer.write(publication.data(), publication.size());
  return std::string(buffer.data(), buffer.size());
}

// One event's work on the WAMP thread; not inlined so that callgrind can
// count its instructions per call (see docs/benchmarks.md).
__attribute__((noinline)) bool OneWampThreadEvent(const std::string& message,
                                                  msgpack::unpacker* unpacker,
                                                  ocs::influx::v1::OcsFeed* feed,
                                                  uint64_t* line_bytes) {
  namespace oa = ocs_influx::ocs_adapter;
  if (!oa::WellFormedMsgpack(message)) return false;
  // As wamp_websocket_transport::receive_message.
  unpacker->reserve_buffer(message.size());
  std::memcpy(unpacker->buffer(), message.data(), message.size());
  unpacker->buffer_consumed(message.size());
  msgpack::object_handle handle;
  if (!unpacker->next(handle)) return false;
  const msgpack::object& arg0 = handle.get().via.array.ptr[4].via.array.ptr[0];
  if (!oa::PublicationToFeedMsgpack(arg0, feed).ok()) return false;
  oa::Refusal reason;
  return oa::CheckFeedBounds(*feed, oa::FeedBounds(), &reason, line_bytes).ok();
}

// The same as the adapter does it now: the EVENT's envelope read from the
// message (ReadWampEvent), its argument into a tape.
__attribute__((noinline)) bool OneWampThreadEventTape(const std::string& message,
                                                      ocs_influx::ocs_adapter::MsgpackTape* tape,
                                                      ocs::influx::v1::OcsFeed* feed,
                                                      uint64_t* line_bytes) {
  namespace oa = ocs_influx::ocs_adapter;
  oa::WampEvent event;
  if (!oa::ReadWampEvent(message, &event) || !event.has_arg0) return false;
  if (!oa::PublicationToFeedMsgpack(event.arg0, tape, feed).ok()) return false;
  oa::Refusal reason;
  return oa::CheckFeedBounds(*feed, oa::FeedBounds(), &reason, line_bytes).ok();
}

// autobahn: as before issue 10's fifth round; tape: as now.
void BM_WampThreadEvent(benchmark::State& state, bool tape_path) {
  const int timestamps = static_cast<int>(state.range(0));
  const std::string message = PackEvent(PackPublication(timestamps, 16));
  msgpack::unpacker unpacker;
  ocs_influx::ocs_adapter::MsgpackTape tape;
  ocs::influx::v1::OcsFeed feed;
  for (auto _ : state) {
    uint64_t line_bytes = 0;
    const bool ok = tape_path ? OneWampThreadEventTape(message, &tape, &feed, &line_bytes)
                              : OneWampThreadEvent(message, &unpacker, &feed, &line_bytes);
    if (!ok) {
      state.SkipWithError("event failed");
      break;
    }
    benchmark::DoNotOptimize(line_bytes);
  }
  state.SetItemsProcessed(state.iterations() * timestamps);
}
BENCHMARK_CAPTURE(BM_WampThreadEvent, autobahn, false)->Arg(1)->Arg(10)->Arg(100)->Arg(1000);
BENCHMARK_CAPTURE(BM_WampThreadEvent, tape, true)->Arg(1)->Arg(10)->Arg(100)->Arg(1000);

// Frees what it is given on a thread of its own, as the sender does.
template <typename T>
class Freer {
 public:
  Freer() : thread_([this] { Run(); }) {}
  ~Freer() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      done_ = true;
    }
    cv_.notify_one();
    thread_.join();
  }
  void Give(T item) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      items_.push_back(std::move(item));
    }
    cv_.notify_one();
  }

 private:
  void Run() {
    std::unique_lock<std::mutex> lock(mu_);
    while (true) {
      cv_.wait(lock, [this] { return done_ || !items_.empty(); });
      std::deque<T> batch;
      batch.swap(items_);
      lock.unlock();
      batch.clear();  // the frees, outside the lock
      lock.lock();
      if (done_ && items_.empty()) return;
    }
  }

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<T> items_;
  bool done_ = false;
  std::thread thread_;
};

void BM_EventHandOff(benchmark::State& state, bool arena) {
  namespace oa = ocs_influx::ocs_adapter;
  const int timestamps = static_cast<int>(state.range(0));
  const std::string message = PackEvent(PackPublication(timestamps, 16));
  msgpack::unpacker unpacker;
  Freer<std::unique_ptr<ocs::influx::v1::OcsFeed>> heap_freer;
  Freer<oa::ArenaFeed> arena_freer;
  for (auto _ : state) {
    uint64_t line_bytes = 0;
    bool ok;
    if (arena) {
      oa::ArenaFeed feed = oa::ArenaFeed::New();
      ok = OneWampThreadEvent(message, &unpacker, feed.feed, &line_bytes);
      arena_freer.Give(std::move(feed));
    } else {
      auto feed = std::make_unique<ocs::influx::v1::OcsFeed>();
      ok = OneWampThreadEvent(message, &unpacker, feed.get(), &line_bytes);
      heap_freer.Give(std::move(feed));
    }
    if (!ok) {
      state.SkipWithError("event failed");
      break;
    }
  }
  state.SetItemsProcessed(state.iterations() * timestamps);
}
BENCHMARK_CAPTURE(BM_EventHandOff, heap, false)->Arg(100)->MeasureProcessCPUTime();
BENCHMARK_CAPTURE(BM_EventHandOff, arena, true)->Arg(100)->MeasureProcessCPUTime();

}  // namespace

BENCHMARK_MAIN();
