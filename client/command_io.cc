#include "client/command_io.h"

#include "absl/strings/str_cat.h"

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

std::optional<int> ParseCommandFlags(flags::FlagSet& flag_set,
                                     const std::vector<std::string>& args,
                                     absl::string_view command,
                                     const flags::Arguments& arguments,
                                     std::vector<std::string>* positional,
                                     const CommandIo& io) {
  return flags::ParseCommandLine(flag_set, args,
                                 absl::StrCat("publisherctl: ", command),
                                 arguments, positional, *io.out, *io.err);
}

}  // namespace ocs_influx::client
