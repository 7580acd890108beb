#include "service/spool/file_util.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/log/log.h"

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
    fd = ::open(path.c_str(), flags | O_CLOEXEC | O_NOFOLLOW, mode);
  } while (fd < 0 && errno == EINTR);
  if (fd < 0) return ErrnoStatus("open", path, errno);
  return UniqueFd(fd);
}

absl::Status MakeDirs(const std::string& path) {
  if (path.empty()) return absl::InvalidArgumentError("spool directory is empty");
  for (size_t pos = 1; pos <= path.size(); ++pos) {
    if (pos != path.size() && path[pos] != '/') continue;
    std::string prefix = path.substr(0, pos);
    if (::mkdir(prefix.c_str(), 0700) != 0) {
      if (errno == EEXIST) continue;
      return ErrnoStatus("mkdir", prefix, errno);
    }
    // A new directory's name lives in its parent: without this a crash may
    // take the directory, and the records made durable in it, away.
    const size_t slash = prefix.find_last_of('/', prefix.size() - 1);
    const std::string parent = slash == 0 ? "/" : slash == std::string::npos ? "." : prefix.substr(0, slash);
    if (absl::Status s = SyncDir(parent); !s.ok()) return s;
  }
  struct stat st;
  if (::lstat(path.c_str(), &st) != 0) return ErrnoStatus("lstat", path, errno);
  if (S_ISLNK(st.st_mode)) {
    return absl::FailedPreconditionError(absl::StrCat(
        "spool directory ", path, " is a symbolic link: give its real path as --spool-dir"));
  }
  if (!S_ISDIR(st.st_mode)) return absl::FailedPreconditionError(absl::StrCat(path, " is not a directory"));
  if (st.st_uid != ::geteuid()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "spool directory ", path, " is owned by uid ", st.st_uid, ", not by this user (uid ",
        ::geteuid(), "): refusing it; choose another --spool-dir"));
  }
  if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
    return absl::FailedPreconditionError(absl::StrFormat(
        "spool directory %s is writable by group or others (mode %04o): refusing it; "
        "chmod 700 it or choose another --spool-dir",
        path, st.st_mode & 07777));
  }
  return absl::OkStatus();
}

void RemoveFile(const std::string& path) {
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
    LOG_WARNING("spool: %s", ErrnoStatus("unlink", path, errno).ToString());
  }
}

absl::Status SyncDir(const std::string& dir) {
  // Follows links, unlike OpenFile: the parents of the spool directory may
  // well be links (a home on another disk), and an fsync reads nothing.
  int raw;
  do {
    raw = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  } while (raw < 0 && errno == EINTR);
  if (raw < 0) return ErrnoStatus("open", dir, errno);
  UniqueFd fd(raw);
  if (::fsync(fd.get()) != 0) return ErrnoStatus("fsync", dir, errno);
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
