#include "service/spool/segment_writer.h"

#include <fcntl.h>
#include <limits.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "absl/strings/str_cat.h"
#include "common/fd/fd.h"
#include "common/log/log.h"
#include "service/spool/file_util.h"
#include "service/spool/segment.h"

namespace ocs_influx::spool {

absl::Status SegmentWriter::Roll(uint64_t first_seq) {
  const std::string path = absl::StrCat(dir_, "/", SegmentFileName(first_seq));
  // O_EXCL: seqs are never reused, so an existing file of this name is
  // something we must not overwrite.
  absl::StatusOr<fd::UniqueFd> fd = fd::Open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW);
  if (!fd.ok()) return fd.status();
  if (fsync_) {
    // Without this the new file's name may vanish in a crash, taking
    // records the clients were told are durable.
    if (absl::Status s = SyncDir(dir_); !s.ok()) {
      RemoveFile(path);
      return s;
    }
  }
  fd_ = *std::move(fd);
  path_ = path;
  name_seq_ = first_seq;
  size_ = 0;
  indexed_ = false;
  return absl::OkStatus();
}

void SegmentWriter::UndoPartialWrite(bool abandon) {
  bool cut = ::ftruncate(fd_.get(), static_cast<off_t>(size_)) == 0;
  if (!cut) {
    LOG_ERROR("spool: %s; the segment is abandoned and Open will cut its tail",
              fd::ErrnoStatus("ftruncate", path_, errno).ToString());
  }
  if (!indexed_ && size_ == 0) {
    // Nothing durable in it: leave no empty file behind.
    RemoveFile(path_);
    fd_.reset();
    path_.clear();
    name_seq_ = 0;
  } else if (!cut || abandon) {
    fd_.reset();  // the next batch rolls to a new segment
  }
}

absl::Status SegmentWriter::Write(std::vector<iovec>* iov_in, uint64_t first_seq) {
  if (!fd_.valid() || size_ >= segment_bytes_) {
    if (absl::Status s = Roll(first_seq); !s.ok()) return s;
  }
  std::vector<iovec>& iov = *iov_in;
  uint64_t offset = size_;
  size_t next = 0;
  while (next < iov.size()) {
    const int count = static_cast<int>(std::min<size_t>(iov.size() - next, IOV_MAX));
    ssize_t n = ::pwritev(fd_.get(), &iov[next], count, static_cast<off_t>(offset));
    if (n <= 0) {
      if (n < 0 && errno == EINTR) continue;
      const int err = n < 0 ? errno : EIO;
      absl::Status s = fd::ErrnoStatus("pwritev", path_, err);
      // A full disk (or file size limit) abandons the segment: appending on
      // to it would keep the whole file, acknowledged records and all, on
      // the disk that needs the space; sealed, it is deleted once
      // acknowledged, and the next append starts a new file.
      UndoPartialWrite(/*abandon=*/absl::IsResourceExhausted(s));
      return s;
    }
    offset += static_cast<uint64_t>(n);
    // Skip what was written; a short write continues mid-buffer.
    size_t left = static_cast<size_t>(n);
    while (left > 0 && next < iov.size()) {
      if (left >= iov[next].iov_len) {
        left -= iov[next].iov_len;
        ++next;
      } else {
        iov[next].iov_base = static_cast<char*>(iov[next].iov_base) + left;
        iov[next].iov_len -= left;
        left = 0;
      }
    }
  }
  if (fsync_ && ::fdatasync(fd_.get()) != 0) {
    absl::Status s = fd::ErrnoStatus("fdatasync", path_, errno);
    // After a failed fdatasync the kernel may have dropped the dirty pages;
    // the file's state is unknown, so stop appending to it.
    UndoPartialWrite(/*abandon=*/true);
    return s;
  }
  size_ = offset;
  return absl::OkStatus();
}

}  // namespace ocs_influx::spool
