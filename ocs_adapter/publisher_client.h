// The adapter's only way to the core publisher: its gRPC API, over a TCP
// channel (--publisher HOST:PORT) or the embedded server's in-process one.
#ifndef OCS_INFLUX_OCS_ADAPTER_PUBLISHER_CLIENT_H_
#define OCS_INFLUX_OCS_ADAPTER_PUBLISHER_CLIENT_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "grpcpp/grpcpp.h"
#include "ocs_adapter/record_control.h"
#include "proto/publisher.grpc.pb.h"

namespace ocs_influx::ocs_adapter {

class PublisherClient final : public RecordControl {
 public:
  // An empty `token` sends no authorization metadata.
  PublisherClient(std::shared_ptr<grpc::Channel> channel, std::string token,
                  absl::Duration timeout = absl::Seconds(10));

  absl::StatusOr<ocs::influx::v1::RecordingStatus> StartRecording(bool test_mode) override;
  absl::StatusOr<ocs::influx::v1::RecordingStatus> StopRecording() override;
  absl::StatusOr<ocs::influx::v1::Status> GetStatus() override;
  // One call for several publications, validated and accepted together.
  absl::StatusOr<ocs::influx::v1::WriteResponse> IngestFeeds(
      std::vector<ocs::influx::v1::OcsFeed>* feeds);

 private:
  void Prepare(grpc::ClientContext* context) const;

  std::unique_ptr<ocs::influx::v1::Publisher::Stub> stub_;
  const std::string authorization_;
  const absl::Duration timeout_;
};

}  // namespace ocs_influx::ocs_adapter

#endif  // OCS_INFLUX_OCS_ADAPTER_PUBLISHER_CLIENT_H_
