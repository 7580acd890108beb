#include "service/spool/segment_index.h"

#include <algorithm>
#include <utility>

namespace ocs_influx::spool {

SegmentIndex::Iterator SegmentIndex::FindIt(uint64_t name_seq) {
  auto it = std::lower_bound(segments_.begin(), segments_.end(), name_seq,
                             [](const SegmentInfo& s, uint64_t n) { return s.name_seq < n; });
  if (it != segments_.end() && it->name_seq != name_seq) return segments_.end();
  return it;
}

SegmentInfo* SegmentIndex::Find(uint64_t name_seq) {
  auto it = FindIt(name_seq);
  return it == segments_.end() ? nullptr : &*it;
}

void SegmentIndex::Add(SegmentInfo info) {
  records_ += info.records;
  points_ += info.points;
  bytes_ += info.bytes;
  for (const DamagedRegion& d : info.damaged) {
    ++records_lost_;
    bytes_lost_ += d.end - d.begin;
  }
  segments_.push_back(std::move(info));
}

void SegmentIndex::AddToBack(uint64_t records, uint64_t points, uint64_t bytes,
                             int64_t accepted_unix_ns) {
  SegmentInfo& seg = segments_.back();
  if (seg.records == 0) seg.oldest_accepted_unix_ns = accepted_unix_ns;
  seg.records += records;
  seg.points += points;
  seg.bytes += bytes;
  records_ += records;
  points_ += points;
  bytes_ += bytes;
}

std::string SegmentIndex::Remove(Iterator it) {
  records_ -= it->records;
  points_ -= it->points;
  bytes_ -= it->bytes;
  std::string path = std::move(it->path);
  segments_.erase(it);
  return path;
}

Taken SegmentIndex::Subtract(SegmentInfo* seg, uint64_t records, uint64_t points,
                             uint64_t bytes) {
  Taken t;
  t.records = std::min(records, seg->records);
  t.points = seg->records == t.records ? seg->points : std::min(points, seg->points);
  t.bytes = std::min(bytes, seg->bytes);
  seg->records -= t.records;
  seg->points -= t.points;
  seg->bytes -= t.bytes;
  records_ -= t.records;
  points_ -= t.points;
  bytes_ -= t.bytes;
  return t;
}

bool SegmentIndex::NoteDamage(uint64_t name_seq, DamagedRegion region, uint64_t records,
                              uint64_t points, Taken* taken, std::string* path) {
  SegmentInfo* seg = Find(name_seq);
  if (seg == nullptr) return false;
  for (const DamagedRegion& d : seg->damaged) {
    if (d.begin == region.begin) return false;
  }
  seg->damaged.insert(std::lower_bound(seg->damaged.begin(), seg->damaged.end(), region,
                                       [](const DamagedRegion& a, const DamagedRegion& b) {
                                         return a.begin < b.begin;
                                       }),
                      region);
  *taken = Subtract(seg, records, points, region.end - region.begin);
  ++records_lost_;
  bytes_lost_ += region.end - region.begin;
  *path = seg->path;
  return true;
}

int64_t SegmentIndex::oldest_accepted_unix_ns() const {
  for (const SegmentInfo& s : segments_) {
    if (s.records > 0) return s.oldest_accepted_unix_ns;
  }
  return 0;
}

}  // namespace ocs_influx::spool
