// The reader's side of the spool: the segment file it has open (kept across
// Reads, so a backlog costs one open per segment) and the reading of
// records from it, skipping damage. Where the cursor stands is the spool's
// (it moves with acknowledgements and Rewind); this is the I/O. Not
// thread-safe: Spool::Read serialises its use.
#ifndef OCS_INFLUX_SERVICE_SPOOL_READ_CURSOR_H_
#define OCS_INFLUX_SERVICE_SPOOL_READ_CURSOR_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/fd/fd.h"
#include "service/spool/record_format.h"
#include "service/spool/segment.h"

namespace ocs_influx::spool {

class ReadCursor {
 public:
  // What to read: bytes [offset, limit) of one segment.
  struct Range {
    uint64_t offset = 0, limit = 0;
    uint64_t acked_seq = 0;  // every record before `offset` has a seq above it
    uint64_t last_seq = 0;   // of the segment's last durable record
  };

  // Opens the segment's file unless it is the one open; NOT_FOUND if it is
  // gone (acknowledged and deleted).
  absl::Status Open(uint64_t name_seq, const std::string& path);
  void Close();
  bool is_open() const { return fd_.valid(); }
  uint64_t name_seq() const { return name_seq_; }

  // Appends the records of `range` to `out` (their payloads where they were
  // read, valid until ReleaseReads), in order, until `*points`
  // reaches `max_points` (always at least one record when `out` is empty).
  // Skips the regions in `*damaged`; a new damaged region is skipped too,
  // added there and passed to `on_damage`. Returns the offset after the
  // last record taken and sets `*full` when `max_points` stopped it. A
  // non-OK status only for an I/O error.
  absl::StatusOr<uint64_t> Read(const Range& range, std::vector<DamagedRegion>* damaged,
                                size_t max_points, size_t* points, std::vector<Record>* out,
                                bool* full, absl::FunctionRef<void(const DamageReport&)> on_damage);

  void ReleaseReads() {
    if (reader_ != nullptr) reader_->ReleaseHeld();
    buffers_.Release();
  }

 private:
  uint64_t name_seq_ = 0;
  fd::UniqueFd fd_;
  // Outlives the open file and its reader (declared first, destroyed last):
  // Close keeps what was read until ReleaseReads.
  ReadBuffers buffers_;
  std::unique_ptr<SegmentReader> reader_;
  // The last record returned from this file and the offset just past it:
  // the seq a resync after damage at that offset must exceed.
  uint64_t last_seq_ = 0, last_end_ = 0;
};

}  // namespace ocs_influx::spool

#endif  // OCS_INFLUX_SERVICE_SPOOL_READ_CURSOR_H_
