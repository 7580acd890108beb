#include "service/server/dead_letter.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace ocs_influx::server {
namespace {

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

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
  Fd fd(::open(path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640));
  if (fd.get() < 0) {
    return absl::InternalError(
        absl::StrCat("dead-letter file ", path_, ": ", strerror(errno)));
  }
  const char* p = entry.data();
  size_t left = entry.size();
  while (left > 0) {
    ssize_t n = ::write(fd.get(), p, left);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      return absl::InternalError(
          absl::StrCat("dead-letter file ", path_, ": ", strerror(errno)));
    }
    p += n;
    left -= static_cast<size_t>(n);
  }
  if (::fsync(fd.get()) != 0) {
    return absl::InternalError(
        absl::StrCat("dead-letter file ", path_, ": fsync: ", strerror(errno)));
  }
  return absl::OkStatus();
}

}  // namespace ocs_influx::server
