// publisherctl's command table and dispatch: the one list of commands that
// the top-level --help, the dispatch and the shell completion are all made
// from, so that none of them can name a command the others do not know.
#ifndef OCS_INFLUX_CLIENT_CLI_H_
#define OCS_INFLUX_CLIENT_CLI_H_

#include <string>
#include <vector>

#include "client/command_io.h"

namespace ocs_influx::client {

struct CommandSpec {
  // The words that name the command: {"status"}, {"record", "start"}.
  std::vector<std::string> words;
  // What follows the words in the top-level help: "[--json]", "[FILE]".
  std::string synopsis;
  // One or more lines for the top-level help.
  std::string summary;
  // Takes --target, --token-file, --tls, --tls-ca and --timeout.
  bool connects = false;
  // Takes a FILE argument (completed with file names).
  bool takes_file = false;
  // Runs the command with the arguments after its words.
  int (*run)(const std::vector<std::string>& args,
             const CommandIo& io) = nullptr;
};

const std::vector<CommandSpec>& Commands();

// The top-level help.
std::string TopLevelUsage();

// A flag as a command's --help lists it.
struct FlagName {
  std::string name;  // without the dashes
  bool takes_value = false;
};

// The flags `spec`'s --help lists, read from that help text itself.
std::vector<FlagName> CommandFlags(const CommandSpec& spec);
// The connection flags, which may also come before the command.
std::vector<FlagName> ConnectionFlags();

// A bash completion script for publisherctl, made from Commands().
std::string BashCompletion();

// publisherctl with argv[1..]. Connection flags may come before the command
// (`publisherctl --target HOST:PORT status`, as kubectl, etcdctl and grpcurl
// take them) as well as after it; after it wins when both are given.
int RunPublisherctl(const std::vector<std::string>& args, const CommandIo& io);

}  // namespace ocs_influx::client

#endif  // OCS_INFLUX_CLIENT_CLI_H_
