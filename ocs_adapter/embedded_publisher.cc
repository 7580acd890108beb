#include "ocs_adapter/embedded_publisher.h"

#include "service/api/write_handlers.h"

namespace ocs_influx::ocs_adapter {

namespace v1 = ocs::influx::v1;

absl::StatusOr<v1::RecordingStatus> EmbeddedPublisher::StartRecording(bool test_mode) {
  v1::StartRecordingRequest request;
  request.set_test_mode(test_mode);
  v1::RecordingStatus response;
  absl::Status s = server::HandleStartRecording(publisher_, request, &response);
  if (!s.ok()) return s;
  return response;
}

absl::StatusOr<v1::RecordingStatus> EmbeddedPublisher::StopRecording() {
  v1::RecordingStatus response;
  absl::Status s = server::HandleStopRecording(publisher_, &response);
  if (!s.ok()) return s;
  return response;
}

absl::StatusOr<v1::Status> EmbeddedPublisher::GetStatus() {
  v1::Status response;
  server::HandleGetStatus(publisher_, &response);
  return response;
}

absl::StatusOr<v1::WriteResponse> EmbeddedPublisher::IngestFeeds(
    const v1::IngestFeedRequest& request) {
  v1::WriteResponse response;
  absl::Status s = server::HandleIngestFeed(publisher_, request, &response);
  if (!s.ok()) return s;
  return response;
}

}  // namespace ocs_influx::ocs_adapter
