#include "service/engine/dead_letter.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/fd/fd.h"

namespace ocs_influx::server {
namespace {

// "dead-letter file: write(<path>): No space left on device": the role,
// then what failed, with errno's code (RESOURCE_EXHAUSTED for a full disk).
absl::Status InDeadLetterFile(const absl::Status& s) {
  return absl::Status(s.code(), absl::StrCat("dead-letter file: ", s.message()));
}

}  // namespace

absl::Status DeadLetterFile::Append(long http_status, absl::string_view error,
                                    absl::string_view lines) {
  std::string entry = absl::StrCat(
      "# ", absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", absl::Now(), absl::UTCTimeZone()),
      " HTTP ", http_status, ": ");
  for (char c : error) entry.push_back(c == '\n' || c == '\r' ? ' ' : c);
  entry.push_back('\n');
  entry.append(lines.data(), lines.size());
  if (!entry.empty() && entry.back() != '\n') entry.push_back('\n');

  absl::MutexLock lock(&mu_);
  absl::StatusOr<fd::UniqueFd> file = fd::Open(path_, O_WRONLY | O_CREAT | O_APPEND, 0640);
  if (!file.ok()) return InDeadLetterFile(file.status());
  if (absl::Status s = fd::WriteAll(file->get(), path_, entry); !s.ok()) {
    return InDeadLetterFile(s);
  }
  if (::fsync(file->get()) != 0) {
    return InDeadLetterFile(fd::ErrnoStatus("fsync", path_, errno));
  }
  return absl::OkStatus();
}

}  // namespace ocs_influx::server
