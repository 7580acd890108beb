// The few durable-file operations the spool needs beyond common/fd (the
// owning descriptor, the read and write loops and the errno-to-status rule
// live there): a private directory, a durable directory entry, an atomic
// replace. Errors name the file with errno's text, as fd::ErrnoStatus does.
#ifndef OCS_INFLUX_SERVICE_SPOOL_FILE_UTIL_H_
#define OCS_INFLUX_SERVICE_SPOOL_FILE_UTIL_H_

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace ocs_influx::spool {

// Every file in the spool is opened by fd::Open with O_NOFOLLOW added: a
// link planted in the spool directory is never followed (ELOOP). Files are
// created private (fd::Open's default mode, 0600).

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
