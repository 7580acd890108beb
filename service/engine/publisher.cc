#include "service/engine/publisher.h"

#include <cstdint>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/log/log.h"

namespace ocs_influx::server {

Publisher::Publisher(Token, PublisherOptions options)
    : options_(std::move(options)), feeds_(options_.stale_after) {}

absl::StatusOr<std::unique_ptr<Publisher>> Publisher::Create(
    PublisherOptions options) {
  if (options.dead_letter_file.empty()) {
    options.dead_letter_file = options.spool.dir + "/dead-letter.lp";
  }
  auto p = std::make_unique<Publisher>(Token(), std::move(options));
  auto spool = spool::Spool::Open(p->options_.spool);
  if (!spool.ok()) return spool.status();
  p->spool_ = std::move(*spool);
  auto client = influx::InfluxClient::Create(p->options_.influx);
  if (!client.ok()) return client.status();
  p->influx_url_ = (*client)->BaseUrl();
  p->dead_letter_ = std::make_unique<DeadLetterFile>(p->options_.dead_letter_file);
  p->writer_ = std::make_unique<Writer>(
      p->options_.writer, p->spool_.get(), std::move(*client),
      p->dead_letter_.get(), &p->counters_, &p->connection_, &p->recording_,
      &p->feeds_);
  spool::SpoolStats backlog = p->spool_->Stats();
  if (backlog.points > 0) {
    LOG_INFO("publisher: %d points from an earlier run wait in the spool; they "
             "are sent first",
             backlog.points);
  }
  p->writer_->Start();
  if (p->options_.record_at_start) {
    if (absl::Status s = p->StartRecording(false); !s.ok()) return s;
  }
  return p;
}

Publisher::~Publisher() { Shutdown(absl::ZeroDuration()); }

absl::Status Publisher::StartRecording(bool test_mode) {
  if (shutting_down_) return absl::UnavailableError("the publisher is shutting down");
  // A test-mode session is one publishing cycle, as OCS's: it ends by
  // itself after one flush interval, whatever InfluxDB does meanwhile (what
  // it accepted stays durable in the spool).
  if (absl::Status s = recording_.Start(test_mode, options_.writer.flush_interval);
      !s.ok()) {
    return s;
  }
  bool reachable = writer_->CheckDatabase(options_.start_check_timeout);
  recording_.MarkRunning();
  recording_.SetDegraded(!reachable);
  LOG_INFO("publisher: recording started%s into %s database %s%s",
           test_mode ? " (test mode)" : "", influx_url_,
           options_.influx.database, reachable ? "" : " (InfluxDB not reachable yet)");
  if (test_mode) writer_->RequestFlush();
  return absl::OkStatus();
}

absl::Status Publisher::StopRecording() {
  if (absl::Status s = recording_.Stop(); !s.ok()) return s;
  // What was accepted is still delivered: the writer drains the spool
  // whether or not a session is running.
  writer_->RequestFlush();
  recording_.Finish(true);
  LOG_INFO("publisher: recording stopped");
  return absl::OkStatus();
}

absl::Status Publisher::Accept(const core::LineChunks& lines,
                               const core::DropCounts& drops) {
  if (shutting_down_) return absl::UnavailableError("the publisher is shutting down");
  if (!recording_.Accepting()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "not recording (status ", RecordingStateName(recording_.Snapshot().state),
        "); start the record process first"));
  }
  const uint64_t points = lines.points();
  if (points == 0) {
    counters_.AddDropped(drops);
    return absl::OkStatus();
  }
  // No record is bigger than one batch (nor than one chunk): views into
  // the chunks, nothing copied.
  std::vector<spool::Chunk> chunks;
  // Per record: the chunk it is whole, whose series runs it has, or none.
  std::vector<size_t> whole_chunk;
  constexpr size_t kPart = SIZE_MAX;
  const size_t batch = options_.writer.batch_size;
  for (size_t i = 0; i < lines.size(); ++i) {
    const absl::string_view text = lines.chunk(i);
    const uint32_t chunk_points = lines.chunk_points(i);
    if (chunk_points <= batch) {
      chunks.push_back({std::string_view(text.data(), text.size()), chunk_points});
      whole_chunk.push_back(i);
      continue;
    }
    size_t start = 0, pos = 0;
    uint32_t n = 0;
    while (pos < text.size()) {
      size_t end = text.find('\n', pos);
      pos = end == absl::string_view::npos ? text.size() : end + 1;
      if (++n == batch || pos >= text.size()) {
        chunks.push_back({std::string_view(text.data() + start, pos - start), n});
        whole_chunk.push_back(kPart);
        start = pos;
        n = 0;
      }
    }
  }
  absl::StatusOr<uint64_t> seq = spool_->Append(chunks);
  if (!seq.ok()) {
    if (seq.status().code() != absl::StatusCode::kResourceExhausted) {
      LOG_ERROR("publisher: spool append failed: %s",
                std::string(seq.status().message()));
    }
    return seq.status();
  }
  counters_.points_accepted.fetch_add(points, std::memory_order_relaxed);
  counters_.AddDropped(drops);
  const absl::Time now = absl::Now();
  for (size_t i = 0; i < lines.size(); ++i) {
    feeds_.Accepted(lines.chunk(i), lines.chunk_runs(i), now);
  }
  // Kept after the append: the writer may already have sent a record, and
  // then scans it, which counts the same. Append returns the last seq; the
  // records' seqs are contiguous.
  const uint64_t first_seq = *seq + 1 - chunks.size();
  for (size_t k = 0; k < whole_chunk.size(); ++k) {
    if (whole_chunk[k] != kPart) {
      feeds_.KeepRuns(first_seq + k, lines.chunk_runs(whole_chunk[k]));
    }
  }
  return absl::OkStatus();
}

bool Publisher::Flush(absl::Time deadline, uint64_t* pending) {
  uint64_t target = spool_->last_appended_seq();
  writer_->RequestFlush();
  bool done = spool_->WaitAcknowledged(target, deadline);
  *pending = spool_->Stats().points;
  return done;
}

PublisherStatus Publisher::Status() const {
  auto get = [](const std::atomic<uint64_t>& a) {
    return a.load(std::memory_order_relaxed);
  };
  PublisherStatus out;
  out.taken = absl::Now();
  out.started = started_;
  out.recording = recording_.Snapshot();
  out.points_accepted = get(counters_.points_accepted);
  out.points_written = get(counters_.points_written);
  out.points_dead_lettered = get(counters_.points_dead_lettered);
  out.dead_letter_file = options_.dead_letter_file;
  for (size_t r = 0; r < out.dropped.size(); ++r) out.dropped[r] = get(counters_.dropped[r]);
  out.spool = spool_->Stats();
  out.spool_max_bytes = options_.spool.max_bytes;
  out.influx_url = influx_url_;
  out.influx_database = options_.influx.database;
  out.influx_retention_policy = options_.influx.retention_policy;
  out.connection = connection_.Get();
  out.batches_sent = get(counters_.batches_sent);
  out.bytes_sent_raw = get(counters_.bytes_sent_raw);
  out.bytes_sent_compressed = get(counters_.bytes_sent_compressed);
  out.retries = get(counters_.retries);
  out.batches_split = get(counters_.batches_split);
  out.latency_p50 = counters_.latency.Percentile(0.5);
  out.latency_p99 = counters_.latency.Percentile(0.99);
  out.feeds = feeds_.Snapshot(out.taken, kMaxTrackedFeeds);
  out.feeds_not_tracked = feeds_.feeds_not_tracked();
  out.points_not_tracked = feeds_.points_not_tracked();
  out.stale_after = feeds_.stale_after();
  return out;
}

void Publisher::Shutdown(absl::Duration drain) {
  absl::MutexLock lock(&shutdown_mu_);
  if (shutting_down_.exchange(true)) return;
  LOG_INFO("publisher: shutting down; delivering for at most %s",
           absl::FormatDuration(drain));
  if (writer_ != nullptr) writer_->Stop(drain);
  if (spool_ != nullptr) {
    spool::SpoolStats left = spool_->Stats();
    if (left.points > 0) {
      LOG_INFO("publisher: %d points stay in the spool for the next start",
               left.points);
    }
    spool_->Close();
  }
}

}  // namespace ocs_influx::server
