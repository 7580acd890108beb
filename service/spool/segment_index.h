// The spool's in-memory index: one small entry per segment file (never
// payloads, so a backlog of gigabytes costs no RAM), the totals over them,
// and what was lost to damage. Not thread-safe: Spool guards it with its
// mutex. Counts are of unacknowledged records only.
#ifndef OCS_INFLUX_SERVICE_SPOOL_SEGMENT_INDEX_H_
#define OCS_INFLUX_SERVICE_SPOOL_SEGMENT_INDEX_H_

#include <cstdint>
#include <deque>
#include <string>
#include <vector>

#include "service/spool/segment.h"

namespace ocs_influx::spool {

// Per segment file, everything needed for stats, reading and deletion.
struct SegmentInfo {
  std::string path;
  uint64_t name_seq = 0;
  uint64_t last_seq = 0;     // last durable record
  uint64_t size = 0;         // durable bytes; readers never look past it
  uint64_t ack_offset = 0;   // first unacknowledged record
  uint64_t records = 0, points = 0, bytes = 0;  // unacknowledged
  int64_t oldest_accepted_unix_ns = 0;          // first unacknowledged
  std::vector<DamagedRegion> damaged;           // sorted; past ack_offset
};

// What a count change took away, so the caller can release reserved space.
struct Taken {
  uint64_t records = 0, points = 0, bytes = 0;
};

class SegmentIndex {
 public:
  using Iterator = std::deque<SegmentInfo>::iterator;

  bool empty() const { return segments_.empty(); }
  size_t size() const { return segments_.size(); }
  Iterator begin() { return segments_.begin(); }
  Iterator end() { return segments_.end(); }
  SegmentInfo& back() { return segments_.back(); }

  // In name order; nullptr / end() if there is no such segment.
  SegmentInfo* Find(uint64_t name_seq);
  Iterator FindIt(uint64_t name_seq);

  // Appends a segment (name above every other) with its counts, and counts
  // each of its damaged regions as lost.
  void Add(SegmentInfo info);
  // A durable batch appended to the last segment.
  void AddToBack(uint64_t records, uint64_t points, uint64_t bytes, int64_t accepted_unix_ns);
  // Removes a segment and its counts; returns its path.
  std::string Remove(Iterator it);

  // Takes up to the given counts off `seg` (clamped: damage noted meanwhile
  // may have taken its share). A segment left with no record has no points
  // either: the points of a record whose header was damaged were unknown.
  Taken Subtract(SegmentInfo* seg, uint64_t records, uint64_t points, uint64_t bytes);

  // Records a damaged region of segment `name_seq` once: false if it is
  // unknown or already noted. Its bytes are counted exactly, the region as
  // one lost record, and the segment's counts lose what it held (`records`
  // and `points`, as far as the headers tell). `*taken` says what.
  bool NoteDamage(uint64_t name_seq, DamagedRegion region, uint64_t records, uint64_t points,
                  Taken* taken, std::string* path);

  uint64_t records() const { return records_; }
  uint64_t points() const { return points_; }
  uint64_t bytes() const { return bytes_; }
  uint64_t records_lost_to_damage() const { return records_lost_; }
  uint64_t bytes_lost_to_damage() const { return bytes_lost_; }
  // Of the oldest unacknowledged record; 0 when there is none.
  int64_t oldest_accepted_unix_ns() const;

 private:
  std::deque<SegmentInfo> segments_;
  uint64_t records_ = 0, points_ = 0, bytes_ = 0;
  uint64_t records_lost_ = 0, bytes_lost_ = 0;
};

}  // namespace ocs_influx::spool

#endif  // OCS_INFLUX_SERVICE_SPOOL_SEGMENT_INDEX_H_
