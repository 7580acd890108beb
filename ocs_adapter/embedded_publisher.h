// The adapter's way to the core publisher in its own process
// (--embedded-publisher): the API's calls made directly on the engine, on
// the caller's thread, with the request objects as they are: no
// serialisation, no gRPC thread in between. Each call goes through the
// same handler the gRPC service runs (service/api/write_handlers.h), so
// it validates, converts and answers exactly as IngestFeed over gRPC does.
// No token: nothing crosses a process boundary. The gRPC server still
// listens for publisherctl and other clients.
#ifndef OCS_INFLUX_OCS_ADAPTER_EMBEDDED_PUBLISHER_H_
#define OCS_INFLUX_OCS_ADAPTER_EMBEDDED_PUBLISHER_H_

#include "ocs_adapter/record_control.h"
#include "service/engine/publisher.h"

namespace ocs_influx::ocs_adapter {

class EmbeddedPublisher final : public PublisherLink {
 public:
  // `publisher` outlives this.
  explicit EmbeddedPublisher(server::Publisher* publisher) : publisher_(publisher) {}

  absl::StatusOr<ocs::influx::v1::RecordingStatus> StartRecording(bool test_mode) override;
  absl::StatusOr<ocs::influx::v1::RecordingStatus> StopRecording() override;
  absl::StatusOr<ocs::influx::v1::Status> GetStatus() override;
  absl::StatusOr<ocs::influx::v1::WriteResponse> IngestFeeds(
      const ocs::influx::v1::IngestFeedRequest& request) override;

 private:
  server::Publisher* const publisher_;
};

}  // namespace ocs_influx::ocs_adapter

#endif  // OCS_INFLUX_OCS_ADAPTER_EMBEDDED_PUBLISHER_H_
