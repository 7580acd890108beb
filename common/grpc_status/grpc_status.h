// absl::Status <-> grpc::Status, the one conversion for both sides of the
// API: the service answers with ToGrpcStatus, the adapter and publisherctl
// read answers with FromGrpcStatus.
#ifndef OCS_INFLUX_COMMON_GRPC_STATUS_GRPC_STATUS_H_
#define OCS_INFLUX_COMMON_GRPC_STATUS_GRPC_STATUS_H_

#include "absl/status/status.h"
#include "grpcpp/support/status.h"

namespace ocs_influx {

// Code and message; payloads are dropped (gRPC's details are a serialized
// google.rpc.Status that neither side sends). A code outside gRPC's
// 0..16 (absl allows any int) becomes UNKNOWN, with the message kept.
grpc::Status ToGrpcStatus(const absl::Status& status);

// Code and message; error details are dropped. A code outside 0..16, as a
// misbehaving peer may send, becomes UNKNOWN.
absl::Status FromGrpcStatus(const grpc::Status& status);

}  // namespace ocs_influx

#endif  // OCS_INFLUX_COMMON_GRPC_STATUS_GRPC_STATUS_H_
