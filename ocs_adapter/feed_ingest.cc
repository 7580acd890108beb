#include "ocs_adapter/feed_ingest.h"

#include <algorithm>

#include "absl/time/clock.h"
#include "service/log/log.h"

namespace ocs_influx::ocs_adapter {

namespace v1 = ocs::influx::v1;

uint64_t FeedIngest::PointsOf(const v1::OcsFeed& feed) {
  uint64_t points = 0;
  for (const auto& block : feed.blocks()) points += block.timestamps_size();
  return points;
}

FeedIngest::FeedIngest(IngestOptions options, PublisherClient* client,
                       AdapterCounters* counters)
    : options_(options), client_(client), counters_(counters) {
  thread_ = std::thread([this] { Run(); });
}

FeedIngest::~FeedIngest() { Stop(absl::ZeroDuration()); }

bool FeedIngest::Offer(v1::OcsFeed feed) {
  const uint64_t points = PointsOf(feed);
  absl::MutexLock lock(&mu_);
  if (stop_ || queued_points_ + points > options_.max_queued_points) {
    counters_->points_refused.fetch_add(points);
    return false;
  }
  queued_points_ += points;
  queue_.push_back(std::move(feed));
  return true;
}

uint64_t FeedIngest::queued_points() const {
  absl::MutexLock lock(&mu_);
  return queued_points_;
}

void FeedIngest::Stop(absl::Duration drain) {
  {
    absl::MutexLock lock(&mu_);
    if (!stop_) {
      stop_ = true;
      drain_deadline_ = absl::Now() + drain;
    }
  }
  if (thread_.joinable()) thread_.join();
}

void FeedIngest::Run() {
  std::vector<v1::OcsFeed> batch;
  while (true) {
    uint64_t points = 0;
    {
      absl::MutexLock lock(&mu_);
      auto ready = [this] { return !queue_.empty() || stop_; };
      mu_.AwaitWithTimeout(absl::Condition(&ready), absl::Milliseconds(200));
      if (queue_.empty()) {
        if (stop_) return;
        continue;
      }
      if (stop_ && absl::Now() >= drain_deadline_) return;
      // Bounded in bytes too: a backlog of big publications must not make
      // one call larger than the publisher takes (16 MiB).
      batch.clear();
      size_t bytes = 0;
      while (!queue_.empty() && batch.size() < options_.max_feeds_per_call) {
        const size_t size = queue_.front().ByteSizeLong();
        if (!batch.empty() && bytes + size > options_.max_bytes_per_call) break;
        bytes += size;
        points += PointsOf(queue_.front());
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
    }
    bool finished = Send(&batch, points);
    absl::MutexLock lock(&mu_);
    queued_points_ -= points;
    if (!finished) return;
  }
}

bool FeedIngest::Send(std::vector<v1::OcsFeed>* batch, uint64_t points) {
  absl::Duration backoff = absl::Milliseconds(50);
  while (true) {
    absl::StatusOr<v1::WriteResponse> r = client_->IngestFeeds(batch);
    absl::StatusCode code = r.ok() ? absl::StatusCode::kOk : r.status().code();
    // Unavailable: the publisher restarts or is far away. Resource
    // exhausted: its spool is full (batches stay under its message limit).
    // Either way the batch waits here, in a bounded queue, and is retried.
    if (code != absl::StatusCode::kUnavailable &&
        code != absl::StatusCode::kDeadlineExceeded &&
        code != absl::StatusCode::kResourceExhausted) {
      if (code == absl::StatusCode::kInvalidArgument && batch->size() > 1) {
        // One bad publication must not cost its neighbours: send them one
        // by one to find it.
        for (v1::OcsFeed& feed : *batch) {
          std::vector<v1::OcsFeed> single(1);
          single[0].Swap(&feed);
          if (!Send(&single, PointsOf(single[0]))) return false;
        }
        return true;
      }
      Account(r.status(), *batch, points);
      return true;
    }
    {
      absl::MutexLock lock(&mu_);
      if (stop_ && absl::Now() >= drain_deadline_) {
        LOG_WARNING("ingest: %d points not delivered to the publisher at shutdown: %s",
                    points, std::string(r.status().message()));
        counters_->points_refused.fetch_add(points);
        return false;
      }
    }
    LOG_DEBUG("ingest: publisher not taking points (%s); retrying",
              std::string(r.status().message()));
    absl::SleepFor(backoff);
    backoff = std::min(backoff * 2, options_.max_backoff);
  }
}

void FeedIngest::Account(const absl::Status& status,
                         const std::vector<v1::OcsFeed>& batch, uint64_t points) {
  if (status.ok()) return;
  if (status.code() == absl::StatusCode::kFailedPrecondition) {
    // As OCS: data arriving while not recording is dropped and counted.
    counters_->points_not_recording.fetch_add(points);
    return;
  }
  counters_->points_refused.fetch_add(points);
  if (status.code() == absl::StatusCode::kInvalidArgument) {
    counters_->events_malformed.fetch_add(batch.size());
  }
  absl::Time now = absl::Now();
  if (now - last_refusal_log_ >= absl::Seconds(10)) {
    last_refusal_log_ = now;
    LOG_WARNING("ingest: publisher refused %d points of %s: %s", points,
                batch.empty() ? std::string("?") : batch[0].agent_address(),
                std::string(status.message()));
  }
}

}  // namespace ocs_influx::ocs_adapter
