// Thin POSIX helpers for the spool: an owning file descriptor and the few
// durable-file operations the log needs, all reporting absl::Status with the
// file name and errno text so an operator can act on the message.
#ifndef OCS_INFLUX_SERVICE_SPOOL_FILE_UTIL_H_
#define OCS_INFLUX_SERVICE_SPOOL_FILE_UTIL_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace ocs_influx::spool {

// Owns one file descriptor; move-only so a descriptor is closed exactly once.
class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  UniqueFd(UniqueFd&& other) noexcept : fd_(other.release()) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept;
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  ~UniqueFd() { reset(); }

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  int release() {
    int fd = fd_;
    fd_ = -1;
    return fd;
  }
  void reset(int fd = -1);

 private:
  int fd_ = -1;
};

// "<op>(<path>): <strerror(err)>", with a code that tells a full disk
// (RESOURCE_EXHAUSTED) from other I/O failures (INTERNAL / NOT_FOUND).
absl::Status ErrnoStatus(absl::string_view op, absl::string_view path, int err);

// Always O_CLOEXEC and O_NOFOLLOW: a link planted in the spool directory
// is never followed (ELOOP). Files are created private (0600).
absl::StatusOr<UniqueFd> OpenFile(const std::string& path, int flags, int mode = 0600);

// mkdir -p of a private directory: what it creates is 0700, each new entry
// made durable by fsync of its parent. The directory itself must then be a
// real directory (not a symbolic link), owned by this user and not writable
// by group or others; FAILED_PRECONDITION with the fix otherwise, because
// anyone who can write there can feed or delete what is spooled.
absl::Status MakeDirs(const std::string& path);

// unlink; a failure other than "not there" is logged, not returned: what
// calls it has nothing better to do (the file is re-examined at Open).
void RemoveFile(const std::string& path);

// Makes a created, renamed or removed directory entry durable.
absl::Status SyncDir(const std::string& dir);

// Full pread: fewer than `size` bytes only at end of file. Returns bytes read.
absl::StatusOr<size_t> PreadFull(int fd, const std::string& path, char* buf, size_t size,
                                 uint64_t offset);

// Replaces `path` with `contents` so that a crash leaves either the old or the
// new file, never a torn one: write a temporary, (fsync), rename, (fsync dir).
absl::Status ReplaceFile(const std::string& dir, const std::string& path,
                         absl::string_view contents, bool fsync);

// Overwrites the start of the existing file `path` with `contents`, (fsync).
// Needs no new disk space when `contents` is no longer than what the file's
// first block already holds, which is why it exists: the fallback of
// ReplaceFile on a full disk. A crash in the middle may tear the file.
absl::Status OverwriteFile(const std::string& path, absl::string_view contents, bool fsync);

}  // namespace ocs_influx::spool

#endif  // OCS_INFLUX_SERVICE_SPOOL_FILE_UTIL_H_
