#include "client/command_io.h"

namespace ocs_influx::client {

int ReportFailure(const CommandIo& io, absl::string_view command,
                  const absl::Status& status) {
  *io.err << "publisherctl: " << command << ": "
          << absl::StatusCodeToString(status.code()) << ": "
          << status.message() << "\n";
  return kExitFailure;
}

int ReportUsageError(const CommandIo& io, absl::string_view command,
                     absl::string_view message) {
  *io.err << "publisherctl: " << command << ": " << message << "\n";
  return kExitUsage;
}

}  // namespace ocs_influx::client
