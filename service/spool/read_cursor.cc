#include "service/spool/read_cursor.h"

#include <fcntl.h>

#include <algorithm>
#include <cstring>

#include "common/fd/fd.h"

namespace ocs_influx::spool {

absl::Status ReadCursor::Open(uint64_t name_seq, const std::string& path) {
  if (fd_.valid() && name_seq_ == name_seq) return absl::OkStatus();
  Close();
  absl::StatusOr<fd::UniqueFd> fd = fd::Open(path, O_RDONLY | O_NOFOLLOW);
  if (!fd.ok()) return fd.status();
  name_seq_ = name_seq;
  fd_ = *std::move(fd);
  reader_ = std::make_unique<SegmentReader>(fd_.get(), path, SegmentReader::kDefaultReadAhead,
                                            &buffers_);
  return absl::OkStatus();
}

void ReadCursor::Close() {
  reader_.reset();
  fd_.reset();
  name_seq_ = 0;
  last_seq_ = last_end_ = 0;
}

absl::StatusOr<uint64_t> ReadCursor::Read(const Range& range, std::vector<DamagedRegion>* damaged,
                                          size_t max_points, size_t* points,
                                          std::vector<Record>* out, bool* full,
                                          absl::FunctionRef<void(const DamageReport&)> on_damage) {
  *full = false;
  uint64_t offset = range.offset;
  SegmentReader::Result r;
  while (offset < range.limit) {
    auto known = std::find_if(damaged->begin(), damaged->end(),
                              [&](const DamagedRegion& d) { return d.begin == offset; });
    if (known != damaged->end()) {
      offset = known->end;
      continue;
    }
    if (absl::Status s = reader_->Next(offset, range.limit, /*verify_crc=*/true, &r); !s.ok()) {
      return s;
    }
    if (r.outcome != SegmentReader::Outcome::kRecord) {
      // Damaged since Open: skip it, as Open would have, rather than stall
      // the consumer on it.
      const uint64_t prev =
          last_end_ == offset ? std::max(last_seq_, range.acked_seq) : range.acked_seq;
      absl::StatusOr<DamageReport> report =
          ExamineDamage(*reader_, offset, range.limit, prev, range.last_seq, r);
      if (!report.ok()) return report.status();
      damaged->push_back(report->region);
      on_damage(*report);
      offset = report->region.end;
      continue;
    }
    if (!out->empty() && *points + r.header.points > max_points) {
      *full = true;
      break;
    }
    out->push_back(Record{r.header.seq, r.header.points, r.header.accepted_unix_ns, r.payload});
    reader_->HoldPayloads();
    *points += r.header.points;
    offset += kRecordHeaderSize + r.header.payload_len;
    last_seq_ = r.header.seq;
    last_end_ = offset;
    if (*points >= max_points) {
      *full = true;
      break;
    }
  }
  return offset;
}

}  // namespace ocs_influx::spool
