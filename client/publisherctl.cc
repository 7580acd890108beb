// publisherctl: the command-line client of the OCS InfluxDB publisher.
#include <unistd.h>

#include <iostream>
#include <string>
#include <vector>

#include "client/command_io.h"
#include "client/convert_command.h"
#include "client/flush_command.h"
#include "client/record_command.h"
#include "client/status_command.h"
#include "client/write_command.h"

namespace {

constexpr char kUsage[] =
    "Usage: publisherctl COMMAND [ARGS]\n"
    "\n"
    "The command-line client of the OCS InfluxDB publisher.\n"
    "\n"
    "Commands:\n"
    "  status [--json]        Show the recording state, counters, spool,\n"
    "                         InfluxDB connection and write statistics.\n"
    "  record start [--test-mode]\n"
    "                         Start recording (OCS: ops start record).\n"
    "  record stop            Stop recording (OCS: ops stop record).\n"
    "  write [FILE]           Send line protocol from FILE or standard input.\n"
    "  flush [--timeout D]    Wait until accepted points are in InfluxDB.\n"
    "  convert [FILE]         Print the line protocol the publisher would write\n"
    "                         for OCS feed publications (JSON [message, feed]\n"
    "                         per line); needs no publisher.\n"
    "\n"
    "The commands that talk to the publisher take --target (default\n"
    "127.0.0.1:50051), --token-file, --tls, --tls-ca and --timeout.\n"
    "Exit status: 0 success, 1 failure, 2 bad usage.\n"
    "\n"
    "Run 'publisherctl COMMAND --help' for a command's flags.\n";

}  // namespace

int main(int argc, char** argv) {
  namespace client = ocs_influx::client;
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty() || args[0] == "--help" || args[0] == "-h" ||
      args[0] == "help") {
    (args.empty() ? std::cerr : std::cout) << kUsage;
    return args.empty() ? client::kExitUsage : client::kExitOk;
  }
  std::string command = args[0];
  args.erase(args.begin());
  client::CommandIo io;
  io.err_is_terminal = isatty(STDERR_FILENO) == 1;
  if (command == "status") return client::RunStatus(args, io);
  if (command == "record") return client::RunRecord(args, io);
  if (command == "write") return client::RunWrite(args, io);
  if (command == "flush") return client::RunFlush(args, io);
  if (command == "convert") return client::RunConvert(args);
  std::cerr << "publisherctl: unknown command \"" << command << "\"\n\n"
            << kUsage;
  return client::kExitUsage;
}
