// The durable spool: points become durable here before the publisher answers
// OK, and the writer thread drains them to InfluxDB in order.
//
// On disk: <dir>/segment-<first seq, 20 digits>.log files of records (see
// record_format.h) and <dir>/acked, the last acknowledged seq, a line of
// fixed width written over itself (see Spool::PersistAck). In memory: one
// small index entry per segment, and the newest payloads up to
// SpoolOptions::memory_bytes (for the reader; see recent_records.h), so a
// backlog of gigabytes costs no more RAM than a small one.
#ifndef OCS_INFLUX_SERVICE_SPOOL_SPOOL_H_
#define OCS_INFLUX_SERVICE_SPOOL_SPOOL_H_

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/inlined_vector.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "common/fd/fd.h"
#include "service/spool/read_cursor.h"
#include "service/spool/recent_records.h"
#include "service/spool/record_format.h"
#include "service/spool/segment.h"
#include "service/spool/segment_index.h"
#include "service/spool/segment_writer.h"

namespace ocs_influx::spool {

struct SpoolOptions {
  std::string dir;                         // created if missing (mkdir -p)
  uint64_t max_bytes = 1ull << 30;         // total bytes of unacknowledged records on disk; an append that would pass it -> RESOURCE_EXHAUSTED
  uint64_t segment_bytes = 64ull << 20;    // roll to a new segment file past this
  bool fsync = true;                       // false: no fsync (tests/benchmarks), still written with write(2)
  // The newest payloads kept in memory too (see recent_records.h), so that
  // a reader close behind the appenders does not read the file back; 0:
  // every Read reads the file. An append that would leave more than this
  // unacknowledged is not kept: the reader is too far behind to find it.
  size_t memory_bytes = 8u << 20;
  // Keep one wholly acknowledged segment file (kSpareSegmentName) and write
  // the next segment over it instead of a new file (segment_writer.h):
  // one segment's worth of disk more at most, beyond max_bytes, and only
  // while the disk has four times that free besides (given back when it
  // fills up). false: delete every acknowledged segment.
  bool reuse_segments = true;
  // Tests only: runs inside Acknowledge between its plan and applying it,
  // so that a race with a failing append can be reproduced exactly.
  std::function<void()> testing_after_acknowledge_plan;
};

struct Chunk { std::string_view lines; uint32_t points; };  // one record's payload

// Record (one record as read back): see record_format.h.

struct SpoolStats {
  uint64_t points = 0, bytes = 0, segments = 0, records = 0;
  int64_t oldest_accepted_unix_ns = 0;   // 0 when empty
  uint64_t truncations = 0;              // corrupt/torn tails cut off at Open
  uint64_t appends = 0, fsyncs = 0;      // to show group commit working
  // Damaged regions skipped (at Open or while reading; one per region, as a
  // region whose header is gone may have held several records) and their
  // exact bytes. Every valid record around them is still delivered.
  uint64_t records_lost_to_damage = 0, bytes_lost_to_damage = 0;
  uint64_t records_read_from_memory = 0;  // of all records Read returned
};

class Spool {
 private:
  struct Token {
    explicit Token() = default;
  };

 public:
  static absl::StatusOr<std::unique_ptr<Spool>> Open(const SpoolOptions& options);
  ~Spool();  // closes files; never loses anything durable

  // Use Open(); public only so that Open can use std::make_unique.
  Spool(Token, SpoolOptions options);
  Spool(const Spool&) = delete;
  Spool& operator=(const Spool&) = delete;

  // Appends all chunks as consecutive records, atomically with respect to
  // other appenders (contiguous seqs), and returns once they are durable.
  // Concurrent appenders share one write and one fdatasync (group commit).
  // Returns the seq of the last record. RESOURCE_EXHAUSTED (nothing appended)
  // if the bytes would pass max_bytes; a disk error names the file and errno
  // text, reports nothing durable, and leaves the spool usable. A failed
  // append's seqs are never reused, so seqs may have gaps. The payloads are
  // written from the chunks where they are, not copied: their bytes must
  // not change until Append returns.
  absl::StatusOr<uint64_t> Append(absl::Span<const Chunk> chunks);

  // Single consumer. Records in seq order after the last one returned (or
  // the first unacknowledged after Open / Rewind), up to max_points (always
  // at least one record if any), waiting up to `wait` for the first one.
  // Empty on timeout or after Close(). A damaged record (the media went bad
  // after Open) is skipped: logged once, counted in SpoolStats, and reading
  // goes on at the next valid record, so the consumer never stalls on it.
  // An I/O error is returned (nothing returned with it) and the cursor
  // rewinds, so the writer cannot skip anything.
  // Records' `lines` are views into the spool's memory, valid until
  // ReleaseReads (or the spool's end), so that the bytes are neither read
  // back from the file nor copied when the reader follows close behind the
  // appenders; records read from a file are where they were read, so they
  // are not copied either. Records taken from memory together lie end to
  // end more often than not; records read from a file never do (their
  // headers are between them).
  absl::Status Read(size_t max_points, absl::Duration wait, std::vector<Record>* out);

  // The consumer is done with every record Read returned so far: their
  // memory may be reused. Not during a Read.
  void ReleaseReads();

  // The next Read starts again at the first unacknowledged record.
  void Rewind();

  // Everything with seq <= `seq` is delivered (or dead-lettered): persists the
  // position, then deletes wholly acknowledged segment files.
  absl::Status Acknowledge(uint64_t seq);

  // Wakes a blocked Read (and WaitAcknowledged); later Reads return empty at
  // once and Appends fail UNAVAILABLE.
  void Close();

  // Makes the Read waiting now, or else the next one, return at once with
  // what it has: the consumer has other work (a stop, a flush, a check) and
  // so never has to wake up on a timer to look for it.
  void WakeReader();

  SpoolStats Stats() const;

  // True once every record with seq <= `seq` is acknowledged; false at
  // `deadline` or, since nothing more will be acknowledged, after Close().
  bool WaitAcknowledged(uint64_t seq, absl::Time deadline);

  // The seq of the last durable record (0 if none ever).
  uint64_t last_appended_seq() const;

 private:
  // One Append waiting for a group commit; lives on the appender's stack.
  // The payloads are written from the caller's chunks where they are (the
  // caller waits until `done`), never copied: only the headers are built.
  struct PendingAppend {
    absl::Span<const Chunk> chunks;
    absl::InlinedVector<char, 2 * kRecordHeaderSize> headers;  // one per chunk
    uint64_t bytes = 0;  // headers and payloads
    uint64_t first_seq = 0, last_seq = 0;
    uint64_t records = 0, points = 0;
    int64_t accepted_unix_ns = 0;
    bool done = false;
    absl::Status status;
  };

  // Where the next Read starts: at `offset` in segment `name_seq`, unless
  // !valid (fresh, or rewound: then the first unacknowledged record).
  struct ReadPosition {
    bool valid = false;
    uint64_t name_seq = 0, offset = 0;
    // Bumped by Rewind so a Read in progress does not move the cursor after it.
    uint64_t generation = 0;
  };

  absl::Status Recover();
  // Closes the reader's file if its segment was deleted: an open file keeps
  // its disk space, which a full disk needs back now, not at the next Read.
  // Skipped if a Read is in progress (it closes the file itself).
  void ReleaseDeletedReadFile() ABSL_LOCKS_EXCLUDED(mu_, read_mu_);

  // Records a damaged region once (a second report of it is ignored): one
  // log line, the lost counters, and the segment's counts less what it held
  // (exact bytes; records and points as far as the headers tell).
  void NoteDamage(uint64_t name_seq, const DamageReport& report) ABSL_LOCKS_EXCLUDED(mu_);
  std::string PathOf(const std::string& name) const;
  // Writes "acked <seq>" to <dir>/acked, made durable if `fsync`. In place
  // through ack_fd_ while the file is there: one pwrite, where replacing
  // it (a temporary, its write, a rename) cost 100 times the CPU and a new
  // inode per batch (docs/benchmarks.md, fourteenth round). The line has a
  // fixed width, so it always covers the one before and stays within the
  // file's first sector; were a crash to tear it all the same, the spool
  // re-reads from its oldest record at Open (at least once still holds).
  // Without the file (a full disk at Open, a link planted there, deleted
  // under the spool), it is replaced as before, and opened for the next
  // time.
  absl::Status PersistAck(uint64_t seq, bool fsync) ABSL_EXCLUSIVE_LOCKS_REQUIRED(ack_mu_);

  // Moves the read cursor onto the next unread, durable record; false if
  // there is none. Returns the segment to read from.
  const SegmentInfo* PositionReadCursor() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const SpoolOptions options_;
  const std::string ack_path_;

  mutable absl::Mutex mu_;
  absl::CondVar commit_cv_;  // a batch finished: followers check `done`
  absl::CondVar data_cv_;    // new durable records, or Close()
  absl::CondVar ack_cv_;     // acknowledgement advanced, or Close()
  SegmentIndex index_ ABSL_GUARDED_BY(mu_);
  std::deque<PendingAppend*> queue_ ABSL_GUARDED_BY(mu_);
  bool leader_active_ ABSL_GUARDED_BY(mu_) = false;
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
  bool wake_reader_ ABSL_GUARDED_BY(mu_) = false;  // see WakeReader
  uint64_t next_seq_ ABSL_GUARDED_BY(mu_) = 1;
  uint64_t durable_seq_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t acked_seq_ ABSL_GUARDED_BY(mu_) = 0;
  // Unacknowledged durable bytes plus bytes of appends in flight: the
  // quantity max_bytes bounds.
  uint64_t reserved_bytes_ ABSL_GUARDED_BY(mu_) = 0;
  // The segment appends may still extend; Acknowledge never deletes it.
  uint64_t active_name_seq_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t truncations_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t appends_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t fsyncs_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t records_read_from_memory_ ABSL_GUARDED_BY(mu_) = 0;
  RecentRecords recent_ ABSL_GUARDED_BY(mu_);
  ReadPosition read_pos_ ABSL_GUARDED_BY(mu_);

  SpareSegment spare_;    // before writer_, which uses it
  SegmentWriter writer_;  // the group-commit leader's only (see leader_active_)
  absl::Mutex read_mu_;   // serialises Read with itself
  ReadCursor read_cursor_ ABSL_GUARDED_BY(read_mu_);
  // The read segment's damaged regions, as of this Read (reused buffer).
  std::vector<DamagedRegion> read_damaged_ ABSL_GUARDED_BY(read_mu_);
  absl::Mutex ack_mu_;    // serialises Acknowledge with itself
  // <dir>/acked, open for writing in place; invalid until the file exists
  // as a regular file (see PersistAck).
  fd::UniqueFd ack_fd_ ABSL_GUARDED_BY(ack_mu_);
};

}  // namespace ocs_influx::spool

#endif  // OCS_INFLUX_SERVICE_SPOOL_SPOOL_H_
