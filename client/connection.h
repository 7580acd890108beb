// The one place where a command's connection flags become a gRPC channel:
// target, TLS, the bearer token and the per-call deadline.
#ifndef OCS_INFLUX_CLIENT_CONNECTION_H_
#define OCS_INFLUX_CLIENT_CONNECTION_H_

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/files/files.h"
#include "common/flags/flags.h"
#include "grpcpp/grpcpp.h"
#include "proto/publisher.grpc.pb.h"

namespace ocs_influx::client {

struct ConnectionOptions {
  std::string target = "127.0.0.1:50051";
  std::string token_file;
  bool tls = false;
  std::string tls_ca;
  // Zero means no deadline.
  absl::Duration timeout = absl::Seconds(10);
};

// Registers --target, --token-file, --tls, --tls-ca and --timeout. The
// meaning of --timeout differs between commands, so each gives its help.
void AddConnectionFlags(flags::FlagSet* flag_set, ConnectionOptions* options,
                        std::string timeout_help);

// The token in `path` (common/files/files.h).
using files::ReadTokenFile;

class Connection {
 public:
  // Reads the token and CA files; does not contact the server (the first
  // call does, and fails with UNAVAILABLE if it cannot).
  static absl::StatusOr<Connection> Open(const ConnectionOptions& options);

  ocs::influx::v1::Publisher::Stub& stub() const { return *stub_; }

  // Adds the bearer token and the deadline of --timeout.
  void PrepareCall(grpc::ClientContext* context) const;
  // Same, with a deadline `deadline_after` from now (zero: none).
  void PrepareCall(grpc::ClientContext* context,
                   absl::Duration deadline_after) const;

  absl::Duration timeout() const { return timeout_; }

 private:
  std::shared_ptr<grpc::Channel> channel_;
  std::shared_ptr<ocs::influx::v1::Publisher::Stub> stub_;
  std::string authorization_;
  absl::Duration timeout_;
};

}  // namespace ocs_influx::client

#endif  // OCS_INFLUX_CLIENT_CONNECTION_H_
