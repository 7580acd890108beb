// Segment files: naming, a buffered record reader over pread, and the
// verification scan that Open() runs on every segment.
#ifndef OCS_INFLUX_SERVICE_SPOOL_SEGMENT_H_
#define OCS_INFLUX_SERVICE_SPOOL_SEGMENT_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "service/spool/record_format.h"

namespace ocs_influx::spool {

// "segment-<first seq, 20 digits>.log": zero-padded so that a directory
// listing sorts in seq order.
std::string SegmentFileName(uint64_t first_seq);
std::optional<uint64_t> ParseSegmentFileName(absl::string_view name);

// The buffers a SegmentReader reads into, owned apart from it so that what
// it read can outlive it: ReadCursor hands out views of payloads where they
// were read, with no copy, and holds them until Release, across segments.
class ReadBuffers {
 public:
  struct Buffer {
    std::unique_ptr<char[]> data;
    size_t capacity = 0;
  };
  // A new buffer of `bytes`.
  static Buffer Allocate(size_t bytes);
  // A buffer of `bytes` at least: a spare one if one is large enough.
  Buffer Take(size_t bytes);
  // `b`'s bytes stay as they are until Release.
  void Hold(Buffer b);
  // For reuse; the smallest spares are dropped past kSpareBytes or
  // kMaxSpares (so that Take's search stays short).
  void Give(Buffer b);
  // Every held buffer becomes a spare: views into them are invalid from
  // here on.
  void Release();

 private:
  static constexpr size_t kSpareBytes = 8 << 20;
  static constexpr size_t kMaxSpares = 8;
  std::vector<Buffer> held_, spare_;
  size_t spare_bytes_ = 0;
};

// Reads records sequentially from one segment through a read-ahead buffer,
// so the writer thread costs few syscalls and no memory beyond the buffer,
// however large the backlog on disk.
class SegmentReader {
 public:
  enum class Outcome { kRecord, kEnd, kTorn, kCorrupt };
  struct Result {
    Outcome outcome = Outcome::kEnd;
    RecordHeader header;
    bool header_decoded = false;  // header is trustworthy but for its CRC
    absl::string_view payload;  // valid until the next call
    std::string reason;        // for kTorn / kCorrupt
  };

  // Reads at least `read_ahead` bytes at a time (kDefaultReadAhead: large
  // enough to amortise syscalls over many ~10 KB records, small enough to
  // be irrelevant next to the process's other buffers). Does not own `fd`.
  static constexpr size_t kDefaultReadAhead = 1 << 20;
  // With `buffers`, its buffers come from there and go back there.
  SegmentReader(int fd, std::string path, size_t read_ahead = kDefaultReadAhead,
                ReadBuffers* buffers = nullptr)
      : fd_(fd), path_(std::move(path)), read_ahead_(read_ahead), buffers_(buffers) {}
  ~SegmentReader();
  SegmentReader(const SegmentReader&) = delete;
  SegmentReader& operator=(const SegmentReader&) = delete;

  // Every payload returned so far stays valid (not only until the next
  // call) until the ReadBuffers are released: the bytes read are never
  // moved or overwritten, a refill takes another buffer. Only with
  // `buffers`.
  void HoldPayloads() { held_ = buffers_ != nullptr; }
  // The ReadBuffers were released.
  void ReleaseHeld() { held_ = false; }

  // The record starting at `offset`, in a file whose trusted bytes end at
  // `limit`. A non-OK status only for an I/O error; bad data is an Outcome.
  // With verify_crc false only the header is read and checked, and the
  // payload left empty: a walk over offsets (with a small read_ahead it
  // reads little more than the headers).
  absl::Status Next(uint64_t offset, uint64_t limit, bool verify_crc, Result* result);

  // The offset of the first valid record at or after `from` (its header
  // decodes, its CRC matches, its seq lies in [min_seq, max_seq]), or `limit`
  // if there is none: where reading goes on after a damaged region. Costs one
  // pass over the bytes skipped, through the read-ahead buffer.
  absl::StatusOr<uint64_t> Resync(uint64_t from, uint64_t limit, uint64_t min_seq,
                                  uint64_t max_seq, RecordHeader* found);

  const std::string& path() const { return path_; }

 private:
  // Points `*data` at file bytes [offset, offset+size); false if the file
  // (or `limit`) ends first.
  absl::StatusOr<bool> Fetch(uint64_t offset, size_t size, uint64_t limit, const char** data);

  ReadBuffers::Buffer TakeBuffer(size_t bytes);
  // Gives the current buffer back (held, or for reuse).
  void RetireBuffer();

  int fd_;
  std::string path_;
  size_t read_ahead_;
  ReadBuffers* buffers_;
  // File bytes [buf_offset_, buf_offset_ + buf_len_) are at buf_.data.
  ReadBuffers::Buffer buf_;
  uint64_t buf_offset_ = 0;
  size_t buf_len_ = 0;
  bool held_ = false;
  // The largest fetch so far: a new buffer gets room for one of those, so
  // that a large record is read into its buffer where its header was.
  size_t largest_want_ = 0;
};

// Bytes [begin, end) of a segment that hold no valid record: skipped by
// readers and acknowledgement walks, counted once as lost.
struct DamagedRegion {
  uint64_t begin = 0, end = 0;
};

// A damaged region found while reading, and what it held as far as its
// neighbours tell: one whole record when its own header frames it exactly,
// else the gap in seqs to the next valid record (failed appends leave gaps
// too, so this may overstate; the index clamps). Points are known only
// from a header that framed its record.
struct DamageReport {
  DamagedRegion region;
  uint64_t records = 1, points = 0;
  std::string reason;
};

// For the bad record `bad` at `begin`: where reading goes on (the next
// valid record with a seq in (prev_seq, max_seq], or `limit`) and what the
// region held.
absl::StatusOr<DamageReport> ExamineDamage(SegmentReader& reader, uint64_t begin, uint64_t limit,
                                           uint64_t prev_seq, uint64_t max_seq,
                                           const SegmentReader::Result& bad);

// What a verified segment holds; records with seq <= the acknowledged seq are
// skipped (not counted) but still verified, so the prefix stays trustworthy.
struct SegmentScan {
  uint64_t first_seq = 0;       // of the first valid record (0: none)
  uint64_t last_seq = 0;        // of the last valid record (0: none)
  uint64_t valid_end = 0;       // offset just past the last valid record
  uint64_t ack_offset = 0;      // offset of the first unacknowledged record
  uint64_t records = 0, points = 0, bytes = 0;  // unacknowledged
  int64_t oldest_accepted_unix_ns = 0;          // first unacknowledged
  bool truncated = false;       // a bad tail was cut off
  // Damage past the acknowledged prefix with a valid record after it; each
  // was logged. Damage inside the acknowledged prefix is skipped silently:
  // what it held was delivered.
  std::vector<DamagedRegion> damaged;
};

// Verifies every record of `path`. Valid records must carry seqs above
// `prev_seq` (the last seq of the previous segment) and at least `name_seq`
// and strictly increasing. A damaged record followed by a valid one costs
// only its own bytes: the scan resyncs at the next valid record (see
// SegmentReader::Resync) and reports the region. A damaged tail, with
// nothing valid after it (a torn append), is truncated (and fsync'ed if
// `fsync`), with a warning naming the file and offset.
absl::StatusOr<SegmentScan> RecoverSegment(const std::string& path, uint64_t name_seq,
                                           uint64_t prev_seq, uint64_t acked_seq, bool fsync);

}  // namespace ocs_influx::spool

#endif  // OCS_INFLUX_SERVICE_SPOOL_SEGMENT_H_
