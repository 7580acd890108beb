// The engine's status snapshots in the API's words: ocs.influx.v1.Status
// and RecordingStatus. Beside write_handlers, the API layer that the gRPC
// service and the adapter's embedded publisher share, so the engine itself
// never touches a proto message.
#ifndef OCS_INFLUX_SERVICE_API_STATUS_PROTO_H_
#define OCS_INFLUX_SERVICE_API_STATUS_PROTO_H_

#include "proto/publisher.pb.h"
#include "service/engine/publisher.h"
#include "service/engine/recording.h"

namespace ocs_influx::server {

void ToProto(const RecordingSnapshot& in, ocs::influx::v1::RecordingStatus* out);
void ToProto(const PublisherStatus& in, ocs::influx::v1::Status* out);

}  // namespace ocs_influx::server

#endif  // OCS_INFLUX_SERVICE_API_STATUS_PROTO_H_
