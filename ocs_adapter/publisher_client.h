// The adapter's way to a core publisher in another process (--publisher
// HOST:PORT): its gRPC API, with the bearer token and a deadline per call.
#ifndef OCS_INFLUX_OCS_ADAPTER_PUBLISHER_CLIENT_H_
#define OCS_INFLUX_OCS_ADAPTER_PUBLISHER_CLIENT_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "grpcpp/grpcpp.h"
#include "ocs_adapter/record_control.h"
#include "proto/publisher.grpc.pb.h"

namespace ocs_influx::ocs_adapter {

class PublisherClient final : public PublisherLink {
 public:
  // An empty `token` sends no authorization metadata.
  PublisherClient(std::shared_ptr<grpc::Channel> channel, std::string token,
                  absl::Duration timeout = absl::Seconds(10));

  absl::StatusOr<ocs::influx::v1::RecordingStatus> StartRecording(bool test_mode) override;
  absl::StatusOr<ocs::influx::v1::RecordingStatus> StopRecording() override;
  absl::StatusOr<ocs::influx::v1::Status> GetStatus() override;
  absl::StatusOr<ocs::influx::v1::WriteResponse> IngestFeeds(
      const ocs::influx::v1::IngestFeedRequest& request) override;

 private:
  void Prepare(grpc::ClientContext* context) const;

  std::unique_ptr<ocs::influx::v1::Publisher::Stub> stub_;
  const std::string authorization_;
  const absl::Duration timeout_;
};

}  // namespace ocs_influx::ocs_adapter

#endif  // OCS_INFLUX_OCS_ADAPTER_PUBLISHER_CLIENT_H_
