// `publisherctl flush`: waits until what was accepted is in InfluxDB.
#ifndef OCS_INFLUX_CLIENT_FLUSH_COMMAND_H_
#define OCS_INFLUX_CLIENT_FLUSH_COMMAND_H_

#include <string>
#include <vector>

#include "client/command_io.h"

namespace ocs_influx::client {

// Exit status 1 when the flush did not complete in time.
int RunFlush(const std::vector<std::string>& args, const CommandIo& io);

}  // namespace ocs_influx::client

#endif  // OCS_INFLUX_CLIENT_FLUSH_COMMAND_H_
