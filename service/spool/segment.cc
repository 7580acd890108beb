#include "service/spool/segment.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <limits>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/fd/fd.h"
#include "common/log/log.h"

namespace ocs_influx::spool {
namespace {

constexpr absl::string_view kPrefix = "segment-";
constexpr absl::string_view kSuffix = ".log";
constexpr size_t kSeqDigits = 20;
// Resync's scan window, whatever the reader's read-ahead.
constexpr size_t kResyncWindow = SegmentReader::kDefaultReadAhead;

}  // namespace

std::string SegmentFileName(uint64_t first_seq) {
  return absl::StrFormat("segment-%020d.log", first_seq);
}

std::optional<uint64_t> ParseSegmentFileName(absl::string_view name) {
  if (name.size() != kPrefix.size() + kSeqDigits + kSuffix.size()) return std::nullopt;
  if (name.substr(0, kPrefix.size()) != kPrefix) return std::nullopt;
  if (name.substr(name.size() - kSuffix.size()) != kSuffix) return std::nullopt;
  absl::string_view digits = name.substr(kPrefix.size(), kSeqDigits);
  if (!std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return std::nullopt;
  }
  uint64_t seq;
  if (!absl::SimpleAtoi(digits, &seq)) return std::nullopt;
  return seq;
}

ReadBuffers::Buffer ReadBuffers::Allocate(size_t bytes) {
  Buffer b;
  b.data = std::make_unique<char[]>(bytes);
  b.capacity = bytes;
  return b;
}

ReadBuffers::Buffer ReadBuffers::Take(size_t bytes) {
  for (size_t i = spare_.size(); i-- > 0;) {
    if (spare_[i].capacity >= bytes) {
      Buffer b = std::move(spare_[i]);
      spare_.erase(spare_.begin() + static_cast<std::ptrdiff_t>(i));
      spare_bytes_ -= b.capacity;
      return b;
    }
  }
  return Allocate(bytes);
}

void ReadBuffers::Hold(Buffer b) {
  if (b.capacity > 0) held_.push_back(std::move(b));
}

void ReadBuffers::Give(Buffer b) {
  if (b.capacity == 0) return;
  spare_bytes_ += b.capacity;
  spare_.push_back(std::move(b));
  while (spare_bytes_ > kSpareBytes || spare_.size() > kMaxSpares) {
    auto smallest = std::min_element(
        spare_.begin(), spare_.end(),
        [](const Buffer& x, const Buffer& y) { return x.capacity < y.capacity; });
    spare_bytes_ -= smallest->capacity;
    spare_.erase(smallest);
  }
}

void ReadBuffers::Release() {
  for (Buffer& b : held_) Give(std::move(b));
  held_.clear();
}

SegmentReader::~SegmentReader() { RetireBuffer(); }

ReadBuffers::Buffer SegmentReader::TakeBuffer(size_t bytes) {
  return buffers_ != nullptr ? buffers_->Take(bytes) : ReadBuffers::Allocate(bytes);
}

void SegmentReader::RetireBuffer() {
  if (buffers_ != nullptr) {
    if (held_) {
      buffers_->Hold(std::move(buf_));
    } else {
      buffers_->Give(std::move(buf_));
    }
  }
  buf_ = ReadBuffers::Buffer();
  buf_offset_ = 0;
  buf_len_ = 0;
  held_ = false;
}

absl::StatusOr<bool> SegmentReader::Fetch(uint64_t offset, size_t size, uint64_t limit,
                                          const char** data) {
  if (offset + size > limit) return false;
  if (offset >= buf_offset_ && offset + size <= buf_offset_ + buf_len_) {
    *data = buf_.data.get() + (offset - buf_offset_);
    return true;
  }
  const size_t want = static_cast<size_t>(std::min<uint64_t>(std::max(size, read_ahead_), limit - offset));
  largest_want_ = std::max(largest_want_, want);
  // Bytes of the range already here (a record larger than the read-ahead
  // begins in the bytes its header was read with) are kept, not read again;
  // where the buffer has room they stay where they are, and the rest is
  // read after them.
  const bool inside = offset >= buf_offset_ && offset - buf_offset_ <= buf_len_;
  size_t at = inside ? static_cast<size_t>(offset - buf_offset_) : 0;
  if (!inside || at + want > buf_.capacity) {
    const size_t kept = inside ? buf_len_ - at : 0;
    if (held_ || want > buf_.capacity) {
      // Held bytes must not move: the range starts in another buffer.
      ReadBuffers::Buffer next = TakeBuffer(largest_want_);  // want at least
      if (kept > 0) std::memcpy(next.data.get(), buf_.data.get() + at, kept);
      RetireBuffer();
      buf_ = std::move(next);
    } else if (kept > 0 && at > 0) {
      std::memmove(buf_.data.get(), buf_.data.get() + at, kept);
    }
    buf_offset_ = offset;
    buf_len_ = kept;
    at = 0;
  }
  if (at + want > buf_len_) {
    absl::StatusOr<size_t> got = fd::PreadFull(fd_, path_, buf_.data.get() + buf_len_,
                                               at + want - buf_len_, buf_offset_ + buf_len_);
    if (!got.ok()) return got.status();
    buf_len_ += *got;
  }
  if (buf_len_ < at + size) return false;
  *data = buf_.data.get() + at;
  return true;
}

absl::Status SegmentReader::Next(uint64_t offset, uint64_t limit, bool verify_crc,
                                 Result* result) {
  result->payload = {};
  result->reason.clear();
  result->header_decoded = false;
  if (offset >= limit) {
    result->outcome = Outcome::kEnd;
    return absl::OkStatus();
  }
  const char* header_bytes = nullptr;
  absl::StatusOr<bool> have = Fetch(offset, kRecordHeaderSize, limit, &header_bytes);
  if (!have.ok()) return have.status();
  if (!*have) {
    result->outcome = Outcome::kTorn;
    result->reason = "header cut short";
    return absl::OkStatus();
  }
  if (!DecodeRecordHeader(header_bytes, &result->header)) {
    result->outcome = Outcome::kCorrupt;
    result->reason = "bad magic or length";
    return absl::OkStatus();
  }
  result->header_decoded = true;
  size_t record_size = kRecordHeaderSize + result->header.payload_len;
  if (!verify_crc) {
    // Only the framing is wanted: what the header claims must fit.
    if (limit - offset < record_size) {
      result->outcome = Outcome::kTorn;
      result->reason = "payload cut short";
    } else {
      result->outcome = Outcome::kRecord;
    }
    return absl::OkStatus();
  }
  // Fetch the header and payload together: the header bytes are needed
  // again for the CRC, and a refill could otherwise move them.
  const char* record = nullptr;
  have = Fetch(offset, record_size, limit, &record);
  if (!have.ok()) return have.status();
  if (!*have) {
    result->outcome = Outcome::kTorn;
    result->reason = "payload cut short";
    return absl::OkStatus();
  }
  result->payload = absl::string_view(record + kRecordHeaderSize, result->header.payload_len);
  if (!RecordCrcMatches(record, result->payload)) {
    result->outcome = Outcome::kCorrupt;
    result->reason = "CRC mismatch";
    return absl::OkStatus();
  }
  result->outcome = Outcome::kRecord;
  return absl::OkStatus();
}

absl::StatusOr<uint64_t> SegmentReader::Resync(uint64_t from, uint64_t limit, uint64_t min_seq,
                                               uint64_t max_seq, RecordHeader* found) {
  const char magic[4] = {static_cast<char>(kRecordMagic & 0xff),
                         static_cast<char>((kRecordMagic >> 8) & 0xff),
                         static_cast<char>((kRecordMagic >> 16) & 0xff),
                         static_cast<char>((kRecordMagic >> 24) & 0xff)};
  uint64_t pos = from;
  Result r;
  while (limit > pos && limit - pos >= kRecordHeaderSize) {
    const size_t window = static_cast<size_t>(std::min<uint64_t>(kResyncWindow, limit - pos));
    const char* data = nullptr;
    absl::StatusOr<bool> have = Fetch(pos, window, limit, &data);
    if (!have.ok()) return have.status();
    if (!*have) return limit;
    const void* hit = ::memmem(data, window, magic, sizeof(magic));
    if (hit == nullptr) {
      // A magic may straddle the window's end: look again from its last bytes.
      if (window < sizeof(magic)) return limit;
      pos += window - (sizeof(magic) - 1);
      continue;
    }
    const uint64_t candidate = pos + static_cast<uint64_t>(static_cast<const char*>(hit) - data);
    absl::Status s = Next(candidate, limit, /*verify_crc=*/true, &r);
    if (!s.ok()) return s;
    if (r.outcome == Outcome::kRecord && r.header.seq >= min_seq && r.header.seq <= max_seq) {
      if (found != nullptr) *found = r.header;
      return candidate;
    }
    pos = candidate + 1;
  }
  return limit;
}

absl::StatusOr<DamageReport> ExamineDamage(SegmentReader& reader, uint64_t begin, uint64_t limit,
                                           uint64_t prev_seq, uint64_t max_seq,
                                           const SegmentReader::Result& bad) {
  DamageReport report;
  report.reason = bad.reason;
  // Copied first: Resync reuses the reader's buffer that `bad` points into.
  const RecordHeader bad_header = bad.header;
  const bool header_decoded = bad.header_decoded;
  RecordHeader next_header;
  absl::StatusOr<uint64_t> next = reader.Resync(begin + 1, limit, prev_seq + 1, max_seq, &next_header);
  if (!next.ok()) return next.status();
  report.region = DamagedRegion{begin, *next};
  if (header_decoded && begin + kRecordHeaderSize + bad_header.payload_len == *next) {
    report.points = bad_header.points;
  } else if (*next < limit && next_header.seq > prev_seq + 1) {
    report.records = next_header.seq - prev_seq - 1;
  }
  return report;
}

absl::StatusOr<SegmentScan> RecoverSegment(const std::string& path, uint64_t name_seq,
                                           uint64_t prev_seq, uint64_t acked_seq, bool fsync) {
  absl::StatusOr<fd::UniqueFd> fd = fd::Open(path, O_RDWR | O_NOFOLLOW);
  if (!fd.ok()) return fd.status();
  struct stat st;
  if (::fstat(fd->get(), &st) != 0) return fd::ErrnoStatus("fstat", path, errno);
  const uint64_t file_size = static_cast<uint64_t>(st.st_size);

  SegmentScan scan;
  SegmentReader reader(fd->get(), path);
  SegmentReader::Result r;
  uint64_t offset = 0;
  uint64_t last = prev_seq;
  bool counting = false;  // past the acknowledged prefix
  for (;;) {
    absl::Status s = reader.Next(offset, file_size, /*verify_crc=*/true, &r);
    if (!s.ok()) return s;
    // A whole record from before the name's seq is an old life's of a
    // reused file (SpareSegment): where this life's records end.
    bool old_record = false;
    if (r.outcome == SegmentReader::Outcome::kRecord &&
        (r.header.seq <= last || r.header.seq < name_seq)) {
      old_record = r.header.seq < name_seq;
      r.outcome = SegmentReader::Outcome::kCorrupt;
      r.reason = absl::StrCat("seq ", r.header.seq, " out of order after ", last);
    }
    if (r.outcome == SegmentReader::Outcome::kEnd) break;
    if (r.outcome != SegmentReader::Outcome::kRecord) {
      RecordHeader next_header;
      absl::StatusOr<uint64_t> next =
          reader.Resync(offset + 1, file_size, std::max(last + 1, name_seq),
                        std::numeric_limits<uint64_t>::max(), &next_header);
      if (!next.ok()) return next.status();
      if (*next < file_size) {
        if (next_header.seq <= acked_seq) {
          scan.ack_offset = *next;  // what the region held was delivered
        } else {
          LOG_WARNING(
              "spool: damaged record (%s) at offset %d of %s: %d bytes skipped, "
              "reading goes on at seq %d",
              r.reason, offset, path, *next - offset, next_header.seq);
          scan.damaged.push_back(DamagedRegion{offset, *next});
        }
        offset = *next;
        continue;
      }
      // This life's end may also fall inside an old record: its bytes
      // there are no header, but whole old records follow.
      bool old_life = old_record;
      if (!old_life && !(r.header_decoded && r.header.seq >= name_seq) && name_seq > 1) {
        RecordHeader old_header;
        absl::StatusOr<uint64_t> old =
            reader.Resync(offset + 1, file_size, 1, name_seq - 1, &old_header);
        if (!old.ok()) return old.status();
        old_life = *old < file_size;
      }
      if (old_life) {
        // Not damage: the append ended there (a crash before the file was
        // cut to its size, see SegmentWriter).
        LOG_INFO("spool: %s of a reused segment file ends at offset %d: cutting its old records",
                 path, offset);
      } else {
        LOG_WARNING("spool: %s at offset %d of %s (file size %d), nothing valid after it: truncating there",
                    r.reason, offset, path, file_size);
        scan.truncated = true;
      }
      if (::ftruncate(fd->get(), static_cast<off_t>(offset)) != 0) {
        return fd::ErrnoStatus("ftruncate", path, errno);
      }
      if (fsync && ::fsync(fd->get()) != 0) return fd::ErrnoStatus("fsync", path, errno);
      break;
    }
    const uint64_t size = kRecordHeaderSize + r.header.payload_len;
    if (scan.first_seq == 0) scan.first_seq = r.header.seq;
    scan.last_seq = last = r.header.seq;
    if (r.header.seq <= acked_seq) {
      scan.ack_offset = offset + size;
    } else {
      if (!counting) scan.oldest_accepted_unix_ns = r.header.accepted_unix_ns;
      counting = true;
      ++scan.records;
      scan.points += r.header.points;
      scan.bytes += size;
    }
    offset += size;
  }
  scan.valid_end = offset;
  return scan;
}

}  // namespace ocs_influx::spool
