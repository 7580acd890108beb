// `publisherctl write`: streams line protocol to the publisher
// (WriteStream), batch by batch, without reading the whole input first.
#ifndef OCS_INFLUX_CLIENT_WRITE_COMMAND_H_
#define OCS_INFLUX_CLIENT_WRITE_COMMAND_H_

#include <string>
#include <vector>

#include "client/command_io.h"

namespace ocs_influx::client {

int RunWrite(const std::vector<std::string>& args, const CommandIo& io);

}  // namespace ocs_influx::client

#endif  // OCS_INFLUX_CLIENT_WRITE_COMMAND_H_
