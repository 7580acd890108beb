// The work of the publisher's API calls without gRPC: validate a request
// whole, convert it to line protocol, Accept it, fill the answer. The gRPC
// service (grpc_service.cc) and the OCS adapter's in-process path
// (ocs_adapter/embedded_publisher.cc) both call these, so one request gets
// the same answer, the same status code and the same message either way.
//
// Conversion buffers live per calling thread and keep their capacity: a
// request costs no allocation once its thread has seen one of its size.
#ifndef OCS_INFLUX_SERVICE_API_WRITE_HANDLERS_H_
#define OCS_INFLUX_SERVICE_API_WRITE_HANDLERS_H_

#include "absl/status/status.h"
#include "proto/publisher.pb.h"
#include "service/engine/publisher.h"

namespace ocs_influx::server {

// Each returns the request's status; `response` is complete only when it
// is OK (the recording calls also fill it on error, as their answer).
absl::Status HandleWrite(Publisher* publisher, const ocs::influx::v1::WriteRequest& request,
                         ocs::influx::v1::WriteResponse* response);
absl::Status HandleWriteLines(Publisher* publisher,
                              const ocs::influx::v1::WriteLinesRequest& request,
                              ocs::influx::v1::WriteResponse* response);
// One message of a WriteStream; adds what it accepted to `response`.
absl::Status HandleWriteStreamMessage(Publisher* publisher,
                                      const ocs::influx::v1::WriteStreamRequest& message,
                                      ocs::influx::v1::WriteResponse* response);
// INVALID_ARGUMENT names the feed that failed (`feeds[i]: ...`); nothing
// of the request is accepted then.
absl::Status HandleIngestFeed(Publisher* publisher,
                              const ocs::influx::v1::IngestFeedRequest& request,
                              ocs::influx::v1::WriteResponse* response);
absl::Status HandleStartRecording(Publisher* publisher,
                                  const ocs::influx::v1::StartRecordingRequest& request,
                                  ocs::influx::v1::RecordingStatus* response);
absl::Status HandleStopRecording(Publisher* publisher,
                                 ocs::influx::v1::RecordingStatus* response);
void HandleGetStatus(Publisher* publisher, ocs::influx::v1::Status* response);

}  // namespace ocs_influx::server

#endif  // OCS_INFLUX_SERVICE_API_WRITE_HANDLERS_H_
