// Credentials and settings from the environment, as the OCS agents and
// Docker secrets pass them. An error names the variable or the file, never
// its contents.
#ifndef OCS_INFLUX_SERVICE_INFLUX_CREDENTIALS_H_
#define OCS_INFLUX_SERVICE_INFLUX_CREDENTIALS_H_

#include <cstdlib>
#include <functional>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "service/influx/options.h"

namespace ocs_influx::influx {

// Credentials as the OCS agent reads them: INFLUXDB_USERNAME and
// INFLUXDB_PASSWORD; for one that is unset, the contents of the file named by
// INFLUXDB_USERNAME_FILE / INFLUXDB_PASSWORD_FILE with trailing "\r" and "\n"
// stripped; else "root". A named file that cannot be read is an error naming
// the file (never its contents), and `options` is left unchanged.
absl::Status LoadCredentialsFromEnvironment(
    InfluxOptions* options,
    std::function<const char*(const char*)> getenv_fn = ::getenv);

// Reads a setting from the environment as Docker secrets are passed: the
// variable `name` if set, else the contents of the file named by
// `name`_FILE (trailing "\r" and "\n" stripped); nullopt if neither is set.
// An unreadable file is an error naming the variable and the file, never
// its contents.
absl::StatusOr<std::optional<std::string>> ReadEnvOrFile(
    const char* name, std::function<const char*(const char*)> getenv_fn = ::getenv);

// A secret from a file (e.g. --influx-token-file): trailing "\r" and "\n"
// stripped; an error names the file, never its contents.
absl::StatusOr<std::string> ReadSecretFile(const std::string& path);

}  // namespace ocs_influx::influx

#endif  // OCS_INFLUX_SERVICE_INFLUX_CREDENTIALS_H_
