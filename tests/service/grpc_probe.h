// Calls gRPC's health and reflection services by method path, through a
// generic stub, as health probes and grpcurl do.
#ifndef OCS_INFLUX_TESTS_SERVICE_GRPC_PROBE_H_
#define OCS_INFLUX_TESTS_SERVICE_GRPC_PROBE_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "grpcpp/grpcpp.h"

namespace ocs_influx::testing {

// grpc.health.v1.Health/Check for the whole server: 1 is SERVING.
absl::StatusOr<int> HealthCheck(const std::shared_ptr<grpc::Channel>& channel);

// grpc.reflection.v1alpha list_services, as `grpcurl ... list` shows it.
absl::StatusOr<std::vector<std::string>> ListServices(
    const std::shared_ptr<grpc::Channel>& channel);

}  // namespace ocs_influx::testing

#endif  // OCS_INFLUX_TESTS_SERVICE_GRPC_PROBE_H_
