#include "service/spool/segment_writer.h"

#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "absl/strings/str_cat.h"
#include "common/fd/fd.h"
#include "common/log/log.h"
#include "service/spool/file_util.h"
#include "service/spool/segment.h"

namespace ocs_influx::spool {

namespace {

// A spare must never be what fills a disk: it is kept only while the
// filesystem has four times its size free besides.
bool RoomForSpare(const std::string& path) {
  struct stat st;
  struct statvfs fs;
  if (::stat(path.c_str(), &st) != 0 || ::statvfs(path.c_str(), &fs) != 0) return false;
  const uint64_t free_bytes = static_cast<uint64_t>(fs.f_bavail) * fs.f_frsize;
  return free_bytes / 4 >= static_cast<uint64_t>(st.st_size);
}

}  // namespace

SpareSegment::SpareSegment(std::string dir, bool enabled)
    : path_(absl::StrCat(dir, "/", kSpareSegmentName)), enabled_(enabled) {}

void SpareSegment::Offer(const std::string& path) {
  absl::MutexLock lock(&mu_);
  if (!enabled_ || held_ || !RoomForSpare(path)) {
    RemoveFile(path);
    return;
  }
  // No directory fsync: should a crash undo the rename, Recover finds the
  // segment wholly acknowledged and deletes it, as it would the spare.
  if (::rename(path.c_str(), path_.c_str()) != 0) {
    LOG_WARNING("spool: %s", fd::ErrnoStatus("rename", path, errno).ToString());
    RemoveFile(path);
    return;
  }
  held_ = true;
}

fd::UniqueFd SpareSegment::TakeAs(const std::string& path) {
  absl::MutexLock lock(&mu_);
  if (!held_) return fd::UniqueFd();
  held_ = false;
  // RENAME_NOREPLACE, as O_EXCL for a new file: seqs are never reused, so
  // an existing file of this name is something we must not overwrite.
  if (::renameat2(AT_FDCWD, path_.c_str(), AT_FDCWD, path.c_str(), RENAME_NOREPLACE) != 0) {
    LOG_WARNING("spool: %s", fd::ErrnoStatus("rename", path_, errno).ToString());
    RemoveFile(path_);
    return fd::UniqueFd();
  }
  absl::StatusOr<fd::UniqueFd> fd = fd::Open(path, O_WRONLY | O_NOFOLLOW);
  if (!fd.ok()) {
    LOG_WARNING("spool: %s", fd.status().ToString());
    RemoveFile(path);
    return fd::UniqueFd();
  }
  return *std::move(fd);
}

void SpareSegment::Drop() {
  absl::MutexLock lock(&mu_);
  if (!held_) return;
  RemoveFile(path_);
  held_ = false;
}

bool SpareSegment::held() const {
  absl::MutexLock lock(&mu_);
  return held_;
}

void SegmentWriter::CutReusedTail() {
  if (!reused_ || !fd_.valid()) return;
  reused_ = false;
  // Not fsynced: should the cut be lost, Recover cuts the old records again.
  if (::ftruncate(fd_.get(), static_cast<off_t>(size_)) != 0) {
    LOG_WARNING("spool: %s; Open will cut the old records",
                fd::ErrnoStatus("ftruncate", path_, errno).ToString());
  }
}

absl::Status SegmentWriter::Roll(uint64_t first_seq) {
  CutReusedTail();
  const std::string path = absl::StrCat(dir_, "/", SegmentFileName(first_seq));
  bool reused = false;
  absl::StatusOr<fd::UniqueFd> fd = spare_ != nullptr ? spare_->TakeAs(path) : fd::UniqueFd();
  if (fd->valid()) {
    reused = true;
  } else {
    // O_EXCL: seqs are never reused, so an existing file of this name is
    // something we must not overwrite.
    fd = fd::Open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW);
  }
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
  reused_ = reused;
  return absl::OkStatus();
}

void SegmentWriter::UndoPartialWrite(bool abandon) {
  // For a reused file this also cuts its old records.
  bool cut = ::ftruncate(fd_.get(), static_cast<off_t>(size_)) == 0;
  if (cut) reused_ = false;
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
      if (absl::IsResourceExhausted(s) && spare_ != nullptr) spare_->Drop();
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
