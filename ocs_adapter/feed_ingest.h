// Carries decoded OCS publications from the WAMP I/O thread to the core
// publisher without ever blocking that thread: Offer() queues, a sender
// thread batches what arrived into one IngestFeed call. The queue is bounded
// in points; while the publisher is briefly unreachable (restarting, remote)
// or its spool is full, batches are retried and wait in it; past the bound,
// new publications are refused and counted.
#ifndef OCS_INFLUX_OCS_ADAPTER_FEED_INGEST_H_
#define OCS_INFLUX_OCS_ADAPTER_FEED_INGEST_H_

#include <cstdint>
#include <deque>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "ocs_adapter/agent.h"
#include "ocs_adapter/publisher_client.h"
#include "proto/publisher.pb.h"

namespace ocs_influx::ocs_adapter {

struct IngestOptions {
  uint64_t max_queued_points = 2'000'000;
  size_t max_feeds_per_call = 512;
  size_t max_bytes_per_call = 4u << 20;
  absl::Duration max_backoff = absl::Seconds(5);
};

class FeedIngest {
 public:
  FeedIngest(IngestOptions options, PublisherClient* client, AdapterCounters* counters);
  ~FeedIngest();  // Stop(zero)
  FeedIngest(const FeedIngest&) = delete;
  FeedIngest& operator=(const FeedIngest&) = delete;

  // Never blocks. False (and counted as refused) when the queue is full.
  bool Offer(ocs::influx::v1::OcsFeed feed);
  // Sends what is queued for at most `drain`, then ends the thread.
  void Stop(absl::Duration drain);
  uint64_t queued_points() const;

  static uint64_t PointsOf(const ocs::influx::v1::OcsFeed& feed);

 private:
  void Run();
  // Sends `batch` until done; false if stopping interrupted a retry.
  bool Send(std::vector<ocs::influx::v1::OcsFeed>* batch, uint64_t points);
  void Account(const absl::Status& status, const std::vector<ocs::influx::v1::OcsFeed>& batch,
               uint64_t points);

  const IngestOptions options_;
  PublisherClient* const client_;
  AdapterCounters* const counters_;

  mutable absl::Mutex mu_;
  std::deque<ocs::influx::v1::OcsFeed> queue_ ABSL_GUARDED_BY(mu_);
  uint64_t queued_points_ ABSL_GUARDED_BY(mu_) = 0;
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  absl::Time drain_deadline_ ABSL_GUARDED_BY(mu_) = absl::InfiniteFuture();
  absl::Time last_refusal_log_ = absl::InfinitePast();
  std::thread thread_;
};

}  // namespace ocs_influx::ocs_adapter

#endif  // OCS_INFLUX_OCS_ADAPTER_FEED_INGEST_H_
