// The segment file appends go to. One group-commit leader at a time calls
// Write with everything queued (see Spool::Append), so a batch of appends
// costs one pwritev loop and one fdatasync; this class is that I/O, the
// rolling to a new file and the undoing of a failed write. Not thread-safe:
// the spool lets only its current leader touch it.
//
// A new file costs the kernel more than the bytes: ext4 allocates blocks
// for every append (and frees them at the unlink), and the page cache
// takes fresh pages. So one wholly acknowledged segment is kept as a spare
// (SpareSegment) and the next roll writes over it: on this machine,
// appends of 40 KB with an fdatasync each cost half the CPU in a reused
// file (docs/benchmarks.md, eleventh round). A reused file holds its old
// life's records past what is written: every one has a seq below the new
// name's (seqs are never reused), so recovery cuts them (RecoverSegment),
// readers stop at the index's size, and a segment that is sealed or closed
// is cut to its size.
#ifndef OCS_INFLUX_SERVICE_SPOOL_SEGMENT_WRITER_H_
#define OCS_INFLUX_SERVICE_SPOOL_SEGMENT_WRITER_H_

#include <sys/uio.h>

#include <cstdint>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "common/fd/fd.h"

namespace ocs_influx::spool {

// The spare's name in the spool directory; not a segment's name, so
// ListSegments never sees it. Spool::Recover deletes one left by an
// earlier run: whether its old records are below every new seq is only
// known within one run.
inline constexpr char kSpareSegmentName[] = "spare-segment.log";

// At most one acknowledged segment file waiting to be written over.
// Thread-safe: the acknowledging thread offers, the appending leader takes.
class SpareSegment {
 public:
  SpareSegment(std::string dir, bool enabled);
  SpareSegment(const SpareSegment&) = delete;
  SpareSegment& operator=(const SpareSegment&) = delete;

  // `path`, a wholly acknowledged segment, becomes the spare (renamed) if
  // there is none and its filesystem has four times its size free besides;
  // otherwise, or if disabled, it is deleted.
  void Offer(const std::string& path);
  // Moves the spare to `path` (which must not exist) and opens it for
  // writing; an invalid fd if there is no spare or that failed (the spare
  // is then gone: the caller creates a new file).
  fd::UniqueFd TakeAs(const std::string& path);
  // Deletes the spare (a full disk wants its space back).
  void Drop();
  bool held() const;

 private:
  const std::string path_;
  const bool enabled_;
  mutable absl::Mutex mu_;
  bool held_ ABSL_GUARDED_BY(mu_) = false;
};

class SegmentWriter {
 public:
  // `spare` may be null (no reuse); it must outlive the writer.
  SegmentWriter(std::string dir, uint64_t segment_bytes, bool fsync, SpareSegment* spare)
      : dir_(std::move(dir)), segment_bytes_(segment_bytes), fsync_(fsync), spare_(spare) {}
  SegmentWriter(const SegmentWriter&) = delete;
  SegmentWriter& operator=(const SegmentWriter&) = delete;
  ~SegmentWriter() { CutReusedTail(); }

  // Writes `iov` (whole records, in seq order) at the end of the segment
  // and makes it durable, first rolling to a new segment named `first_seq`
  // if there is no open one or it has reached segment_bytes. `iov` is used
  // up. On failure nothing of it counts: the file is cut back to its
  // durable size, or, on a full disk or an unknown file state, abandoned
  // (has_file() turns false; the next Write rolls to a new file).
  absl::Status Write(std::vector<iovec>* iov, uint64_t first_seq);

  bool has_file() const { return fd_.valid(); }
  const std::string& path() const { return path_; }
  uint64_t name_seq() const { return name_seq_; }  // 0: none since the last abandon
  uint64_t size() const { return size_; }          // durable bytes
  bool reused() const { return reused_; }          // written over a spare
  // Whether the spool has an index entry for this segment yet: it adds one
  // when the segment's first batch is durable.
  bool indexed() const { return indexed_; }
  void set_indexed() { indexed_ = true; }

 private:
  absl::Status Roll(uint64_t first_seq);
  // After a failed write: cut the segment back to its durable size, and
  // stop appending to it if that fails or `abandon` (its state is unknown).
  void UndoPartialWrite(bool abandon);
  // A reused file is cut to what this life wrote when it is sealed or
  // closed, so that no file but the active one holds old records.
  void CutReusedTail();

  const std::string dir_;
  const uint64_t segment_bytes_;
  const bool fsync_;
  SpareSegment* const spare_;
  fd::UniqueFd fd_;
  std::string path_;
  uint64_t name_seq_ = 0;
  uint64_t size_ = 0;
  bool indexed_ = false;
  bool reused_ = false;
};

}  // namespace ocs_influx::spool

#endif  // OCS_INFLUX_SERVICE_SPOOL_SEGMENT_WRITER_H_
