#include "common/fd/fd.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace ocs_influx::fd {

UniqueFd& UniqueFd::operator=(UniqueFd&& other) noexcept {
  if (this != &other) reset(other.release());
  return *this;
}

void UniqueFd::reset(int fd) {
  // close() must not be retried on EINTR on Linux: the descriptor is gone.
  if (fd_ >= 0) ::close(fd_);
  fd_ = fd;
}

absl::Status ErrnoStatus(absl::string_view op, absl::string_view path, int err) {
  std::string message = absl::StrCat(op, "(", path, "): ", std::strerror(err));
  switch (err) {
    case ENOSPC:
    case EDQUOT:
    case EFBIG:
      return absl::ResourceExhaustedError(message);
    case ENOENT:
      return absl::NotFoundError(message);
    default:
      return absl::InternalError(message);
  }
}

absl::StatusOr<UniqueFd> Open(const std::string& path, int flags, int mode) {
  int fd;
  do {
    fd = ::open(path.c_str(), flags | O_CLOEXEC, mode);
  } while (fd < 0 && errno == EINTR);
  if (fd < 0) return ErrnoStatus("open", path, errno);
  return UniqueFd(fd);
}

absl::Status WriteAll(int fd, absl::string_view path, absl::string_view data) {
  while (!data.empty()) {
    const ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoStatus("write", path, errno);
    }
    // write(2) of a non-zero count returns 0 only for odd files; treating
    // it as progress would spin.
    if (n == 0) return ErrnoStatus("write", path, EIO);
    data.remove_prefix(static_cast<size_t>(n));
  }
  return absl::OkStatus();
}

absl::Status PwriteAll(int fd, absl::string_view path, absl::string_view data,
                       uint64_t offset) {
  while (!data.empty()) {
    const ssize_t n = ::pwrite(fd, data.data(), data.size(), static_cast<off_t>(offset));
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoStatus("pwrite", path, errno);
    }
    if (n == 0) return ErrnoStatus("pwrite", path, EIO);
    data.remove_prefix(static_cast<size_t>(n));
    offset += static_cast<uint64_t>(n);
  }
  return absl::OkStatus();
}

absl::StatusOr<size_t> PreadFull(int fd, absl::string_view path, char* buf,
                                 size_t size, uint64_t offset) {
  size_t done = 0;
  while (done < size) {
    const ssize_t n =
        ::pread(fd, buf + done, size - done, static_cast<off_t>(offset + done));
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoStatus("pread", path, errno);
    }
    if (n == 0) break;
    done += static_cast<size_t>(n);
  }
  return done;
}

absl::Status ReadAll(int fd, absl::string_view path, size_t max_bytes,
                     std::string* out) {
  size_t total = 0;
  char buf[16 * 1024];
  for (;;) {
    // One byte past the bound is enough to know the file is too large.
    const size_t room = max_bytes - total;
    const size_t want = room >= sizeof(buf) ? sizeof(buf) : room + 1;
    const ssize_t n = ::read(fd, buf, want);
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoStatus("read", path, errno);
    }
    if (n == 0) return absl::OkStatus();
    total += static_cast<size_t>(n);
    if (total > max_bytes) {
      return absl::ResourceExhaustedError(
          absl::StrCat(path, " is larger than ", max_bytes, " bytes"));
    }
    out->append(buf, static_cast<size_t>(n));
  }
}

}  // namespace ocs_influx::fd
