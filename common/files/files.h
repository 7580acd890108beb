// Small files the programs read at start-up: certificates, CA bundles,
// bearer tokens, credentials and site files. Errors name the file, never its
// contents. Every read is bounded: a file named by mistake (a log, a disk
// image, /dev/zero) is an error, not a hang or an exhausted memory.
#ifndef OCS_INFLUX_COMMON_FILES_FILES_H_
#define OCS_INFLUX_COMMON_FILES_FILES_H_

#include <cstddef>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace ocs_influx::files {

// Far above any certificate chain or CA bundle (the Mozilla bundle is
// about 200 KiB).
inline constexpr size_t kMaxSmallFileBytes = 16 << 20;

// The whole file; `what` names it in errors ("token file", "--tls-cert"):
// "cannot read <what> <path>: <errno text>" (the code from errno), or
// INVALID_ARGUMENT "<what> <path> is larger than <max_bytes> bytes".
absl::StatusOr<std::string> ReadWholeFile(const std::string& path,
                                          absl::string_view what,
                                          size_t max_bytes = kMaxSmallFileBytes);

// A bearer token: one line of printable ASCII, trailing whitespace (the
// newline editors and `echo` add) removed. Empty, or anything that cannot go
// in an HTTP/2 header, is an error that does not quote the token.
absl::StatusOr<std::string> ReadTokenFile(const std::string& path);

}  // namespace ocs_influx::files

#endif  // OCS_INFLUX_COMMON_FILES_FILES_H_
