// `publisherctl record start|stop`: the OCS `record` process.
#ifndef OCS_INFLUX_CLIENT_RECORD_COMMAND_H_
#define OCS_INFLUX_CLIENT_RECORD_COMMAND_H_

#include <string>
#include <vector>

#include "client/command_io.h"

namespace ocs_influx::client {

int RunRecord(const std::vector<std::string>& args, const CommandIo& io);

}  // namespace ocs_influx::client

#endif  // OCS_INFLUX_CLIENT_RECORD_COMMAND_H_
