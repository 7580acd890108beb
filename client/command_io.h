// What a command reads and writes, passed in rather than reached for, so
// that tests run commands against their own streams.
#ifndef OCS_INFLUX_CLIENT_COMMAND_IO_H_
#define OCS_INFLUX_CLIENT_COMMAND_IO_H_

#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "common/flags/flags.h"

namespace ocs_influx::client {

struct CommandIo {
  std::istream* in = &std::cin;
  std::ostream* out = &std::cout;
  std::ostream* err = &std::cerr;
  // Progress lines are for a person watching; in a log or a pipe they are
  // noise.
  bool err_is_terminal = false;
};

// Exit statuses shared by every command (and, but for 1, every program).
inline constexpr int kExitOk = flags::kExitOk;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = flags::kExitUsage;

// Prints "publisherctl: <command>: <CODE_NAME>: <message>" and returns
// kExitFailure.
int ReportFailure(const CommandIo& io, absl::string_view command,
                  const absl::Status& status);

// Prints "publisherctl: <command>: <message>" and returns kExitUsage.
int ReportUsageError(const CommandIo& io, absl::string_view command,
                     absl::string_view message);

// flags::ParseCommandLine for `command`: usage to io.out, errors as
// "publisherctl: <command>: <message>" to io.err. nullopt: go on.
std::optional<int> ParseCommandFlags(flags::FlagSet& flag_set,
                                     const std::vector<std::string>& args,
                                     absl::string_view command,
                                     const flags::Arguments& arguments,
                                     std::vector<std::string>* positional,
                                     const CommandIo& io);

}  // namespace ocs_influx::client

#endif  // OCS_INFLUX_CLIENT_COMMAND_IO_H_
