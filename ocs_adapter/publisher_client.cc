#include "ocs_adapter/publisher_client.h"

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/grpc_status/grpc_status.h"

namespace ocs_influx::ocs_adapter {

namespace v1 = ocs::influx::v1;

PublisherClient::PublisherClient(std::shared_ptr<grpc::Channel> channel,
                                 std::string token, absl::Duration timeout)
    : stub_(v1::Publisher::NewStub(std::move(channel))),
      authorization_(token.empty() ? "" : "Bearer " + token),
      timeout_(timeout) {}

void PublisherClient::Prepare(grpc::ClientContext* context) const {
  context->set_deadline(absl::ToChronoTime(absl::Now() + timeout_));
  if (!authorization_.empty()) context->AddMetadata("authorization", authorization_);
}

absl::StatusOr<v1::RecordingStatus> PublisherClient::StartRecording(bool test_mode) {
  grpc::ClientContext context;
  Prepare(&context);
  v1::StartRecordingRequest request;
  request.set_test_mode(test_mode);
  v1::RecordingStatus response;
  absl::Status s = FromGrpcStatus(stub_->StartRecording(&context, request, &response));
  if (!s.ok()) return s;
  return response;
}

absl::StatusOr<v1::RecordingStatus> PublisherClient::StopRecording() {
  grpc::ClientContext context;
  Prepare(&context);
  v1::RecordingStatus response;
  absl::Status s =
      FromGrpcStatus(stub_->StopRecording(&context, v1::StopRecordingRequest(), &response));
  if (!s.ok()) return s;
  return response;
}

absl::StatusOr<v1::Status> PublisherClient::GetStatus() {
  grpc::ClientContext context;
  Prepare(&context);
  v1::Status response;
  absl::Status s = FromGrpcStatus(stub_->GetStatus(&context, v1::GetStatusRequest(), &response));
  if (!s.ok()) return s;
  return response;
}

absl::StatusOr<v1::WriteResponse> PublisherClient::IngestFeeds(
    const v1::IngestFeedRequest& request) {
  grpc::ClientContext context;
  Prepare(&context);
  v1::WriteResponse response;
  absl::Status s = FromGrpcStatus(stub_->IngestFeed(&context, request, &response));
  if (!s.ok()) return s;
  return response;
}

}  // namespace ocs_influx::ocs_adapter
