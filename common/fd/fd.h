// The one home of raw file-descriptor I/O: an owning descriptor, the loops
// that finish a short read or write and retry EINTR, and the errno-to-status
// rule. Errors name the operation and the file with errno's text, never the
// data, so an operator can act on the message.
#ifndef OCS_INFLUX_COMMON_FD_FD_H_
#define OCS_INFLUX_COMMON_FD_FD_H_

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace ocs_influx::fd {

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
// (RESOURCE_EXHAUSTED: ENOSPC, EDQUOT, EFBIG) and a missing file (NOT_FOUND)
// from other I/O failures (INTERNAL).
absl::Status ErrnoStatus(absl::string_view op, absl::string_view path, int err);

// open(2) with O_CLOEXEC always added, retried on EINTR. `path` is only
// named in the error.
absl::StatusOr<UniqueFd> Open(const std::string& path, int flags, int mode = 0600);

// All of `data`, however many write(2) calls it takes. A failure leaves an
// unknown prefix written. `path` names the file in errors.
absl::Status WriteAll(int fd, absl::string_view path, absl::string_view data);

// All of `data` at `offset` (pwrite(2)); the file offset is not moved.
absl::Status PwriteAll(int fd, absl::string_view path, absl::string_view data,
                       uint64_t offset);

// Fills `buf` from `offset` (pread(2)); fewer than `size` bytes only at end
// of file. Returns the bytes read.
absl::StatusOr<size_t> PreadFull(int fd, absl::string_view path, char* buf,
                                 size_t size, uint64_t offset);

// Appends everything up to end of file to *out, refusing to read more than
// `max_bytes`: RESOURCE_EXHAUSTED "<path> is larger than N bytes" once the
// file holds more (what was read stays in *out). The bound is what makes a
// configuration file named /dev/zero an error instead of a hang.
absl::Status ReadAll(int fd, absl::string_view path, size_t max_bytes,
                     std::string* out);

}  // namespace ocs_influx::fd

#endif  // OCS_INFLUX_COMMON_FD_FD_H_
