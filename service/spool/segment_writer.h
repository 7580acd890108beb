// The segment file appends go to. One group-commit leader at a time calls
// Write with everything queued (see Spool::Append), so a batch of appends
// costs one pwritev loop and one fdatasync; this class is that I/O, the
// rolling to a new file and the undoing of a failed write. Not thread-safe:
// the spool lets only its current leader touch it.
#ifndef OCS_INFLUX_SERVICE_SPOOL_SEGMENT_WRITER_H_
#define OCS_INFLUX_SERVICE_SPOOL_SEGMENT_WRITER_H_

#include <sys/uio.h>

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "common/fd/fd.h"

namespace ocs_influx::spool {

class SegmentWriter {
 public:
  SegmentWriter(std::string dir, uint64_t segment_bytes, bool fsync)
      : dir_(std::move(dir)), segment_bytes_(segment_bytes), fsync_(fsync) {}

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
  // Whether the spool has an index entry for this segment yet: it adds one
  // when the segment's first batch is durable.
  bool indexed() const { return indexed_; }
  void set_indexed() { indexed_ = true; }

 private:
  absl::Status Roll(uint64_t first_seq);
  // After a failed write: cut the segment back to its durable size, and
  // stop appending to it if that fails or `abandon` (its state is unknown).
  void UndoPartialWrite(bool abandon);

  const std::string dir_;
  const uint64_t segment_bytes_;
  const bool fsync_;
  fd::UniqueFd fd_;
  std::string path_;
  uint64_t name_seq_ = 0;
  uint64_t size_ = 0;
  bool indexed_ = false;
};

}  // namespace ocs_influx::spool

#endif  // OCS_INFLUX_SERVICE_SPOOL_SEGMENT_WRITER_H_
