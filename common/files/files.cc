#include "common/files/files.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace ocs_influx::files {

absl::StatusOr<std::string> ReadWholeFile(const std::string& path,
                                          absl::string_view what) {
  std::ifstream file(path, std::ios::binary);
  if (!file) {
    int error = errno;
    return absl::Status(absl::ErrnoToStatusCode(error),
                        absl::StrCat("cannot read ", what, " ", path, ": ",
                                     std::strerror(error)));
  }
  std::ostringstream content;
  content << file.rdbuf();
  if (file.bad()) {
    return absl::DataLossError(
        absl::StrCat("error while reading ", what, " ", path));
  }
  return content.str();
}

absl::StatusOr<std::string> ReadTokenFile(const std::string& path) {
  absl::StatusOr<std::string> content = ReadWholeFile(path, "token file");
  if (!content.ok()) return content.status();
  // Editors and `echo` end the file with a newline; it is not part of the
  // token.
  std::string token(absl::StripTrailingAsciiWhitespace(*content));
  if (token.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("token file ", path, " is empty"));
  }
  // gRPC refuses such a header only when the call is made, with a message
  // that does not say where the value came from.
  for (char c : token) {
    if (c < 0x20 || c > 0x7e) {
      return absl::InvalidArgumentError(absl::StrCat(
          "token file ", path,
          " holds a character that cannot go in a header (one token on one "
          "line, printable ASCII)"));
    }
  }
  return token;
}

}  // namespace ocs_influx::files
