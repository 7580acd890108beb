// The newest records' payloads in memory, for a reader that follows close
// behind the appenders (the writer, while InfluxDB keeps up): it takes them
// from here instead of reading the segment back, which cost a pread, a CRC
// check and a copy of every byte it had just written. A cache, never the
// only copy: the file is durable first, and a record missing here is read
// from it. Not thread-safe: the spool guards it with its mutex, and lets
// only its group-commit leader reserve and commit.
#ifndef OCS_INFLUX_SERVICE_SPOOL_RECENT_RECORDS_H_
#define OCS_INFLUX_SERVICE_SPOOL_RECENT_RECORDS_H_

#include <cstddef>
#include <cstdint>
#include <deque>
#include <limits>
#include <memory>

#include "absl/strings/string_view.h"
#include "service/spool/record_format.h"

namespace ocs_influx::spool {

class RecentRecords {
 public:
  // Where a record begins in its segment, and what the reader gets of it.
  struct Entry {
    uint64_t name_seq = 0, offset = 0;
    Record record{};  // its lines in this object's buffer
    // Where the record ends in its segment: where the next one begins.
    uint64_t end() const { return offset + kRecordHeaderSize + record.lines.size(); }
  };

  // `capacity` bytes of payloads at most (allocated at the first Reserve);
  // 0 keeps nothing.
  explicit RecentRecords(size_t capacity) : capacity_(capacity) {}

  // Room for `bytes` of payloads in one piece, or nullptr: none of it is in
  // use by the reader (see Pin) or by the entries left. The oldest entries
  // are dropped to make room, never a pinned one. More than half the
  // capacity is never given, so that one large append cannot push out
  // everything the reader is about to take. The room stays the caller's
  // until the next Reserve: fill it without the lock, then Commit.
  char* Reserve(size_t bytes);

  // Adds an entry whose payload the caller copied into the room of the last
  // Reserve; entries come in seq order, after every entry already here.
  void Commit(const Entry& entry) { entries_.push_back(entry); }

  // The entry for the record at `offset` of segment `name_seq`, or nullptr.
  // O(log entries).
  const Entry* Find(uint64_t name_seq, uint64_t offset) const;

  // The reader holds `entry`'s payload: Reserve keeps it (and everything
  // after it) until Unpin.
  void Pin(const Entry& entry) {
    if (entry.record.seq < pinned_from_seq_) pinned_from_seq_ = entry.record.seq;
  }
  void Unpin() { pinned_from_seq_ = std::numeric_limits<uint64_t>::max(); }

  size_t entries() const { return entries_.size(); }

 private:
  const size_t capacity_;
  std::unique_ptr<char[]> buffer_;
  // In seq order, and so in buffer order but for one wrap to the start.
  std::deque<Entry> entries_;
  uint64_t pinned_from_seq_ = std::numeric_limits<uint64_t>::max();
};

}  // namespace ocs_influx::spool

#endif  // OCS_INFLUX_SERVICE_SPOOL_RECENT_RECORDS_H_
