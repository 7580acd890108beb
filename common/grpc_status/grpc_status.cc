#include "common/grpc_status/grpc_status.h"

#include <string>

namespace ocs_influx {
namespace {

// gRPC's and Abseil's codes are the same numbers, 0 (OK) to 16
// (UNAUTHENTICATED).
constexpr int kLastCode = 16;

}  // namespace

grpc::Status ToGrpcStatus(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  const int code = static_cast<int>(status.code());
  return grpc::Status(
      code > 0 && code <= kLastCode ? static_cast<grpc::StatusCode>(code)
                                    : grpc::StatusCode::UNKNOWN,
      std::string(status.message()));
}

absl::Status FromGrpcStatus(const grpc::Status& status) {
  if (status.ok()) return absl::OkStatus();
  const int code = static_cast<int>(status.error_code());
  return absl::Status(
      code > 0 && code <= kLastCode ? static_cast<absl::StatusCode>(code)
                                    : absl::StatusCode::kUnknown,
      status.error_message());
}

}  // namespace ocs_influx
