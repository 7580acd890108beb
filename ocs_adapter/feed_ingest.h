// Carries decoded OCS publications from the WAMP I/O thread to the core
// publisher without ever blocking that thread: Offer() queues, a sender
// thread sends everything queued (up to a call's bounds) in one IngestFeed
// call: while a call is in flight, what arrives waits for the next one.
// Offer() wakes the sender only when it waits, and an idle sender lingers
// (IngestOptions::linger) after the first publication so that one call,
// one spool append and one fsync carry what several agents publish at
// about the same time. Calls start at most once per
// IngestOptions::call_interval unless a call's worth is queued: each call
// costs an fdatasync, and on this project's virtual machine one cost about
// 0.4 ms of CPU, what formatting 500 points of 16 floats costs. The queue
// is bounded
// in points and in bytes (protobuf size plus a per-feed overhead, so that
// zero-point or string-heavy feeds count too); while the publisher is
// briefly unreachable (restarting, remote) or its spool is full, batches are
// retried with backoff and wait in it; past a bound, new publications are
// refused, counted and dead-lettered.
//
// No call exceeds what the publisher takes: a feed larger than
// max_bytes_per_call is cut into row ranges (SplitFeed) that land whole and
// in order; a piece that still exceeds max_call_bytes (one enormous row) is
// refused at once, never retried.
#ifndef OCS_INFLUX_OCS_ADAPTER_FEED_INGEST_H_
#define OCS_INFLUX_OCS_ADAPTER_FEED_INGEST_H_

#include <cstdint>
#include <deque>
#include <memory>
#include <thread>
#include <vector>

#include "google/protobuf/arena.h"

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/backoff/backoff.h"
#include "ocs_adapter/dead_letters.h"
#include "ocs_adapter/ingest_counters.h"
#include "ocs_adapter/record_control.h"
#include "proto/publisher.pb.h"

namespace ocs_influx::ocs_adapter {

struct IngestOptions {
  uint64_t max_queued_points = 4'000'000;
  uint64_t max_queued_bytes = 256ull << 20;
  size_t max_feeds_per_call = 512;
  size_t max_bytes_per_call = 4u << 20;
  // Line protocol per call (EncodedBytesBound, summed): half the
  // publisher's per-request limit (core::kMaxRequestLineBytes), so a call
  // of small ints under long names is cut rather than refused.
  uint64_t max_line_bytes_per_call = 64ull << 20;
  // The publisher's message limit (16 MiB) less room for the request's
  // framing: a single feed over it is refused without a call.
  size_t max_call_bytes = (16u << 20) - (64u << 10);
  // How long an idle sender waits after a first publication for more,
  // unless a call's worth is queued sooner: bounds the latency added.
  // Zero: send at once.
  absl::Duration linger = absl::Milliseconds(2);
  // The least time from the start of one call to the start of the next,
  // unless a call's worth is queued sooner: at most 1/call_interval
  // fsyncs a second however many agents publish. OCS agents buffer their
  // feeds for a second or more, the writer flushes to InfluxDB every
  // second and Grafana refreshes every few seconds: 100 ms is not seen
  // downstream (20 ms cost 0.4 us more a point than 50, and 50 about 0.3
  // more than 100 once the WAMP thread's event pause gathered the
  // publications; docs/benchmarks.md). What it costs: a crash loses what
  // waits in the queue, at most this long.
  // Zero: the next call starts as soon as the last one ends.
  absl::Duration call_interval = absl::Milliseconds(100);
  absl::Duration initial_backoff = absl::Milliseconds(50);
  absl::Duration max_backoff = absl::Seconds(5);
};

// A feed built in an arena of its own. A decoded publication is a message
// per column, a buffer per column's values and a string per name: built on
// the WAMP thread and freed on the sender's, one by one, they were most of
// the adapter's malloc time; in an arena they are carved from a few blocks
// and freed with them.
struct ArenaFeed {
  // An empty feed in a new arena (its first block one page).
  static ArenaFeed New();
  // `feed` copied into a new arena.
  static ArenaFeed Of(const ocs::influx::v1::OcsFeed& feed);

  std::unique_ptr<google::protobuf::Arena> arena;
  ocs::influx::v1::OcsFeed* feed = nullptr;  // on *arena
};

class FeedIngest {
 public:
  // `dead_letters` may be null (refusals are then only counted).
  FeedIngest(IngestOptions options, PublisherLink* client, AdapterCounters* counters,
             DeadLetters* dead_letters = nullptr);
  ~FeedIngest();  // Stop(zero)
  FeedIngest(const FeedIngest&) = delete;
  FeedIngest& operator=(const FeedIngest&) = delete;

  // Never blocks. False (and counted as refused) when the queue is full;
  // the caller dead-letters the publication.
  bool Offer(const ocs::influx::v1::OcsFeed& feed);
  // The same, without a copy, with `line_bytes` = EncodedBytesBound(feed)
  // already known (CheckFeedBounds gives it): the WAMP thread walks the
  // feed once.
  bool Offer(ArenaFeed feed, uint64_t line_bytes);
  // Sends what is queued for at most `drain`, then ends the thread; what is
  // left is counted as refused.
  void Stop(absl::Duration drain);
  uint64_t queued_points() const;
  uint64_t queued_bytes() const;

  static uint64_t PointsOf(const ocs::influx::v1::OcsFeed& feed);
  // What a queued feed counts against max_queued_bytes.
  static uint64_t CostOf(const ocs::influx::v1::OcsFeed& feed);
  // The same, with feed.ByteSizeLong() already known.
  static uint64_t CostOf(const ocs::influx::v1::OcsFeed& feed, size_t wire_bytes);
  // The same for a feed in its arena: at least the arena's blocks.
  static uint64_t CostOf(const ArenaFeed& feed, size_t wire_bytes);

 private:
  struct Entry {
    ArenaFeed feed;
    uint64_t points = 0;
    uint64_t bytes = 0;  // CostOf
    uint64_t line_bytes = 0;  // EncodedBytesBound
    size_t wire_bytes = 0;    // feed.ByteSizeLong(), computed once outside the lock
  };

  void Run();
  // Sends `batch` until done; false if stopping interrupted a retry.
  bool Send(ocs::influx::v1::IngestFeedRequest* batch, uint64_t points);
  void Account(const absl::Status& status, const ocs::influx::v1::IngestFeedRequest& batch,
               uint64_t points);
  // A call's worth is queued: lingering longer gains nothing.
  bool CallFull() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Refuse(Refusal reason, const absl::Status& status, const ocs::influx::v1::OcsFeed& feed);

  const IngestOptions options_;
  PublisherLink* const client_;
  AdapterCounters* const counters_;
  DeadLetters* const dead_letters_;
  StopSignal stop_signal_;  // cuts the sender's backoff short at Stop()

  mutable absl::Mutex mu_;
  std::deque<Entry> queue_ ABSL_GUARDED_BY(mu_);
  uint64_t queued_points_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t queued_bytes_ ABSL_GUARDED_BY(mu_) = 0;
  bool sending_ ABSL_GUARDED_BY(mu_) = false;
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  absl::Time last_refusal_log_ = absl::InfinitePast();  // sender thread only
  std::thread thread_;
};

}  // namespace ocs_influx::ocs_adapter

#endif  // OCS_INFLUX_OCS_ADAPTER_FEED_INGEST_H_
