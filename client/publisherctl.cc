// publisherctl: the command-line client of the OCS InfluxDB publisher.
#include <iostream>
#include <string>
#include <vector>

#include "client/convert_command.h"

namespace {

constexpr char kUsage[] =
    "Usage: publisherctl COMMAND [ARGS]\n"
    "\n"
    "The command-line client of the OCS InfluxDB publisher.\n"
    "\n"
    "Commands:\n"
    "  convert [FILE]   Print the line protocol the publisher would write for\n"
    "                   OCS feed publications (JSON [message, feed] per line).\n"
    "\n"
    "Run 'publisherctl COMMAND --help' for a command's flags.\n";

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty() || args[0] == "--help" || args[0] == "-h" ||
      args[0] == "help") {
    std::cout << kUsage;
    return args.empty() ? 2 : 0;
  }
  std::string command = args[0];
  args.erase(args.begin());
  if (command == "convert") return ocs_influx::client::RunConvert(args);
  std::cerr << "publisherctl: unknown command \"" << command << "\"\n\n"
            << kUsage;
  return 2;
}
