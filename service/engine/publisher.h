// The publisher without its gRPC face: recording state, acceptance into the
// durable spool, the writer thread, and the status. Requests reach it
// through write_handlers.h, called by the gRPC service (grpc_service.h) and
// by the OCS adapter's embedded mode (ocs_adapter/embedded_publisher.h);
// its owner (PublisherServer, or a test) starts and shuts it down.
#ifndef OCS_INFLUX_SERVICE_ENGINE_PUBLISHER_H_
#define OCS_INFLUX_SERVICE_ENGINE_PUBLISHER_H_

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "service/core/drop_counts.h"
#include "service/core/line_chunks.h"
#include "service/influx/client.h"
#include "service/engine/counters.h"
#include "service/engine/dead_letter.h"
#include "service/engine/feed_tracker.h"
#include "service/engine/recording.h"
#include "service/engine/writer.h"
#include "service/spool/spool.h"

namespace ocs_influx::server {

struct PublisherOptions {
  spool::SpoolOptions spool;
  influx::InfluxOptions influx;
  WriterOptions writer;
  std::string dead_letter_file;   // empty: <spool dir>/dead-letter.lp
  bool record_at_start = true;    // --initial-state record
  // How long StartRecording waits for the first word from InfluxDB before
  // it answers (degraded if none): start-up never hangs on InfluxDB.
  absl::Duration start_check_timeout = absl::Seconds(2);
  // A feed with nothing accepted for this long is stale (--stale-after).
  absl::Duration stale_after = absl::Seconds(60);
};

// What GetStatus reports, as plain values taken at `taken`. The API layer
// turns it into the proto message (service/api/status_proto.h), so the
// engine knows nothing of the wire format.
struct PublisherStatus {
  absl::Time taken;
  absl::Time started;
  RecordingSnapshot recording;
  uint64_t points_accepted = 0;
  uint64_t points_written = 0;
  uint64_t points_dead_lettered = 0;
  std::string dead_letter_file;
  // Indexed by core::DropReason.
  std::array<uint64_t, static_cast<int>(core::DropReason::kCount)> dropped{};
  spool::SpoolStats spool;
  uint64_t spool_max_bytes = 0;
  std::string influx_url;
  std::string influx_database;
  std::string influx_retention_policy;
  ConnectionState::Snapshot connection;
  uint64_t batches_sent = 0;
  uint64_t bytes_sent_raw = 0;
  uint64_t bytes_sent_compressed = 0;
  uint64_t retries = 0;
  uint64_t batches_split = 0;
  absl::Duration latency_p50;
  absl::Duration latency_p99;
  std::vector<FeedSnapshot> feeds;
  uint64_t feeds_not_tracked = 0;
  uint64_t points_not_tracked = 0;
  absl::Duration stale_after;
};

class Publisher {
 private:
  struct Token {
    explicit Token() = default;
  };

 public:
  Publisher(Token, PublisherOptions options);  // use Create()
  static absl::StatusOr<std::unique_ptr<Publisher>> Create(PublisherOptions options);
  ~Publisher();
  Publisher(const Publisher&) = delete;
  Publisher& operator=(const Publisher&) = delete;

  absl::Status StartRecording(bool test_mode);
  absl::Status StopRecording();

  // Makes one request's `lines` durable, whole or not at all, in order:
  // each chunk becomes one or more spool records of at most one writer
  // batch. FAILED_PRECONDITION when not recording, RESOURCE_EXHAUSTED when
  // the spool is full, UNAVAILABLE when shutting down. The request's rule
  // drops are counted when it is accepted.
  absl::Status Accept(const core::LineChunks& lines,
                      const core::DropCounts& drops);
  // Lines per spool record at most (the writer's batch size). Chunks of at
  // most this many lines (LineChunks::set_max_chunk_points) become one
  // record each, unscanned, and their series runs are kept for the
  // writer's feed counts; longer ones are cut here, line by line.
  size_t max_record_points() const { return options_.writer.batch_size; }

  // Waits until every point accepted before the call is delivered or
  // dead-lettered, or `deadline` passes. Returns whether it completed and
  // sets `pending` to the points still in the spool.
  bool Flush(absl::Time deadline, uint64_t* pending);

  PublisherStatus Status() const;
  RecordingSnapshot RecordingStatus() const { return recording_.Snapshot(); }

  // Refuses new points, delivers for at most `drain`, leaves the rest in
  // the spool. Idempotent.
  void Shutdown(absl::Duration drain);

 private:
  PublisherOptions options_;
  absl::Time started_ = absl::Now();
  std::atomic<bool> shutting_down_{false};
  std::unique_ptr<spool::Spool> spool_;
  std::unique_ptr<DeadLetterFile> dead_letter_;
  Counters counters_;
  FeedTracker feeds_;
  ConnectionState connection_;
  Recording recording_;
  std::string influx_url_;
  std::unique_ptr<Writer> writer_;
  absl::Mutex shutdown_mu_;
};

}  // namespace ocs_influx::server

#endif  // OCS_INFLUX_SERVICE_ENGINE_PUBLISHER_H_
