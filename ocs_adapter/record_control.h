// What the OCS agent needs from the core publisher: its `record` process
// and its status. In production this is the gRPC API (publisher_client.h),
// in-process or remote; tests may run a real publisher behind it.
#ifndef OCS_INFLUX_OCS_ADAPTER_RECORD_CONTROL_H_
#define OCS_INFLUX_OCS_ADAPTER_RECORD_CONTROL_H_

#include "absl/status/statusor.h"
#include "proto/publisher.pb.h"

namespace ocs_influx::ocs_adapter {

class RecordControl {
 public:
  virtual ~RecordControl() = default;
  virtual absl::StatusOr<ocs::influx::v1::RecordingStatus> StartRecording(
      bool test_mode) = 0;
  virtual absl::StatusOr<ocs::influx::v1::RecordingStatus> StopRecording() = 0;
  virtual absl::StatusOr<ocs::influx::v1::Status> GetStatus() = 0;
};

}  // namespace ocs_influx::ocs_adapter

#endif  // OCS_INFLUX_OCS_ADAPTER_RECORD_CONTROL_H_
