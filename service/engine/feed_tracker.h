// Per-feed health: for each (measurement, feed) the points accepted, written
// and dead-lettered, the newest point's timestamp, the last arrival, the
// rate over the last minute and whether it went quiet. The operator's first
// question is "which agent stopped sending?"; totals cannot answer it.
//
// Feeds are recognised in the line protocol itself, so every way in (Write,
// WriteLines, WriteStream, IngestFeed, the adapter's embedded publisher) and
// the writer's acknowledgements are counted alike. The cost stays per run
// of lines of one series, not per point: a line is compared with the
// previous line's series key (one comparison), and only when the series
// changes is its `feed` tag parsed and the table looked up, once, under one
// lock per call. An OCS feed is one run. The encoders record a chunk's runs
// as they write it (core::LineChunks); acceptance counts from them, and
// keeps them per spool record so that the writer's count of what InfluxDB
// stored needs no second scan either (KeepRuns). Nothing is allocated per
// point; the table allocates only when a new feed enters it, the kept runs
// once per record.
//
// Bounded: at most `capacity` feeds. A new feed finding the table full
// evicts the ones idle longer than `evict_idle` (at most one sweep per
// second); if none is, it is counted in feeds_not_tracked and its points in
// points_not_tracked. A stream of unique names cannot grow memory.
#ifndef OCS_INFLUX_SERVICE_ENGINE_FEED_TRACKER_H_
#define OCS_INFLUX_SERVICE_ENGINE_FEED_TRACKER_H_

#include <array>
#include <cstdint>
#include <deque>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/node_hash_map.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "service/core/line_chunks.h"

namespace ocs_influx::server {

inline constexpr size_t kMaxTrackedFeeds = 4096;

struct FeedSnapshot {
  std::string measurement;  // unescaped
  std::string feed;         // unescaped; "" when the lines carry no feed tag
  uint64_t points_accepted = 0;
  uint64_t points_written = 0;
  uint64_t points_dead_lettered = 0;
  int64_t last_point_unix_ns = 0;
  absl::Time last_arrival = absl::InfinitePast();
  double points_per_second = 0;
  bool stale = false;
};

class FeedTracker {
 public:
  explicit FeedTracker(absl::Duration stale_after,
                       size_t capacity = kMaxTrackedFeeds,
                       absl::Duration evict_idle = absl::ZeroDuration());

  absl::Duration stale_after() const { return stale_after_; }

  // `lines`: whole lines of line protocol, each ending in '\n'.
  void Accepted(absl::string_view lines, absl::Time now);
  // The same for one chunk of core::LineChunks with its series runs
  // (chunk_runs): counted from them, no line scanned. Empty runs (a chunk
  // of too many): as above.
  void Accepted(absl::string_view lines, absl::Span<const core::SeriesRun> runs, absl::Time now);
  // Keeps the runs of the chunk that became spool record `seq`, so that
  // Written counts that record from them when InfluxDB has stored it
  // instead of scanning its lines again. Bounded: the runs of at most
  // kKeptRecords records and kKeptRuns runs are kept, the oldest dropped
  // first (their records are then scanned). Empty runs keep nothing.
  void KeepRuns(uint64_t seq, absl::Span<const core::SeriesRun> runs);
  // InfluxDB stored them.
  void Written(absl::string_view lines);
  // One spool record within the lines given to Written: its seq, points,
  // and where its lines lie in them.
  struct RecordLines {
    uint64_t seq;
    uint32_t points;
    size_t offset;
    size_t size;
  };
  // InfluxDB stored `lines`, which are `records` end to end: counted from
  // the runs KeepRuns kept if it kept every record's (they are then
  // dropped), else scanned as Written(lines) does.
  void Written(absl::string_view lines, absl::Span<const RecordLines> records);
  // Dead-lettered (comment lines, '#', are skipped). `were_written`: they
  // were counted by Written before (a partial write), so they move.
  void DeadLettered(absl::string_view lines, bool were_written);

  // The feeds that arrived most recently first, at most `limit`.
  std::vector<FeedSnapshot> Snapshot(absl::Time now, size_t limit) const;
  uint64_t feeds_not_tracked() const;
  uint64_t points_not_tracked() const;
  size_t tracked() const;

 private:
  // Points/s over the last minute: 12 buckets of 5 s.
  static constexpr int kBuckets = 12;
  static constexpr int64_t kBucketSeconds = 5;

  struct Entry {
    std::string measurement;
    std::string feed;
    uint64_t accepted = 0;
    uint64_t written = 0;
    uint64_t dead_lettered = 0;
    int64_t last_point_ns = 0;
    absl::Time last_arrival = absl::InfinitePast();
    std::array<uint64_t, kBuckets> bucket_points{};
    std::array<int64_t, kBuckets> bucket_id{};
  };

  struct Run {
    absl::string_view key;        // series key, escaped
    absl::string_view last_line;  // for the newest timestamp
    uint64_t points = 0;
  };

  enum class Count { kAccepted, kWritten, kDeadLettered, kDeadLetteredFromWritten };

  static constexpr size_t kRunsPerLock = 128;
  static constexpr size_t kKeptRecords = 4096;
  static constexpr size_t kKeptRuns = 1 << 16;

  // A run of a kept record: offsets into the record's lines.
  struct KeptRun {
    uint32_t start;
    uint32_t key_bytes;
    uint32_t points;
  };

  // Runs found outside the lock, applied in groups of kRunsPerLock: one
  // lock per group, and a fixed buffer however many series a call holds.
  class RunGroups {
   public:
    RunGroups(FeedTracker* tracker, Count what, absl::Time now)
        : tracker_(tracker), what_(what), now_(now) {}
    void Add(const Run& run) {
      runs_[n_++] = run;
      if (n_ == runs_.size()) Flush();
    }
    // Applies the runs added since the last group; call once at the end.
    void Flush();

   private:
    FeedTracker* const tracker_;
    const Count what_;
    const absl::Time now_;
    std::array<Run, kRunsPerLock> runs_;
    size_t n_ = 0;
  };

  void Tally(absl::string_view lines, Count what, absl::Time now);
  void Apply(const Run* runs, size_t n, Count what, absl::Time now)
      ABSL_LOCKS_EXCLUDED(mu_);
  // The entry of a series key; nullptr if untracked (and `create` false or
  // the table full).
  Entry* Find(absl::string_view series_key, bool create, absl::Time now)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  bool MakeRoom(absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const absl::Duration stale_after_;
  const size_t capacity_;
  const absl::Duration evict_idle_;

  mutable absl::Mutex mu_;
  // Key: escaped measurement, '\n', escaped feed value ('\n' is in no name).
  absl::node_hash_map<std::string, Entry> feeds_ ABSL_GUARDED_BY(mu_);
  std::string key_ ABSL_GUARDED_BY(mu_);  // reused: no allocation per look-up
  uint64_t feeds_not_tracked_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t points_not_tracked_ ABSL_GUARDED_BY(mu_) = 0;
  absl::Time last_sweep_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();

  // KeepRuns's records. Never held with mu_.
  absl::Mutex kept_mu_;
  absl::flat_hash_map<uint64_t, std::vector<KeptRun>> kept_ ABSL_GUARDED_BY(kept_mu_);
  std::deque<uint64_t> kept_order_ ABSL_GUARDED_BY(kept_mu_);  // oldest first
  size_t kept_runs_ ABSL_GUARDED_BY(kept_mu_) = 0;              // in kept_
};

}  // namespace ocs_influx::server

#endif  // OCS_INFLUX_SERVICE_ENGINE_FEED_TRACKER_H_
