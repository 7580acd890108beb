// What the publisher counts, shared by the RPC threads (acceptance) and the
// writer thread (delivery). Plain atomics, so counting costs no lock on the
// hot path; the few fields that are not numbers sit behind one mutex.
#ifndef OCS_INFLUX_SERVICE_ENGINE_COUNTERS_H_
#define OCS_INFLUX_SERVICE_ENGINE_COUNTERS_H_

#include <array>
#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "service/core/drop_counts.h"

namespace ocs_influx::server {

// Latency percentiles over the most recent writes.
class LatencyWindow {
 public:
  static constexpr size_t kSize = 1024;
  void Add(absl::Duration latency);
  // q in [0, 1]; zero when empty.
  absl::Duration Percentile(double q) const;

 private:
  mutable absl::Mutex mu_;
  std::array<int64_t, kSize> micros_ ABSL_GUARDED_BY(mu_){};
  size_t next_ ABSL_GUARDED_BY(mu_) = 0;
  size_t count_ ABSL_GUARDED_BY(mu_) = 0;
};

struct Counters {
  std::atomic<uint64_t> points_accepted{0};
  std::atomic<uint64_t> points_written{0};
  std::atomic<uint64_t> points_dead_lettered{0};
  std::atomic<uint64_t> batches_sent{0};
  std::atomic<uint64_t> bytes_sent_raw{0};
  std::atomic<uint64_t> bytes_sent_compressed{0};
  std::atomic<uint64_t> retries{0};
  std::atomic<uint64_t> batches_split{0};
  std::array<std::atomic<uint64_t>, static_cast<int>(core::DropReason::kCount)>
      dropped{};
  LatencyWindow latency;

  void AddDropped(const core::DropCounts& drops) {
    for (size_t i = 0; i < dropped.size(); ++i) {
      if (drops.counts[i] != 0) {
        dropped[i].fetch_add(drops.counts[i], std::memory_order_relaxed);
      }
    }
  }
};

// InfluxDB's reachability as the writer last saw it.
class ConnectionState {
 public:
  void RecordSuccess();
  void RecordError(std::string error);
  // What stops the writer although InfluxDB answers (a dead-letter file or
  // spool that cannot be written or read): last_error says it, `connected`
  // stays as it was.
  void RecordProblem(std::string error);

  struct Snapshot {
    bool connected = false;
    absl::Time last_success = absl::InfinitePast();
    absl::Time last_error_time = absl::InfinitePast();
    std::string last_error;
  };
  Snapshot Get() const;

 private:
  mutable absl::Mutex mu_;
  Snapshot state_ ABSL_GUARDED_BY(mu_);
};

}  // namespace ocs_influx::server

#endif  // OCS_INFLUX_SERVICE_ENGINE_COUNTERS_H_
