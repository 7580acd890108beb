// The one way a client of the publisher's API (publisherctl, the adapter
// with --publisher) turns its TLS flags into channel credentials.
#ifndef OCS_INFLUX_COMMON_GRPC_CHANNEL_GRPC_CHANNEL_H_
#define OCS_INFLUX_COMMON_GRPC_CHANNEL_GRPC_CHANNEL_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "grpcpp/channel.h"
#include "grpcpp/security/credentials.h"

namespace ocs_influx {

struct ChannelSecurity {
  // TLS, verifying the server against `ca_file` or else the system's roots.
  bool tls = false;
  // A PEM file of CA certificates; implies `tls`. Read once, by
  // ChannelCredentials (errors name it as "CA file <path>").
  std::string ca_file;
};

// Plaintext when neither is set (the publisher's loopback default).
absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> ChannelCredentials(
    const ChannelSecurity& security);

// A channel to `target` (host:port) with those credentials. Does not
// connect: the first call does, and fails with UNAVAILABLE if it cannot.
absl::StatusOr<std::shared_ptr<grpc::Channel>> CreateChannel(
    const std::string& target, const ChannelSecurity& security);

}  // namespace ocs_influx

#endif  // OCS_INFLUX_COMMON_GRPC_CHANNEL_GRPC_CHANNEL_H_
