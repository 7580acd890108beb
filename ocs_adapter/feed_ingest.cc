#include "ocs_adapter/feed_ingest.h"

#include <algorithm>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/log/log.h"
#include "ocs_adapter/feed_bounds.h"

namespace ocs_influx::ocs_adapter {

namespace v1 = ocs::influx::v1;

namespace {

// Every queued feed also costs its object, its header strings and the
// queue's slot: a zero-point feed is not free.
constexpr uint64_t kFeedOverheadBytes = 256;

// gRPC answers RESOURCE_EXHAUSTED both for a full spool (worth retrying)
// and for a message over a size limit (never worth it); only the text tells
// them apart ("Sent message larger than max", "Received message larger
// than max").
bool MessageTooLarge(const absl::Status& s) {
  return s.code() == absl::StatusCode::kResourceExhausted &&
         absl::StrContains(s.message(), "larger than max");
}

// An arena's first block is what the smallest publication costs, so it is
// one page (a 1-row feed holds it all); the blocks after it double, up to
// 1 MiB: a publication of 100 rows of 16 floats (about 17 KiB) takes three.
constexpr size_t kFirstArenaBlock = 4u << 10;
constexpr size_t kMaxArenaBlock = 1u << 20;

}  // namespace

ArenaFeed ArenaFeed::New() {
  google::protobuf::ArenaOptions options;
  options.start_block_size = kFirstArenaBlock;
  options.max_block_size = kMaxArenaBlock;
  ArenaFeed f;
  f.arena = std::make_unique<google::protobuf::Arena>(options);
  f.feed = google::protobuf::Arena::CreateMessage<v1::OcsFeed>(f.arena.get());
  return f;
}

ArenaFeed ArenaFeed::Of(const v1::OcsFeed& feed) {
  ArenaFeed f = New();
  *f.feed = feed;
  return f;
}

uint64_t FeedIngest::PointsOf(const v1::OcsFeed& feed) {
  uint64_t points = 0;
  for (const auto& block : feed.blocks()) points += block.timestamps_size();
  return points;
}

uint64_t FeedIngest::CostOf(const v1::OcsFeed& feed) {
  return CostOf(feed, feed.ByteSizeLong());
}

uint64_t FeedIngest::CostOf(const ArenaFeed& feed, size_t wire_bytes) {
  // The arena's blocks are what the feed holds; the estimate counts what
  // the blocks leave unused in a tiny feed, and the other way round.
  return std::max<uint64_t>(CostOf(*feed.feed, wire_bytes),
                            feed.arena->SpaceAllocated() + sizeof(google::protobuf::Arena));
}

uint64_t FeedIngest::CostOf(const v1::OcsFeed& feed, size_t wire_bytes) {
  // What the feed holds in memory, estimated in one pass over its columns:
  // the wire size, plus what memory adds per value over it (a small int is
  // one byte on the wire and eight in memory; a string or a mixed value is
  // an object of its own). The wire size alone undercounted mixed columns
  // about tenfold.
  uint64_t cost = wire_bytes + kFeedOverheadBytes;
  for (const v1::Block& b : feed.blocks()) {
    cost += kFeedOverheadBytes;
    for (const v1::Column& c : b.columns()) {
      switch (c.values_case()) {
        case v1::Column::kInts:
          cost += 8ull * c.ints().values_size();
          break;
        case v1::Column::kStrings:
          cost += (sizeof(std::string) + sizeof(void*)) * c.strings().values_size();
          break;
        case v1::Column::kMixed:
          cost += (sizeof(v1::FieldValue) + sizeof(void*) + sizeof(std::string)) *
                  c.mixed().values_size();
          break;
        default:
          break;
      }
    }
  }
  return cost;
}

FeedIngest::FeedIngest(IngestOptions options, PublisherLink* client,
                       AdapterCounters* counters, DeadLetters* dead_letters)
    : options_(options), client_(client), counters_(counters), dead_letters_(dead_letters) {
  thread_ = std::thread([this] { Run(); });
}

FeedIngest::~FeedIngest() { Stop(absl::ZeroDuration()); }

bool FeedIngest::Offer(const v1::OcsFeed& feed) {
  return Offer(ArenaFeed::Of(feed), EncodedBytesBound(feed));
}

bool FeedIngest::Offer(ArenaFeed feed, uint64_t line_bytes) {
  const uint64_t points = PointsOf(*feed.feed);
  const size_t wire_bytes = feed.feed->ByteSizeLong();
  const uint64_t bytes = CostOf(feed, wire_bytes);
  absl::MutexLock lock(&mu_);
  if (stop_ || queued_points_ + points > options_.max_queued_points ||
      queued_bytes_ + bytes > options_.max_queued_bytes) {
    counters_->points_refused.fetch_add(points);
    return false;
  }
  queued_points_ += points;
  queued_bytes_ += bytes;
  queue_.push_back(Entry{std::move(feed), points, bytes, line_bytes, wire_bytes});
  return true;
}

uint64_t FeedIngest::queued_points() const {
  absl::MutexLock lock(&mu_);
  return queued_points_;
}

uint64_t FeedIngest::queued_bytes() const {
  absl::MutexLock lock(&mu_);
  return queued_bytes_;
}

void FeedIngest::Stop(absl::Duration drain) {
  {
    absl::MutexLock lock(&mu_);
    stop_ = true;
    // Give the sender until the deadline to empty the queue; it wakes us.
    auto drained = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return queue_.empty() && !sending_;
    };
    mu_.AwaitWithTimeout(absl::Condition(&drained), drain);
  }
  stop_signal_.Stop();
  if (thread_.joinable()) thread_.join();
}

bool FeedIngest::CallFull() const {
  return queue_.size() >= options_.max_feeds_per_call ||
         queued_bytes_ >= options_.max_bytes_per_call;
}

void FeedIngest::Run() {
  // The call's feeds stay in their arenas (held in `arenas` until the call
  // is over): `batch` holds them without owning them, and gives them back
  // before it is reused.
  v1::IngestFeedRequest batch;
  std::vector<std::unique_ptr<google::protobuf::Arena>> arenas;
  absl::Time last_call = absl::InfinitePast();
  while (true) {
    uint64_t points = 0;
    uint64_t bytes = 0;
    {
      absl::MutexLock lock(&mu_);
      sending_ = false;
      // absl::Mutex evaluates these conditions when Offer() unlocks, and
      // wakes this thread only when one holds: a publication that arrives
      // while a call is in flight costs no wake-up at all.
      auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
        return !queue_.empty() || stop_;
      };
      const bool was_idle = queue_.empty();
      mu_.Await(absl::Condition(&ready));
      if (queue_.empty() || stop_signal_.stopped()) break;
      // A first publication after a pause waits a moment for its
      // neighbours; what piled up during the last call waits out the rest
      // of the call interval. A call's worth, or a stop, goes at once.
      absl::Time start = absl::Now();
      absl::Time deadline = last_call + options_.call_interval;
      if (was_idle) deadline = std::max(deadline, start + options_.linger);
      if (deadline > start) {
        auto full = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return stop_ || CallFull(); };
        mu_.AwaitWithDeadline(absl::Condition(&full), deadline);
        start = absl::Now();
      }
      last_call = start;
      sending_ = true;
      if (queue_.front().wire_bytes > options_.max_bytes_per_call ||
          queue_.front().line_bytes > options_.max_line_bytes_per_call) {
        // Too big for one call: cut it into pieces, put them back in its
        // place, in order. The copy runs without the lock.
        Entry big = std::move(queue_.front());
        queue_.pop_front();
        mu_.Unlock();
        // Out of its arena (a copy: protobuf moves only within one arena),
        // which goes before the pieces are made; each piece goes into an
        // arena of its own and its heap copy at once.
        v1::OcsFeed whole(*big.feed.feed);
        big.feed = ArenaFeed();
        std::vector<v1::OcsFeed> pieces = SplitFeed(
            std::move(whole), options_.max_bytes_per_call, options_.max_line_bytes_per_call);
        std::vector<Entry> entries;
        entries.reserve(pieces.size());
        for (v1::OcsFeed& p : pieces) {
          const size_t wire_bytes = p.ByteSizeLong();
          const uint64_t n = PointsOf(p);
          const uint64_t lines = EncodedBytesBound(p);
          ArenaFeed piece = ArenaFeed::Of(p);
          p = v1::OcsFeed();
          const uint64_t cost = CostOf(piece, wire_bytes);
          entries.push_back(Entry{std::move(piece), n, cost, lines, wire_bytes});
        }
        mu_.Lock();
        queued_bytes_ -= big.bytes;
        for (size_t i = entries.size(); i-- > 0;) {
          queued_bytes_ += entries[i].bytes;
          queue_.push_front(std::move(entries[i]));
        }
      }
      // Bounded in bytes too: a backlog of big publications must not make
      // one call larger than the publisher takes (16 MiB).
      size_t call_bytes = 0;
      uint64_t call_line_bytes = 0;
      while (!queue_.empty() &&
             static_cast<size_t>(batch.feeds_size()) < options_.max_feeds_per_call) {
        const size_t size = queue_.front().wire_bytes;
        const uint64_t lines = queue_.front().line_bytes;
        if (batch.feeds_size() > 0 && (call_bytes + size > options_.max_bytes_per_call ||
                               call_line_bytes + lines > options_.max_line_bytes_per_call)) {
          break;
        }
        call_bytes += size;
        call_line_bytes += lines;
        points += queue_.front().points;
        bytes += queue_.front().bytes;
        batch.mutable_feeds()->UnsafeArenaAddAllocated(queue_.front().feed.feed);
        arenas.push_back(std::move(queue_.front().feed.arena));
        queue_.pop_front();
      }
    }
    const bool finished = Send(&batch, points);
    batch.mutable_feeds()->UnsafeArenaExtractSubrange(0, batch.feeds_size(), nullptr);
    arenas.clear();
    absl::MutexLock lock(&mu_);
    queued_points_ -= points;
    queued_bytes_ -= bytes;
    if (!finished) break;
  }
  absl::MutexLock lock(&mu_);
  if (queued_points_ > 0 || !queue_.empty()) {
    LOG_WARNING("ingest: %d points in %d publications not delivered to the publisher at "
                "shutdown", queued_points_, queue_.size());
    counters_->points_refused.fetch_add(queued_points_);
  }
  queue_.clear();
  queued_points_ = 0;
  queued_bytes_ = 0;
  sending_ = false;
}

void FeedIngest::Refuse(Refusal reason, const absl::Status& status, const v1::OcsFeed& feed) {
  const uint64_t points = PointsOf(feed);
  counters_->points_refused.fetch_add(points);
  if (dead_letters_ != nullptr) {
    dead_letters_->Refuse(reason, status.message(), feed);
  } else {
    counters_->publications_refused[static_cast<int>(reason)].fetch_add(1);
  }
}

bool FeedIngest::Send(v1::IngestFeedRequest* batch, uint64_t points) {
  if (batch->feeds_size() == 1 && batch->feeds(0).ByteSizeLong() > options_.max_call_bytes) {
    // One row too big for any call (SplitFeed cuts everything else): a
    // call could only fail, so none is made.
    Refuse(Refusal::kTooLarge,
           absl::InvalidArgumentError(absl::StrCat(
               "a row of ", batch->feeds(0).ByteSizeLong(), " bytes is larger than a call to the "
               "publisher may be (", options_.max_call_bytes, " bytes)")),
           batch->feeds(0));
    return true;
  }
  Backoff backoff(options_.initial_backoff, options_.max_backoff);
  while (true) {
    absl::StatusOr<v1::WriteResponse> r = client_->IngestFeeds(*batch);
    const absl::StatusCode code = r.ok() ? absl::StatusCode::kOk : r.status().code();
    const bool too_large = !r.ok() && MessageTooLarge(r.status());
    // Unavailable: the publisher restarts or is far away. Resource
    // exhausted (not a size limit): its spool is full. Either way the batch
    // waits here, in a bounded queue, and is retried.
    const bool retry = !too_large && (code == absl::StatusCode::kUnavailable ||
                                      code == absl::StatusCode::kDeadlineExceeded ||
                                      code == absl::StatusCode::kResourceExhausted);
    if (!retry && backoff.attempts() > 0) {
      LOG_INFO("ingest: the publisher takes points again after %d retries", backoff.attempts());
      counters_->publisher_waiting.store(false);
    }
    if (!retry) {
      if ((code == absl::StatusCode::kInvalidArgument || too_large) && batch->feeds_size() > 1) {
        // One bad publication must not cost its neighbours: send them one
        // by one to find it.
        for (v1::OcsFeed& feed : *batch->mutable_feeds()) {
          v1::IngestFeedRequest single;
          single.mutable_feeds()->UnsafeArenaAddAllocated(&feed);  // lent, as in Run
          const bool finished = Send(&single, PointsOf(feed));
          single.mutable_feeds()->UnsafeArenaExtractSubrange(0, 1, nullptr);
          if (!finished) return false;
        }
        return true;
      }
      if (too_large) {
        Refuse(Refusal::kTooLarge, r.status(), batch->feeds(0));
        return true;
      }
      Account(r.status(), *batch, points);
      return true;
    }
    // A stall shows: one warning when it starts, the session data while it
    // lasts, one line when it ends.
    if (backoff.attempts() == 0) {
      LOG_WARNING("ingest: the publisher does not take points (%s); they wait in the queue, "
                  "retried with backoff", std::string(r.status().message()));
      counters_->publisher_waiting.store(true);
    }
    const absl::Duration delay = backoff.Next();
    LOG_DEBUG("ingest: publisher not taking points (%s); retrying in %s",
              std::string(r.status().message()), absl::FormatDuration(delay));
    if (!stop_signal_.SleepFor(delay)) {
      LOG_WARNING("ingest: %d points not delivered to the publisher at shutdown: %s",
                  points, std::string(r.status().message()));
      counters_->points_refused.fetch_add(points);
      return false;
    }
  }
}

void FeedIngest::Account(const absl::Status& status, const v1::IngestFeedRequest& batch,
                         uint64_t points) {
  if (status.ok()) return;
  if (status.code() == absl::StatusCode::kFailedPrecondition) {
    // As OCS: data arriving while not recording is dropped and counted.
    counters_->points_not_recording.fetch_add(points);
    return;
  }
  if (status.code() == absl::StatusCode::kInvalidArgument && batch.feeds_size() == 1) {
    counters_->events_malformed.fetch_add(1);
    Refuse(Refusal::kPublisherRefused, status, batch.feeds(0));
    return;
  }
  counters_->points_refused.fetch_add(points);
  absl::Time now = absl::Now();
  if (now - last_refusal_log_ >= absl::Seconds(10)) {
    last_refusal_log_ = now;
    LOG_WARNING("ingest: publisher refused %d points of %s: %s", points,
                batch.feeds().empty() ? std::string("?") : batch.feeds(0).agent_address(),
                std::string(status.message()));
  }
}

}  // namespace ocs_influx::ocs_adapter
