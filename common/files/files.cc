#include "common/files/files.h"

#include <fcntl.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/fd/fd.h"

namespace ocs_influx::files {

absl::StatusOr<std::string> ReadWholeFile(const std::string& path,
                                          absl::string_view what,
                                          size_t max_bytes) {
  auto cannot_read = [&](int error) {
    return absl::Status(absl::ErrnoToStatusCode(error),
                        absl::StrCat("cannot read ", what, " ", path, ": ",
                                     std::strerror(error)));
  };
  int raw;
  do {
    raw = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  } while (raw < 0 && errno == EINTR);
  if (raw < 0) return cannot_read(errno);
  fd::UniqueFd file(raw);
  std::string content;
  absl::Status read = fd::ReadAll(file.get(), path, max_bytes, &content);
  // ReadAll's only RESOURCE_EXHAUSTED is the bound (a read never fills a
  // disk).
  if (absl::IsResourceExhausted(read)) {
    return absl::InvalidArgumentError(absl::StrCat(
        what, " ", path, " is larger than ", max_bytes, " bytes"));
  }
  if (!read.ok()) {
    // The message already names the file: "read(<path>): Is a directory".
    return absl::Status(read.code(),
                        absl::StrCat("cannot read ", what, ": ", read.message()));
  }
  return content;
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
