#include "service/spool/file_util.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/fd/fd.h"
#include "common/log/log.h"

namespace ocs_influx::spool {

absl::Status MakeDirs(const std::string& path) {
  if (path.empty()) return absl::InvalidArgumentError("spool directory is empty");
  for (size_t pos = 1; pos <= path.size(); ++pos) {
    if (pos != path.size() && path[pos] != '/') continue;
    std::string prefix = path.substr(0, pos);
    if (::mkdir(prefix.c_str(), 0700) != 0) {
      if (errno == EEXIST) continue;
      return fd::ErrnoStatus("mkdir", prefix, errno);
    }
    // A new directory's name lives in its parent: without this a crash may
    // take the directory, and the records made durable in it, away.
    const size_t slash = prefix.find_last_of('/', prefix.size() - 1);
    const std::string parent = slash == 0 ? "/" : slash == std::string::npos ? "." : prefix.substr(0, slash);
    if (absl::Status s = SyncDir(parent); !s.ok()) return s;
  }
  struct stat st;
  if (::lstat(path.c_str(), &st) != 0) return fd::ErrnoStatus("lstat", path, errno);
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
    LOG_WARNING("spool: %s", fd::ErrnoStatus("unlink", path, errno).ToString());
  }
}

absl::Status SyncDir(const std::string& dir) {
  // No O_NOFOLLOW, unlike the spool's files: the parents of the spool
  // directory may well be links (a home on another disk), and an fsync
  // reads nothing.
  absl::StatusOr<fd::UniqueFd> dir_fd = fd::Open(dir, O_RDONLY | O_DIRECTORY);
  if (!dir_fd.ok()) return dir_fd.status();
  if (::fsync(dir_fd->get()) != 0) return fd::ErrnoStatus("fsync", dir, errno);
  return absl::OkStatus();
}

absl::Status ReplaceFile(const std::string& dir, const std::string& path,
                         absl::string_view contents, bool fsync) {
  const std::string tmp = path + ".tmp";
  {
    absl::StatusOr<fd::UniqueFd> tmp_fd =
        fd::Open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW);
    if (!tmp_fd.ok()) return tmp_fd.status();
    if (absl::Status s = fd::WriteAll(tmp_fd->get(), tmp, contents); !s.ok()) {
      ::unlink(tmp.c_str());
      return s;
    }
    if (fsync && ::fdatasync(tmp_fd->get()) != 0) {
      int err = errno;
      ::unlink(tmp.c_str());
      return fd::ErrnoStatus("fdatasync", tmp, err);
    }
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    int err = errno;
    ::unlink(tmp.c_str());
    return fd::ErrnoStatus("rename", tmp, err);
  }
  if (fsync) return SyncDir(dir);
  return absl::OkStatus();
}

absl::Status OverwriteFile(const std::string& path, absl::string_view contents, bool fsync) {
  // O_CREAT: the file may never have been made (a disk already full when
  // it was first due); an inode may still be free when blocks are not.
  absl::StatusOr<fd::UniqueFd> file = fd::Open(path, O_WRONLY | O_CREAT | O_NOFOLLOW);
  if (!file.ok()) return file.status();
  if (absl::Status s = fd::PwriteAll(file->get(), path, contents, 0); !s.ok()) return s;
  if (fsync && ::fdatasync(file->get()) != 0) return fd::ErrnoStatus("fdatasync", path, errno);
  return absl::OkStatus();
}

}  // namespace ocs_influx::spool
