// Small files the programs read at start-up: certificates, CA bundles and
// bearer tokens. Errors name the file, never its contents.
#ifndef OCS_INFLUX_COMMON_FILES_FILES_H_
#define OCS_INFLUX_COMMON_FILES_FILES_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace ocs_influx::files {

// The whole file; `what` names it in errors ("token file", "--tls-cert").
absl::StatusOr<std::string> ReadWholeFile(const std::string& path,
                                          absl::string_view what);

// A bearer token: one line of printable ASCII, trailing whitespace (the
// newline editors and `echo` add) removed. Empty, or anything that cannot go
// in an HTTP/2 header, is an error that does not quote the token.
absl::StatusOr<std::string> ReadTokenFile(const std::string& path);

}  // namespace ocs_influx::files

#endif  // OCS_INFLUX_COMMON_FILES_FILES_H_
