#include "service/influx/credentials.h"

#include "absl/strings/str_cat.h"
#include "common/files/files.h"

namespace ocs_influx::influx {
namespace {

// A credential is short; a huge file is a mistake, not a password.
constexpr size_t kMaxCredentialBytes = 64 * 1024;

// A small secret or setting file with trailing CR/LF stripped (as the OCS
// agent's rstrip('\r\n')). `what` names it in errors; the contents never.
absl::StatusOr<std::string> ReadSmallFile(const std::string& what, const std::string& path) {
  absl::StatusOr<std::string> content = files::ReadWholeFile(path, what, kMaxCredentialBytes);
  if (!content.ok()) return content.status();
  while (!content->empty() && (content->back() == '\n' || content->back() == '\r')) {
    content->pop_back();
  }
  return content;
}

}  // namespace

absl::StatusOr<std::optional<std::string>> ReadEnvOrFile(
    const char* name, std::function<const char*(const char*)> getenv_fn) {
  if (const char* v = getenv_fn(name); v != nullptr) return std::optional<std::string>(v);
  const std::string file_var = absl::StrCat(name, "_FILE");
  const char* path = getenv_fn(file_var.c_str());
  if (path == nullptr) return std::optional<std::string>();
  absl::StatusOr<std::string> content = ReadSmallFile(file_var + " file", path);
  if (!content.ok()) return content.status();
  return std::optional<std::string>(*std::move(content));
}

absl::StatusOr<std::string> ReadSecretFile(const std::string& path) {
  return ReadSmallFile("file", path);
}

absl::Status LoadCredentialsFromEnvironment(
    InfluxOptions* options, std::function<const char*(const char*)> getenv_fn) {
  absl::StatusOr<std::optional<std::string>> username =
      ReadEnvOrFile("INFLUXDB_USERNAME", getenv_fn);
  if (!username.ok()) return username.status();
  absl::StatusOr<std::optional<std::string>> password =
      ReadEnvOrFile("INFLUXDB_PASSWORD", getenv_fn);
  if (!password.ok()) return password.status();
  options->username = username->value_or("root");
  options->password = password->value_or("root");
  return absl::OkStatus();
}

}  // namespace ocs_influx::influx
