// The gRPC server around a Publisher: the Publisher service, gRPC health
// (grpc.health.v1, SERVING while up, not behind the token) and server
// reflection, on a TCP address. The OCS adapter's embedded mode calls the
// Publisher directly (ocs_adapter/embedded_publisher.h), not through this.
#ifndef OCS_INFLUX_SERVICE_GRPC_SERVER_H_
#define OCS_INFLUX_SERVICE_GRPC_SERVER_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "grpcpp/grpcpp.h"
#include "service/grpc/grpc_service.h"
#include "service/engine/publisher.h"

namespace ocs_influx::server {

struct ServerOptions {
  std::string listen = "127.0.0.1:50051";  // empty: no port (the engine alone)
  std::string auth_token;                  // empty: no token needed
  std::string tls_cert_file;               // both set: TLS on the port
  std::string tls_key_file;
  int max_message_bytes = 16 << 20;
};

class PublisherServer {
 private:
  struct Token {
    explicit Token() = default;
  };

 public:
  PublisherServer(Token, std::unique_ptr<Publisher> publisher,
                  std::string auth_token);
  static absl::StatusOr<std::unique_ptr<PublisherServer>> Start(
      const ServerOptions& options, std::unique_ptr<Publisher> publisher);
  ~PublisherServer();

  int port() const { return port_; }
  Publisher* publisher() { return publisher_.get(); }

  // Health goes NOT_SERVING, writes answer UNAVAILABLE, the writer delivers
  // for at most `drain`, then the server stops. Idempotent.
  void Shutdown(absl::Duration drain);

 private:
  std::unique_ptr<Publisher> publisher_;
  PublisherService service_;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
  bool shut_down_ = false;
};

}  // namespace ocs_influx::server

#endif  // OCS_INFLUX_SERVICE_GRPC_SERVER_H_
