// publisherctl: the command-line client of the OCS InfluxDB publisher.
#include <unistd.h>

#include <string>
#include <vector>

#include "client/cli.h"
#include "client/command_io.h"

int main(int argc, char** argv) {
  ocs_influx::client::CommandIo io;
  io.err_is_terminal = isatty(STDERR_FILENO) == 1;
  return ocs_influx::client::RunPublisherctl(
      std::vector<std::string>(argv + 1, argv + argc), io);
}
