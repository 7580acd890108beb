// The gRPC face of the publisher: checks the bearer token, hands each
// request to its handler (write_handlers.h: validated whole before any of
// it is accepted) and maps our absl::Status codes onto gRPC's (they share
// numbers).
#ifndef OCS_INFLUX_SERVICE_GRPC_GRPC_SERVICE_H_
#define OCS_INFLUX_SERVICE_GRPC_GRPC_SERVICE_H_

#include <string>

#include "proto/publisher.grpc.pb.h"
#include "service/engine/publisher.h"

namespace ocs_influx::server {

class PublisherService final : public ocs::influx::v1::Publisher::Service {
 public:
  // An empty `auth_token` turns authentication off.
  PublisherService(Publisher* publisher, std::string auth_token);

  grpc::Status StartRecording(grpc::ServerContext* context,
                              const ocs::influx::v1::StartRecordingRequest* request,
                              ocs::influx::v1::RecordingStatus* response) override;
  grpc::Status StopRecording(grpc::ServerContext* context,
                             const ocs::influx::v1::StopRecordingRequest* request,
                             ocs::influx::v1::RecordingStatus* response) override;
  grpc::Status GetStatus(grpc::ServerContext* context,
                         const ocs::influx::v1::GetStatusRequest* request,
                         ocs::influx::v1::Status* response) override;
  grpc::Status Write(grpc::ServerContext* context,
                     const ocs::influx::v1::WriteRequest* request,
                     ocs::influx::v1::WriteResponse* response) override;
  grpc::Status WriteLines(grpc::ServerContext* context,
                          const ocs::influx::v1::WriteLinesRequest* request,
                          ocs::influx::v1::WriteResponse* response) override;
  grpc::Status WriteStream(
      grpc::ServerContext* context,
      grpc::ServerReader<ocs::influx::v1::WriteStreamRequest>* reader,
      ocs::influx::v1::WriteResponse* response) override;
  grpc::Status IngestFeed(grpc::ServerContext* context,
                          const ocs::influx::v1::IngestFeedRequest* request,
                          ocs::influx::v1::WriteResponse* response) override;
  grpc::Status Flush(grpc::ServerContext* context,
                     const ocs::influx::v1::FlushRequest* request,
                     ocs::influx::v1::FlushResponse* response) override;

 private:
  grpc::Status CheckAuth(grpc::ServerContext* context) const;

  Publisher* const publisher_;
  const std::string expected_authorization_;  // "Bearer <token>" or empty
};

}  // namespace ocs_influx::server

#endif  // OCS_INFLUX_SERVICE_GRPC_GRPC_SERVICE_H_
