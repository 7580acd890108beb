#include "service/spool/spool.h"

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <iterator>
#include <optional>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/strip.h"
#include "common/fd/fd.h"
#include "common/log/log.h"
#include "service/spool/file_util.h"
#include "service/spool/record_format.h"

namespace ocs_influx::spool {
namespace {

constexpr char kAckFileName[] = "acked";
// Acknowledge's walk over record headers reads this much at a time: a few
// small records' headers per read, or one big record's header.
constexpr size_t kHeaderWalkReadAhead = 4096;

// The acknowledgement file is tiny and replaced whole; anything unreadable
// counts as "nothing acknowledged", which only costs re-sending.
uint64_t ReadAckFile(const std::string& path) {
  absl::StatusOr<fd::UniqueFd> fd = fd::Open(path, O_RDONLY | O_NOFOLLOW);
  if (!fd.ok()) {
    if (!absl::IsNotFound(fd.status())) {
      LOG_WARNING("spool: %s; re-sending from the oldest record", fd.status().ToString());
    }
    return 0;
  }
  char buf[64];
  absl::StatusOr<size_t> n = fd::PreadFull(fd->get(), path, buf, sizeof(buf), 0);
  absl::string_view text(buf, n.ok() ? *n : 0);
  uint64_t seq = 0;
  if (!absl::ConsumePrefix(&text, "acked ") || !absl::ConsumeSuffix(&text, "\n") ||
      !absl::SimpleAtoi(text, &seq)) {
    LOG_WARNING("spool: %s is unreadable; re-sending from the oldest record", path);
    return 0;
  }
  return seq;
}

// The acknowledgement file's text. The seq is zero-padded to the 20 digits
// of any uint64 so that the file never changes length: it is overwritten
// in place (see Spool::PersistAck), which needs no new space.
std::string AckText(uint64_t seq) { return absl::StrFormat("acked %020d\n", seq); }

// The acknowledgement file opened to be written in place, or an invalid
// descriptor if it is not a regular file of one AckText line (missing, a
// link or a FIFO planted there, written by hand): PersistAck then replaces
// it. O_NONBLOCK so that a FIFO cannot hang the open.
fd::UniqueFd OpenAckInPlace(const std::string& path) {
  absl::StatusOr<fd::UniqueFd> file = fd::Open(path, O_WRONLY | O_NOFOLLOW | O_NONBLOCK);
  struct stat st;
  if (!file.ok() || ::fstat(file->get(), &st) != 0 || !S_ISREG(st.st_mode) ||
      st.st_size != static_cast<off_t>(AckText(0).size())) {
    return fd::UniqueFd();
  }
  return *std::move(file);
}

absl::StatusOr<std::vector<std::pair<uint64_t, std::string>>> ListSegments(const std::string& dir) {
  std::unique_ptr<DIR, int (*)(DIR*)> d(::opendir(dir.c_str()), &::closedir);
  if (!d) return fd::ErrnoStatus("opendir", dir, errno);
  std::vector<std::pair<uint64_t, std::string>> found;
  errno = 0;
  while (struct dirent* e = ::readdir(d.get())) {
    if (std::optional<uint64_t> seq = ParseSegmentFileName(e->d_name)) {
      found.emplace_back(*seq, e->d_name);
    }
  }
  if (errno != 0) return fd::ErrnoStatus("readdir", dir, errno);
  std::sort(found.begin(), found.end());
  return found;
}

// The region starting at `offset`, if any; lists are short (one entry per
// damage event in a segment).
const DamagedRegion* RegionAt(const std::vector<DamagedRegion>& regions, uint64_t offset) {
  for (const DamagedRegion& d : regions) {
    if (d.begin == offset) return &d;
  }
  return nullptr;
}

}  // namespace

Spool::Spool(Token, SpoolOptions options)
    : options_(std::move(options)),
      ack_path_(PathOf(kAckFileName)),
      recent_(options_.memory_bytes),
      spare_(options_.dir, options_.reuse_segments),
      writer_(options_.dir, options_.segment_bytes, options_.fsync, &spare_) {}

std::string Spool::PathOf(const std::string& name) const {
  return absl::StrCat(options_.dir, "/", name);
}

absl::StatusOr<std::unique_ptr<Spool>> Spool::Open(const SpoolOptions& options) {
  if (options.segment_bytes == 0 || options.max_bytes == 0) {
    return absl::InvalidArgumentError("spool: segment_bytes and max_bytes must be positive");
  }
  if (absl::Status s = MakeDirs(options.dir); !s.ok()) return s;
  auto spool = std::make_unique<Spool>(Token(), options);
  if (absl::Status s = spool->Recover(); !s.ok()) return s;
  return spool;
}

// Segments are verified one by one, each against the seqs before it. A bad
// record costs only itself: the scan resyncs at the next valid record, in
// its own segment as in later ones (with fsync on, a segment is complete on
// disk before the next one is created, so damage mid-log is media damage,
// not a torn append, and the records after it are as good as any). Only a
// tail with nothing valid after it is cut, and a segment with no valid
// record at all (empty after a crash between create and first write,
// unreadable, or out of seq order) is deleted.
absl::Status Spool::Recover() {
  RemoveFile(ack_path_ + ".tmp");  // an interrupted ReplaceFile
  RemoveFile(PathOf(kSpareSegmentName));  // see kSpareSegmentName
  const uint64_t acked = ReadAckFile(ack_path_);
  absl::StatusOr<std::vector<std::pair<uint64_t, std::string>>> names = ListSegments(options_.dir);
  if (!names.ok()) return names.status();

  absl::MutexLock lock(&mu_);
  uint64_t prev_seq = 0;
  uint64_t max_seq = acked;
  bool removed = false;
  for (const auto& [name_seq, name] : *names) {
    const std::string path = PathOf(name);
    struct stat st;
    if (::lstat(path.c_str(), &st) != 0) return fd::ErrnoStatus("lstat", path, errno);
    if (!S_ISREG(st.st_mode)) {
      // Not something this spool wrote (a planted link, say): never follow
      // it, and clear the name so that no append trips over it later.
      LOG_WARNING("spool: %s is not a regular file: removing the entry, not what it points to", path);
      RemoveFile(path);
      removed = true;
      continue;
    }
    absl::StatusOr<SegmentScan> scan = RecoverSegment(path, name_seq, prev_seq, acked, options_.fsync);
    if (!scan.ok()) return scan.status();
    if (scan->truncated) ++truncations_;
    if (scan->last_seq == 0) {
      if (scan->truncated) LOG_WARNING("spool: deleting %s: no valid record in it", path);
      RemoveFile(path);
      removed = true;
      continue;
    }
    prev_seq = scan->last_seq;
    max_seq = std::max(max_seq, scan->last_seq);
    if (scan->records == 0) {  // wholly acknowledged; the ack file says so durably
      RemoveFile(path);
      removed = true;
      continue;
    }
    SegmentInfo info;
    info.path = path;
    info.name_seq = name_seq;
    info.last_seq = scan->last_seq;
    info.size = scan->valid_end;
    info.ack_offset = scan->ack_offset;
    info.records = scan->records;
    info.points = scan->points;
    info.bytes = scan->bytes;
    info.oldest_accepted_unix_ns = scan->oldest_accepted_unix_ns;
    info.damaged = std::move(scan->damaged);
    index_.Add(std::move(info));
  }
  if (removed && options_.fsync) {
    if (absl::Status s = SyncDir(options_.dir); !s.ok()) return s;
  }
  struct stat ack_st;
  if (::lstat(ack_path_.c_str(), &ack_st) != 0) {
    // Created now, while there may be room, so that Acknowledge always has
    // a file to overwrite in place if the disk fills up later.
    if (absl::Status s = ReplaceFile(options_.dir, ack_path_, AckText(acked), options_.fsync);
        !s.ok()) {
      LOG_WARNING("spool: %s", s.ToString());
    }
  }
  acked_seq_ = acked;
  durable_seq_ = max_seq;
  next_seq_ = max_seq + 1;
  reserved_bytes_ = index_.bytes();
  LOG_INFO("spool: %s: %d segments, %d records, %d points unacknowledged; next seq %d",
           options_.dir, index_.size(), index_.records(), index_.points(), next_seq_);
  return absl::OkStatus();
}

Spool::~Spool() {
  Close();
  // Appenders already queued finish their commit; their callers still wait.
  absl::MutexLock lock(&mu_);
  while (leader_active_ || !queue_.empty()) commit_cv_.Wait(&mu_);
}

absl::StatusOr<uint64_t> Spool::Append(absl::Span<const Chunk> chunks) {
  if (chunks.empty()) return absl::InvalidArgumentError("spool: Append needs at least one chunk");
  // Checksum payloads before taking the lock, so appenders only serialise
  // on the cheap part (seqs, header fields).
  PendingAppend p;
  p.chunks = chunks;
  absl::InlinedVector<uint32_t, 2> payload_crcs;
  payload_crcs.reserve(chunks.size());
  for (const Chunk& c : chunks) {
    if (c.lines.size() > kMaxPayloadBytes) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "spool: chunk of %d bytes is over the %d-byte record limit", c.lines.size(), kMaxPayloadBytes));
    }
    p.bytes += kRecordHeaderSize + c.lines.size();
    payload_crcs.push_back(PayloadCrc(absl::string_view(c.lines.data(), c.lines.size())));
    p.points += c.points;
  }
  p.records = chunks.size();
  p.headers.resize(chunks.size() * kRecordHeaderSize);
  const uint64_t total = p.bytes;

  absl::MutexLock lock(&mu_);
  if (closed_) return absl::UnavailableError("spool: closed");
  if (total > options_.max_bytes || reserved_bytes_ > options_.max_bytes - total) {
    return absl::ResourceExhaustedError(absl::StrFormat(
        "spool full: %d of %d bytes hold unacknowledged records; %d more refused",
        reserved_bytes_, options_.max_bytes, total));
  }
  reserved_bytes_ += total;
  p.first_seq = next_seq_;
  next_seq_ += chunks.size();
  p.last_seq = next_seq_ - 1;
  p.accepted_unix_ns = absl::GetCurrentTimeNanos();
  for (size_t i = 0; i < chunks.size(); ++i) {
    RecordHeader h;
    h.payload_len = static_cast<uint32_t>(chunks[i].lines.size());
    h.points = chunks[i].points;
    h.seq = p.first_seq + i;
    h.accepted_unix_ns = p.accepted_unix_ns;
    EncodeRecordHeader(h, payload_crcs[i], p.headers.data() + i * kRecordHeaderSize);
  }

  // Group commit: whoever finds no leader becomes one and commits everything
  // queued so far; the rest wait for a leader to mark them done.
  queue_.push_back(&p);
  while (!p.done && leader_active_) commit_cv_.Wait(&mu_);
  if (!p.done) {
    leader_active_ = true;
    std::vector<PendingAppend*> batch(queue_.begin(), queue_.end());
    queue_.clear();
    uint64_t batch_bytes = 0, payload_bytes = 0;
    for (const PendingAppend* b : batch) {
      batch_bytes += b->bytes;
      payload_bytes += b->bytes - b->records * kRecordHeaderSize;
    }
    // Past the memory's size unacknowledged, the reader is behind (a bulk
    // load that outruns InfluxDB, a backlog): it reads those records from
    // the files, and these would be pushed out before it got to them.
    char* const room = index_.bytes() + payload_bytes <= options_.memory_bytes
                           ? recent_.Reserve(payload_bytes)
                           : nullptr;
    mu_.Unlock();
    // Header, payload, header, ...: pwritev takes the payloads from where
    // the appenders hold them (it only reads them; iovec is not const).
    std::vector<iovec> iov;
    size_t records = 0;
    for (const PendingAppend* b : batch) records += b->records;
    iov.reserve(2 * records);
    for (PendingAppend* b : batch) {
      for (size_t i = 0; i < b->chunks.size(); ++i) {
        iov.push_back({b->headers.data() + i * kRecordHeaderSize, kRecordHeaderSize});
        const std::string_view lines = b->chunks[i].lines;
        if (!lines.empty()) iov.push_back({const_cast<char*>(lines.data()), lines.size()});
      }
    }
    absl::Status s = writer_.Write(&iov, batch.front()->first_seq);
    if (s.ok() && room != nullptr) {
      // Copied without the lock: nothing else touches the reserved room.
      char* at = room;
      for (const PendingAppend* b : batch) {
        for (const Chunk& c : b->chunks) {
          if (!c.lines.empty()) std::memcpy(at, c.lines.data(), c.lines.size());
          at += c.lines.size();
        }
      }
    }
    mu_.Lock();
    if (s.ok()) {
      if (!writer_.indexed()) {
        SegmentInfo info;
        info.path = writer_.path();
        info.name_seq = writer_.name_seq();
        index_.Add(std::move(info));
        writer_.set_indexed();
        active_name_seq_ = writer_.name_seq();
      }
      for (const PendingAppend* b : batch) {
        index_.AddToBack(b->records, b->points, b->bytes, b->accepted_unix_ns);
      }
      SegmentInfo& seg = index_.back();
      seg.size = writer_.size();
      seg.last_seq = batch.back()->last_seq;
      if (room != nullptr) {
        uint64_t offset = seg.size - batch_bytes;
        const char* at = room;
        for (const PendingAppend* b : batch) {
          for (size_t i = 0; i < b->chunks.size(); ++i) {
            const size_t len = b->chunks[i].lines.size();
            RecentRecords::Entry e;
            e.name_seq = seg.name_seq;
            e.offset = offset;
            e.record = Record{b->first_seq + i, b->chunks[i].points, b->accepted_unix_ns,
                              absl::string_view(at, len)};
            recent_.Commit(e);
            offset = e.end();
            at += len;
          }
        }
      }
      durable_seq_ = seg.last_seq;
      appends_ += batch.size();
      if (options_.fsync) ++fsyncs_;
      data_cv_.SignalAll();
    } else {
      for (const PendingAppend* b : batch) reserved_bytes_ -= b->bytes;
      if (!writer_.has_file() && active_name_seq_ != 0) {
        // The segment was abandoned (see SegmentWriter::Write): it takes no more
        // appends, so Acknowledge may delete it once everything in it is
        // acknowledged; on a full disk that is what gives the space back.
        // If that has already happened, nothing will call Acknowledge for
        // it again: delete it now.
        // An Acknowledge planned before this point (it saw the segment
        // active, so it only walks it) deletes it when it applies its plan,
        // as it then finds the segment sealed (see Acknowledge).
        auto seg = index_.FindIt(active_name_seq_);
        active_name_seq_ = 0;
        if (seg != index_.end() && seg->records == 0 && std::next(seg) == index_.end()) {
          RemoveFile(index_.Remove(seg));
        }
      }
      LOG_ERROR("spool: append of %d records failed: %s", batch.back()->last_seq - batch.front()->first_seq + 1,
                s.ToString());
    }
    for (PendingAppend* b : batch) {
      b->status = s;
      b->done = true;
    }
    leader_active_ = false;
    commit_cv_.SignalAll();
  }
  if (!p.status.ok()) return p.status;
  return p.last_seq;
}

void Spool::NoteDamage(uint64_t name_seq, const DamageReport& report) {
  std::string path;
  {
    absl::MutexLock lock(&mu_);
    Taken taken;
    if (!index_.NoteDamage(name_seq, report.region, report.records, report.points, &taken, &path)) {
      return;
    }
    reserved_bytes_ -= taken.bytes;
  }
  LOG_WARNING("spool: damaged record (%s) at offset %d of %s: %d bytes skipped, reading goes on at offset %d",
              report.reason, report.region.begin, path, report.region.end - report.region.begin,
              report.region.end);
}

const SegmentInfo* Spool::PositionReadCursor() {
  if (index_.empty()) return nullptr;
  auto seg = read_pos_.valid ? index_.FindIt(read_pos_.name_seq) : index_.end();
  if (seg == index_.end()) {
    // Fresh, rewound, or the cursor's segment was acknowledged and deleted:
    // the first unacknowledged record is where to be.
    seg = index_.begin();
    read_pos_.name_seq = seg->name_seq;
    read_pos_.offset = seg->ack_offset;
    read_pos_.valid = true;
  }
  read_pos_.offset = std::max(read_pos_.offset, seg->ack_offset);
  while (read_pos_.offset >= seg->size) {
    // A segment followed by another one is complete, so moving on is safe.
    if (std::next(seg) == index_.end()) return nullptr;
    ++seg;
    read_pos_.name_seq = seg->name_seq;
    read_pos_.offset = seg->ack_offset;
  }
  return &*seg;
}

absl::Status Spool::Read(size_t max_points, absl::Duration wait, std::vector<Record>* out) {
  out->clear();
  absl::MutexLock read_lock(&read_mu_);
  const absl::Time deadline = absl::Now() + wait;
  size_t points = 0;
  for (;;) {
    std::string path;
    uint64_t name_seq, generation;
    ReadCursor::Range range;
    {
      absl::MutexLock lock(&mu_);
      const SegmentInfo* seg = nullptr;
      for (;;) {
        if (closed_) {
          out->clear();
          return absl::OkStatus();
        }
        seg = PositionReadCursor();
        if (seg != nullptr || !out->empty()) break;
        if (wake_reader_) {
          wake_reader_ = false;
          break;
        }
        if (data_cv_.WaitWithDeadline(&mu_, deadline)) {
          seg = closed_ ? nullptr : PositionReadCursor();
          break;
        }
      }
      // What the appenders left in memory needs no file: taken from there
      // while it follows on (not in a segment with damage, whose regions
      // the file reading below keeps track of).
      while (seg != nullptr && seg->damaged.empty()) {
        const RecentRecords::Entry* e = recent_.Find(read_pos_.name_seq, read_pos_.offset);
        if (e == nullptr) break;
        if (!out->empty() && points + e->record.points > max_points) return absl::OkStatus();
        out->push_back(e->record);
        recent_.Pin(*e);
        ++records_read_from_memory_;
        points += e->record.points;
        read_pos_.offset = e->end();
        if (points >= max_points) return absl::OkStatus();
        seg = PositionReadCursor();
      }
      if (seg == nullptr) {
        // Nothing to read. If the open file's segment has been acknowledged
        // and deleted, close it: an open file keeps its disk space.
        if (read_cursor_.is_open() && index_.Find(read_cursor_.name_seq()) == nullptr) {
          read_cursor_.Close();
        }
        return absl::OkStatus();
      }
      path = seg->path;
      name_seq = seg->name_seq;
      range.offset = read_pos_.offset;
      range.limit = seg->size;
      range.acked_seq = acked_seq_;
      range.last_seq = seg->last_seq;
      generation = read_pos_.generation;
      read_damaged_ = seg->damaged;
    }

    if (absl::Status s = read_cursor_.Open(name_seq, path); !s.ok()) {
      absl::MutexLock lock(&mu_);
      // Acknowledged and deleted since we looked: position again.
      if (absl::IsNotFound(s) && index_.Find(name_seq) == nullptr) continue;
      out->clear();
      return s;
    }
    bool full = false;
    absl::StatusOr<uint64_t> offset =
        read_cursor_.Read(range, &read_damaged_, max_points, &points, out, &full,
                          [&](const DamageReport& report) { NoteDamage(name_seq, report); });
    if (!offset.ok()) {
      // Whatever this call already returned would be skipped: start over
      // from the first unacknowledged record next time.
      out->clear();
      Rewind();
      return offset.status();
    }
    {
      absl::MutexLock lock(&mu_);
      if (generation == read_pos_.generation) read_pos_.offset = *offset;
    }
    if (full) return absl::OkStatus();
  }
}

void Spool::ReleaseReads() {
  absl::MutexLock read_lock(&read_mu_);
  read_cursor_.ReleaseReads();
  absl::MutexLock lock(&mu_);
  recent_.Unpin();
}

void Spool::Rewind() {
  absl::MutexLock lock(&mu_);
  read_pos_.valid = false;
  ++read_pos_.generation;
}

absl::Status Spool::PersistAck(uint64_t seq, bool fsync) {
  const std::string text = AckText(seq);
  // A file deleted under the spool would take every later acknowledgement
  // with it: the link count tells, for one fstat.
  struct stat st;
  if (ack_fd_.valid() && (::fstat(ack_fd_.get(), &st) != 0 || st.st_nlink == 0)) ack_fd_.reset();
  if (!ack_fd_.valid()) ack_fd_ = OpenAckInPlace(ack_path_);
  if (ack_fd_.valid()) {
    absl::Status s = fd::PwriteAll(ack_fd_.get(), ack_path_, text, 0);
    if (s.ok() && fsync && ::fdatasync(ack_fd_.get()) != 0) {
      s = fd::ErrnoStatus("fdatasync", ack_path_, errno);
    }
    return s;
  }
  absl::Status s = ReplaceFile(options_.dir, ack_path_, text, fsync);
  if (absl::IsResourceExhausted(s)) {
    // The disk is full, and only acknowledging (deleting segments) frees
    // it: a new file cannot be written, so overwrite whatever is there in
    // place (or create it: an inode may still be free when blocks are not).
    s = OverwriteFile(ack_path_, text, fsync);
  }
  return s;
}

absl::Status Spool::Acknowledge(uint64_t seq) {
  absl::MutexLock ack_lock(&ack_mu_);
  // Plan under the lock, do file I/O without it, apply under it again.
  // Only this function removes segments or moves ack offsets, and it is
  // serialised by ack_mu_, so the plan stays valid; appends may meanwhile
  // extend the active segment, which is why it is walked, never dropped.
  size_t whole = 0;
  bool partial = false;
  std::string partial_path;
  uint64_t partial_name = 0, from = 0, limit = 0, prev_seq = 0, partial_last = 0;
  std::vector<DamagedRegion> damaged;
  {
    absl::MutexLock lock(&mu_);
    if (seq <= acked_seq_) return absl::OkStatus();
    prev_seq = acked_seq_;
    if (seq > durable_seq_) {
      return absl::InvalidArgumentError(
          absl::StrFormat("spool: acknowledge %d: the last durable seq is %d", seq, durable_seq_));
    }
    for (const SegmentInfo& s : index_) {
      if (s.last_seq <= seq && s.name_seq != active_name_seq_) {
        ++whole;
        continue;
      }
      partial = true;
      partial_path = s.path;
      partial_name = s.name_seq;
      from = s.ack_offset;
      limit = s.size;
      partial_last = s.last_seq;
      damaged = s.damaged;
      break;
    }
  }

  if (options_.testing_after_acknowledge_plan) options_.testing_after_acknowledge_plan();

  // Walk record headers (page cache, mostly: the writer just read them) to
  // learn what the acknowledged part of the partial segment held.
  uint64_t offset = from, records = 0, points = 0, bytes = 0;
  std::optional<int64_t> next_oldest;
  if (partial && from < limit) {
    absl::StatusOr<fd::UniqueFd> fd = fd::Open(partial_path, O_RDONLY | O_NOFOLLOW);
    if (!fd.ok()) return fd.status();
    // Headers only: a small read-ahead, not the reader's 1 MiB, which cost
    // a zeroed buffer and a 1 MiB pread (a whole 4 MiB record, even) per
    // acknowledgement.
    SegmentReader reader(fd->get(), partial_path, kHeaderWalkReadAhead);
    SegmentReader::Result r;
    while (offset < limit) {
      if (const DamagedRegion* d = RegionAt(damaged, offset)) {
        offset = d->end;
        continue;
      }
      if (absl::Status s = reader.Next(offset, limit, /*verify_crc=*/false, &r); !s.ok()) return s;
      if (r.outcome != SegmentReader::Outcome::kRecord) {
        // Damage the reader has not met (it went bad after being read):
        // skipped and counted here, so acknowledging can never stall on it.
        absl::StatusOr<DamageReport> report =
            ExamineDamage(reader, offset, limit, prev_seq, partial_last, r);
        if (!report.ok()) return report.status();
        NoteDamage(partial_name, *report);
        offset = report->region.end;
        continue;
      }
      if (r.header.seq > seq) {
        next_oldest = r.header.accepted_unix_ns;
        break;
      }
      prev_seq = r.header.seq;
      ++records;
      points += r.header.points;
      bytes += kRecordHeaderSize + r.header.payload_len;
      offset += kRecordHeaderSize + r.header.payload_len;
    }
  }

  // Persist before deleting anything: a segment must not vanish while the
  // file on disk still says its records are pending, and the ack file also
  // carries the highest seq across a restart once all segments are gone.
  // Only then must it be durable: an acknowledgement lost in a crash just
  // re-sends points InfluxDB already stores once (delivery is at least
  // once), and two fsyncs per batch cost the writer throughput.
  // Takes the wholly acknowledged segments out of the index; the caller
  // unlinks the returned paths.
  auto drop_whole = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    std::vector<std::string> paths;
    for (size_t i = 0; i < whole; ++i) {
      reserved_bytes_ -= index_.begin()->bytes;
      paths.push_back(index_.Remove(index_.begin()));
    }
    whole = 0;
    return paths;
  };

  absl::Status persisted = PersistAck(seq, options_.fsync && whole > 0);
  if (absl::IsResourceExhausted(persisted) && whole > 0) {
    // Not even that: there was no file to overwrite (Open met a full disk
    // too). Free the delivered segments first, then persist. A crash in
    // between only re-sends records after them (at least once), and seqs
    // stay above the persisted position, so nothing is reused wrongly.
    std::vector<std::string> early;
    {
      absl::MutexLock lock(&mu_);
      early = drop_whole();
    }
    for (const std::string& path : early) RemoveFile(path);
    spare_.Drop();
    ReleaseDeletedReadFile();
    LOG_WARNING("spool: disk full and no acknowledgement file: deleted %d delivered segments first",
                early.size());
    persisted = PersistAck(seq, options_.fsync);
  }
  if (!persisted.ok()) return persisted;

  std::vector<std::string> to_remove;
  bool reread_oldest = false;
  {
    absl::MutexLock lock(&mu_);
    acked_seq_ = seq;
    to_remove = drop_whole();
    if (SegmentInfo* s = partial ? index_.Find(partial_name) : nullptr; s != nullptr) {
      s->ack_offset = offset;
      reserved_bytes_ -= index_.Subtract(s, records, points, bytes).bytes;
      s->damaged.erase(std::remove_if(s->damaged.begin(), s->damaged.end(),
                                      [&](const DamagedRegion& d) { return d.end <= offset; }),
                       s->damaged.end());
      if (next_oldest) {
        s->oldest_accepted_unix_ns = *next_oldest;
      } else if (s->records == 0) {
        s->oldest_accepted_unix_ns = 0;
      } else {
        reread_oldest = true;  // appended to since the plan; see below
      }
      if (s->records == 0 && partial_name != active_name_seq_ && offset >= s->size) {
        // An append abandoned this segment after the plan was made (a full
        // disk, see SegmentWriter::Write) and found it not yet acknowledged; it takes
        // no more appends and is now wholly acknowledged: delete it here, or
        // nothing would, and it would hold the full disk for good.
        reserved_bytes_ -= s->bytes;
        to_remove.push_back(index_.Remove(index_.FindIt(partial_name)));
        reread_oldest = false;
      }
    }
    ack_cv_.SignalAll();
  }
  for (const std::string& path : to_remove) spare_.Offer(path);
  if (!to_remove.empty()) ReleaseDeletedReadFile();

  if (reread_oldest) {
    absl::StatusOr<fd::UniqueFd> fd = fd::Open(partial_path, O_RDONLY | O_NOFOLLOW);
    if (!fd.ok()) return fd.status();
    char header_bytes[kRecordHeaderSize];
    absl::StatusOr<size_t> n = fd::PreadFull(fd->get(), partial_path, header_bytes, sizeof(header_bytes), offset);
    if (!n.ok()) return n.status();
    RecordHeader h;
    if (*n == sizeof(header_bytes) && DecodeRecordHeader(header_bytes, &h)) {
      absl::MutexLock lock(&mu_);
      if (SegmentInfo* s = index_.Find(partial_name); s != nullptr && s->ack_offset == offset) {
        s->oldest_accepted_unix_ns = h.accepted_unix_ns;
      }
    }
  }
  return absl::OkStatus();
}

void Spool::ReleaseDeletedReadFile() {
  if (!read_mu_.TryLock()) return;
  bool gone;
  {
    absl::MutexLock lock(&mu_);
    gone = read_cursor_.is_open() && index_.Find(read_cursor_.name_seq()) == nullptr;
  }
  if (gone) read_cursor_.Close();
  read_mu_.Unlock();
}

void Spool::WakeReader() {
  absl::MutexLock lock(&mu_);
  wake_reader_ = true;
  data_cv_.SignalAll();
}

void Spool::Close() {
  absl::MutexLock lock(&mu_);
  closed_ = true;
  data_cv_.SignalAll();
  ack_cv_.SignalAll();
}

SpoolStats Spool::Stats() const {
  absl::MutexLock lock(&mu_);
  SpoolStats stats;
  stats.points = index_.points();
  stats.bytes = index_.bytes();
  stats.records = index_.records();
  stats.segments = index_.size();
  stats.oldest_accepted_unix_ns = index_.oldest_accepted_unix_ns();
  stats.truncations = truncations_;
  stats.appends = appends_;
  stats.fsyncs = fsyncs_;
  stats.records_lost_to_damage = index_.records_lost_to_damage();
  stats.bytes_lost_to_damage = index_.bytes_lost_to_damage();
  stats.records_read_from_memory = records_read_from_memory_;
  return stats;
}

bool Spool::WaitAcknowledged(uint64_t seq, absl::Time deadline) {
  absl::MutexLock lock(&mu_);
  while (acked_seq_ < seq && !closed_) {
    if (ack_cv_.WaitWithDeadline(&mu_, deadline)) break;
  }
  return acked_seq_ >= seq;
}

uint64_t Spool::last_appended_seq() const {
  absl::MutexLock lock(&mu_);
  return durable_seq_;
}

}  // namespace ocs_influx::spool
