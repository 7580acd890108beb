// `publisherctl status`: GetStatus as an aligned table, or JSON for scripts.
#ifndef OCS_INFLUX_CLIENT_STATUS_COMMAND_H_
#define OCS_INFLUX_CLIENT_STATUS_COMMAND_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "client/command_io.h"
#include "proto/publisher.pb.h"

namespace ocs_influx::client {

int RunStatus(const std::vector<std::string>& args, const CommandIo& io);

// `now` turns timestamps into ages ("12s ago").
std::string FormatStatusTable(const ocs::influx::v1::Status& status,
                              absl::Time now);

// Every field, zeros and empty strings included, so scripts need not guess
// what a missing key means.
absl::StatusOr<std::string> StatusToJson(const ocs::influx::v1::Status& status);

// One line: state, op_code, session, start time; what `record` prints.
std::string FormatRecordingLine(const ocs::influx::v1::RecordingStatus& status);

}  // namespace ocs_influx::client

#endif  // OCS_INFLUX_CLIENT_STATUS_COMMAND_H_
