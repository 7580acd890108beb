#include "service/spool/file_util.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace ocs_influx::spool {

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

absl::StatusOr<UniqueFd> OpenFile(const std::string& path, int flags, int mode) {
  int fd;
  do {
    fd = ::open(path.c_str(), flags | O_CLOEXEC, mode);
  } while (fd < 0 && errno == EINTR);
  if (fd < 0) return ErrnoStatus("open", path, errno);
  return UniqueFd(fd);
}

absl::Status MakeDirs(const std::string& path) {
  if (path.empty()) return absl::InvalidArgumentError("spool directory is empty");
  for (size_t pos = 1; pos <= path.size(); ++pos) {
    if (pos != path.size() && path[pos] != '/') continue;
    std::string prefix = path.substr(0, pos);
    if (::mkdir(prefix.c_str(), 0755) != 0 && errno != EEXIST) {
      return ErrnoStatus("mkdir", prefix, errno);
    }
  }
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return ErrnoStatus("stat", path, errno);
  if (!S_ISDIR(st.st_mode)) return absl::FailedPreconditionError(absl::StrCat(path, " is not a directory"));
  return absl::OkStatus();
}

absl::Status SyncDir(const std::string& dir) {
  absl::StatusOr<UniqueFd> fd = OpenFile(dir, O_RDONLY | O_DIRECTORY);
  if (!fd.ok()) return fd.status();
  if (::fsync(fd->get()) != 0) return ErrnoStatus("fsync", dir, errno);
  return absl::OkStatus();
}

absl::StatusOr<size_t> PreadFull(int fd, const std::string& path, char* buf, size_t size,
                                 uint64_t offset) {
  size_t done = 0;
  while (done < size) {
    ssize_t n = ::pread(fd, buf + done, size - done, static_cast<off_t>(offset + done));
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoStatus("pread", path, errno);
    }
    if (n == 0) break;
    done += static_cast<size_t>(n);
  }
  return done;
}

absl::Status ReplaceFile(const std::string& dir, const std::string& path,
                         absl::string_view contents, bool fsync) {
  const std::string tmp = path + ".tmp";
  {
    absl::StatusOr<UniqueFd> fd = OpenFile(tmp, O_WRONLY | O_CREAT | O_TRUNC);
    if (!fd.ok()) return fd.status();
    size_t done = 0;
    while (done < contents.size()) {
      ssize_t n = ::write(fd->get(), contents.data() + done, contents.size() - done);
      if (n < 0) {
        if (errno == EINTR) continue;
        int err = errno;
        ::unlink(tmp.c_str());
        return ErrnoStatus("write", tmp, err);
      }
      done += static_cast<size_t>(n);
    }
    if (fsync && ::fdatasync(fd->get()) != 0) {
      int err = errno;
      ::unlink(tmp.c_str());
      return ErrnoStatus("fdatasync", tmp, err);
    }
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    int err = errno;
    ::unlink(tmp.c_str());
    return ErrnoStatus("rename", tmp, err);
  }
  if (fsync) return SyncDir(dir);
  return absl::OkStatus();
}

absl::Status OverwriteFile(const std::string& path, absl::string_view contents, bool fsync) {
  // O_CREAT: the file may never have been made (a disk already full when
  // it was first due); an inode may still be free when blocks are not.
  absl::StatusOr<UniqueFd> fd = OpenFile(path, O_WRONLY | O_CREAT);
  if (!fd.ok()) return fd.status();
  size_t done = 0;
  while (done < contents.size()) {
    ssize_t n = ::pwrite(fd->get(), contents.data() + done, contents.size() - done,
                         static_cast<off_t>(done));
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoStatus("pwrite", path, errno);
    }
    done += static_cast<size_t>(n);
  }
  if (fsync && ::fdatasync(fd->get()) != 0) return ErrnoStatus("fdatasync", path, errno);
  return absl::OkStatus();
}

}  // namespace ocs_influx::spool
