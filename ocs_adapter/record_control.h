// The adapter's way to the core publisher. RecordControl is what the OCS
// agent needs: the `record` process and the status. PublisherLink adds the
// feeds FeedIngest hands over. Two implementations: PublisherClient
// (publisher_client.h), the gRPC API of a running publisher (--publisher
// HOST:PORT); EmbeddedPublisher (embedded_publisher.h), the publisher in
// this process, called directly (--embedded-publisher). Tests may run a
// real publisher behind either, or stub RecordControl.
#ifndef OCS_INFLUX_OCS_ADAPTER_RECORD_CONTROL_H_
#define OCS_INFLUX_OCS_ADAPTER_RECORD_CONTROL_H_

#include "absl/status/statusor.h"
#include "proto/publisher.pb.h"

namespace ocs_influx::ocs_adapter {

class RecordControl {
 public:
  virtual ~RecordControl() = default;
  virtual absl::StatusOr<ocs::influx::v1::RecordingStatus> StartRecording(
      bool test_mode) = 0;
  virtual absl::StatusOr<ocs::influx::v1::RecordingStatus> StopRecording() = 0;
  virtual absl::StatusOr<ocs::influx::v1::Status> GetStatus() = 0;
};

class PublisherLink : public RecordControl {
 public:
  // One call for several publications, validated and accepted together.
  // The codes FeedIngest acts on are the API's: INVALID_ARGUMENT naming
  // the feed (`feeds[i]: ...`), RESOURCE_EXHAUSTED (spool full, or over a
  // gRPC message limit), FAILED_PRECONDITION (not recording), UNAVAILABLE
  // (shutting down, unreachable), DEADLINE_EXCEEDED.
  virtual absl::StatusOr<ocs::influx::v1::WriteResponse> IngestFeeds(
      const ocs::influx::v1::IngestFeedRequest& request) = 0;
};

}  // namespace ocs_influx::ocs_adapter

#endif  // OCS_INFLUX_OCS_ADAPTER_RECORD_CONTROL_H_
