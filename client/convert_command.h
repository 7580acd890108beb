// `publisherctl convert`: the operator's dry run. Reads OCS feed
// publications, one JSON [message, feed] per line, and prints the line
// protocol the publisher would write for them.
#ifndef OCS_INFLUX_CLIENT_CONVERT_COMMAND_H_
#define OCS_INFLUX_CLIENT_CONVERT_COMMAND_H_

#include <string>
#include <vector>

#include "client/command_io.h"

namespace ocs_influx::client {

// Returns the process exit status: 0 when every line converted, 1 when any
// line failed (the others are still converted), 2 for bad usage.
int RunConvert(const std::vector<std::string>& args, const CommandIo& io);

}  // namespace ocs_influx::client

#endif  // OCS_INFLUX_CLIENT_CONVERT_COMMAND_H_
