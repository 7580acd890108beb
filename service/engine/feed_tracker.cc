#include "service/engine/feed_tracker.h"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/time/clock.h"
#include "service/core/same_bytes.h"

namespace ocs_influx::server {
namespace {

// Up to the first unescaped space: measurement and tags as written.
absl::string_view SeriesKey(absl::string_view line) {
  for (size_t i = 0; i < line.size(); ++i) {
    if (line[i] == '\\') {
      ++i;
    } else if (line[i] == ' ') {
      return line.substr(0, i);
    }
  }
  return line;
}

// The next unescaped `c` at or after `from`, else size().
size_t FindUnescaped(absl::string_view s, size_t from, char c) {
  for (size_t i = from; i < s.size(); ++i) {
    if (s[i] == '\\') {
      ++i;
    } else if (s[i] == c) {
      return i;
    }
  }
  return s.size();
}

// Measurement and the `feed` tag's value, both escaped, of a series key.
void SplitKey(absl::string_view key, absl::string_view* measurement,
              absl::string_view* feed) {
  size_t end = FindUnescaped(key, 0, ',');
  *measurement = key.substr(0, end);
  *feed = absl::string_view();
  while (end < key.size()) {
    size_t start = end + 1;
    end = FindUnescaped(key, start, ',');
    absl::string_view tag = key.substr(start, end - start);
    if (tag.size() >= 5 && std::memcmp(tag.data(), "feed=", 5) == 0) {
      *feed = tag.substr(5);
      return;
    }
  }
}

std::string Unescape(absl::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 1 < s.size() &&
        (s[i + 1] == ',' || s[i + 1] == '=' || s[i + 1] == ' ')) {
      ++i;
    }
    out.push_back(s[i]);
  }
  return out;
}

// The line's trailing timestamp; 0 when it has none.
int64_t Timestamp(absl::string_view line) {
  size_t space = line.rfind(' ');
  int64_t ns = 0;
  if (space == absl::string_view::npos ||
      !absl::SimpleAtoi(line.substr(space + 1), &ns)) {
    return 0;
  }
  return ns;
}

}  // namespace

FeedTracker::FeedTracker(absl::Duration stale_after, size_t capacity,
                         absl::Duration evict_idle)
    : stale_after_(stale_after),
      capacity_(capacity),
      // A stale feed is what the operator is looking for: it stays
      // listed well past its staleness before a newcomer may take its place.
      evict_idle_(evict_idle > absl::ZeroDuration()
                      ? evict_idle
                      : std::max(10 * stale_after, absl::Minutes(10))) {}

void FeedTracker::Accepted(absl::string_view lines, absl::Time now) {
  Tally(lines, Count::kAccepted, now);
}

void FeedTracker::Accepted(absl::string_view lines, absl::Span<const core::SeriesRun> runs,
                           absl::Time now) {
  if (runs.empty()) {
    Tally(lines, Count::kAccepted, now);
    return;
  }
  RunGroups groups(this, Count::kAccepted, now);
  for (const core::SeriesRun& r : runs) {
    groups.Add(Run{lines.substr(r.start, r.key_bytes),
                   lines.substr(r.last_start, r.last_end - r.last_start), r.points});
  }
  groups.Flush();
}

void FeedTracker::KeepRuns(uint64_t seq, absl::Span<const core::SeriesRun> runs) {
  if (runs.empty()) return;
  std::vector<KeptRun> kept;
  kept.reserve(runs.size());
  for (const core::SeriesRun& r : runs) {
    // A chunk is cut past a few MiB and a request's lines stop at 128 MiB:
    // offsets fit 32 bits; anything else is not kept (and is scanned).
    if (r.start > UINT32_MAX || r.key_bytes > UINT32_MAX) return;
    kept.push_back({static_cast<uint32_t>(r.start), static_cast<uint32_t>(r.key_bytes),
                    r.points});
  }
  absl::MutexLock lock(&kept_mu_);
  kept_runs_ += kept.size();
  auto [it, inserted] = kept_.try_emplace(seq, std::move(kept));
  if (!inserted) {  // a seq is never reused: not expected, but stay bounded
    kept_runs_ -= it->second.size();
    it->second = std::move(kept);
  }
  kept_order_.push_back(seq);
  while (kept_order_.size() > kKeptRecords || kept_runs_ > kKeptRuns) {
    auto old = kept_.find(kept_order_.front());
    kept_order_.pop_front();
    if (old == kept_.end()) continue;  // written already
    kept_runs_ -= old->second.size();
    kept_.erase(old);
  }
}

void FeedTracker::Written(absl::string_view lines) {
  Tally(lines, Count::kWritten, absl::InfinitePast());
}

void FeedTracker::Written(absl::string_view lines, absl::Span<const RecordLines> records) {
  // Taken out under kept_mu_ (all or none), applied under mu_: the two
  // locks are never held together.
  std::vector<std::vector<KeptRun>> taken;
  {
    absl::MutexLock lock(&kept_mu_);
    bool all = !records.empty();
    for (const RecordLines& r : records) all = all && kept_.contains(r.seq);
    if (all) {
      taken.reserve(records.size());
      for (const RecordLines& r : records) {
        auto it = kept_.find(r.seq);
        kept_runs_ -= it->second.size();
        taken.push_back(std::move(it->second));
        kept_.erase(it);
      }
    }
  }
  // The runs must describe the lines given: in range and as many points as
  // each record holds. Otherwise the scan, which needs nothing kept.
  bool fits = !taken.empty();
  for (size_t i = 0; fits && i < records.size(); ++i) {
    const RecordLines& r = records[i];
    fits = r.offset <= lines.size() && r.size <= lines.size() - r.offset;
    uint64_t points = 0;
    for (const KeptRun& k : taken[i]) {
      fits = fits && k.start <= r.size && k.key_bytes <= r.size - k.start;
      points += k.points;
    }
    fits = fits && points == r.points;
  }
  if (!fits) {
    Tally(lines, Count::kWritten, absl::InfinitePast());
    return;
  }
  RunGroups groups(this, Count::kWritten, absl::InfinitePast());
  for (size_t i = 0; i < records.size(); ++i) {
    for (const KeptRun& k : taken[i]) {
      groups.Add(Run{lines.substr(records[i].offset + k.start, k.key_bytes),
                     absl::string_view(), k.points});
    }
  }
  groups.Flush();
}

void FeedTracker::DeadLettered(absl::string_view lines, bool were_written) {
  Tally(lines, were_written ? Count::kDeadLetteredFromWritten : Count::kDeadLettered,
        absl::InfinitePast());
}

void FeedTracker::RunGroups::Flush() {
  if (n_ > 0) tracker_->Apply(runs_.data(), n_, what_, now_);
  n_ = 0;
}

void FeedTracker::Tally(absl::string_view lines, Count what, absl::Time now) {
  RunGroups groups(this, what, now);
  Run run{absl::string_view(), absl::string_view(), 0};
  size_t pos = 0;
  while (pos < lines.size()) {
    const char* start = lines.data() + pos;
    const void* nl = std::memchr(start, '\n', lines.size() - pos);
    size_t len = nl == nullptr ? lines.size() - pos
                               : static_cast<const char*>(nl) - start;
    absl::string_view line(start, len);
    pos += len + 1;
    if (line.empty() || line[0] == '#') continue;
    // The same series as the line before: the common case, one compare.
    // The key has no unescaped space, so the space after the same prefix
    // is unescaped here too.
    const size_t k = run.key.size();
    if (run.points > 0 && line.size() > k && line[k] == ' ' &&
        core::SameBytes(line.data(), run.key.data(), k)) {
      ++run.points;
      run.last_line = line;
      continue;
    }
    if (run.points > 0) groups.Add(run);
    run = Run{SeriesKey(line), line, 1};
  }
  if (run.points > 0) groups.Add(run);
  groups.Flush();
}

void FeedTracker::Apply(const Run* runs, size_t n, Count what, absl::Time now) {
  absl::MutexLock lock(&mu_);
  const int64_t bucket = absl::ToUnixSeconds(now) / kBucketSeconds;
  for (size_t j = 0; j < n; ++j) {
    const Run& r = runs[j];
    Entry* e = Find(r.key, what == Count::kAccepted, now);
    if (e == nullptr) {
      if (what == Count::kAccepted) points_not_tracked_ += r.points;
      continue;
    }
    switch (what) {
      case Count::kAccepted: {
        e->accepted += r.points;
        e->last_arrival = now;
        int64_t ts = Timestamp(r.last_line);
        if (ts != 0) e->last_point_ns = ts;
        const int i = static_cast<int>(bucket % kBuckets);
        if (e->bucket_id[i] != bucket) {
          e->bucket_id[i] = bucket;
          e->bucket_points[i] = 0;
        }
        e->bucket_points[i] += r.points;
        break;
      }
      case Count::kWritten:
        e->written += r.points;
        break;
      case Count::kDeadLetteredFromWritten:
        e->written -= std::min(e->written, r.points);
        e->dead_lettered += r.points;
        break;
      case Count::kDeadLettered:
        e->dead_lettered += r.points;
        break;
    }
  }
}

FeedTracker::Entry* FeedTracker::Find(absl::string_view series_key, bool create,
                                      absl::Time now) {
  absl::string_view measurement, feed;
  SplitKey(series_key, &measurement, &feed);
  key_.assign(measurement.data(), measurement.size());
  key_.push_back('\n');
  key_.append(feed.data(), feed.size());
  auto it = feeds_.find(key_);
  if (it != feeds_.end()) return &it->second;
  if (!create) return nullptr;
  if (feeds_.size() >= capacity_ && !MakeRoom(now)) {
    ++feeds_not_tracked_;
    return nullptr;
  }
  Entry& e = feeds_[key_];
  e.measurement = Unescape(measurement);
  e.feed = Unescape(feed);
  return &e;
}

bool FeedTracker::MakeRoom(absl::Time now) {
  // A sweep costs the whole table: at most one a second, so a stream of
  // unique names costs a look-up each, not a sweep each.
  if (now - last_sweep_ < absl::Seconds(1)) return false;
  last_sweep_ = now;
  for (auto it = feeds_.begin(); it != feeds_.end();) {
    if (now - it->second.last_arrival > evict_idle_) {
      feeds_.erase(it++);
    } else {
      ++it;
    }
  }
  return feeds_.size() < capacity_;
}

std::vector<FeedSnapshot> FeedTracker::Snapshot(absl::Time now, size_t limit) const {
  std::vector<FeedSnapshot> out;
  const int64_t bucket = absl::ToUnixSeconds(now) / kBucketSeconds;
  {
    absl::MutexLock lock(&mu_);
    out.reserve(feeds_.size());
    for (const auto& [key, e] : feeds_) {
      FeedSnapshot s;
      s.measurement = e.measurement;
      s.feed = e.feed;
      s.points_accepted = e.accepted;
      s.points_written = e.written;
      s.points_dead_lettered = e.dead_lettered;
      s.last_point_unix_ns = e.last_point_ns;
      s.last_arrival = e.last_arrival;
      uint64_t recent = 0;
      for (int i = 0; i < kBuckets; ++i) {
        if (e.bucket_id[i] > bucket - kBuckets) recent += e.bucket_points[i];
      }
      s.points_per_second = static_cast<double>(recent) / (kBuckets * kBucketSeconds);
      s.stale = now - e.last_arrival > stale_after_;
      out.push_back(std::move(s));
    }
  }
  std::sort(out.begin(), out.end(), [](const FeedSnapshot& a, const FeedSnapshot& b) {
    if (a.last_arrival != b.last_arrival) return a.last_arrival > b.last_arrival;
    if (a.measurement != b.measurement) return a.measurement < b.measurement;
    return a.feed < b.feed;
  });
  if (out.size() > limit) out.resize(limit);
  return out;
}

uint64_t FeedTracker::feeds_not_tracked() const {
  absl::MutexLock lock(&mu_);
  return feeds_not_tracked_;
}

uint64_t FeedTracker::points_not_tracked() const {
  absl::MutexLock lock(&mu_);
  return points_not_tracked_;
}

size_t FeedTracker::tracked() const {
  absl::MutexLock lock(&mu_);
  return feeds_.size();
}

}  // namespace ocs_influx::server
