#include "service/grpc/grpc_service.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/grpc_status/grpc_status.h"
#include "service/api/write_handlers.h"

namespace ocs_influx::server {

namespace v1 = ocs::influx::v1;

PublisherService::PublisherService(Publisher* publisher, std::string auth_token)
    : publisher_(publisher),
      expected_authorization_(auth_token.empty() ? ""
                                                 : "Bearer " + auth_token) {}

grpc::Status PublisherService::CheckAuth(grpc::ServerContext* context) const {
  if (expected_authorization_.empty()) return grpc::Status::OK;
  const auto& metadata = context->client_metadata();
  auto it = metadata.find("authorization");
  if (it != metadata.end()) {
    const grpc::string_ref& got = it->second;
    // Constant time in the token's length: no early exit on the first
    // differing byte.
    if (got.size() == expected_authorization_.size()) {
      unsigned char diff = 0;
      for (size_t i = 0; i < got.size(); ++i) {
        diff |= static_cast<unsigned char>(got.data()[i] ^ expected_authorization_[i]);
      }
      if (diff == 0) return grpc::Status::OK;
    }
  }
  return grpc::Status(grpc::StatusCode::UNAUTHENTICATED,
                      "missing or wrong \"authorization: Bearer <token>\"");
}

grpc::Status PublisherService::StartRecording(
    grpc::ServerContext* context, const v1::StartRecordingRequest* request,
    v1::RecordingStatus* response) {
  if (auto s = CheckAuth(context); !s.ok()) return s;
  return ToGrpcStatus(HandleStartRecording(publisher_, *request, response));
}

grpc::Status PublisherService::StopRecording(
    grpc::ServerContext* context, const v1::StopRecordingRequest* /*request*/,
    v1::RecordingStatus* response) {
  if (auto s = CheckAuth(context); !s.ok()) return s;
  return ToGrpcStatus(HandleStopRecording(publisher_, response));
}

grpc::Status PublisherService::GetStatus(grpc::ServerContext* context,
                                         const v1::GetStatusRequest* /*request*/,
                                         v1::Status* response) {
  if (auto s = CheckAuth(context); !s.ok()) return s;
  HandleGetStatus(publisher_, response);
  return grpc::Status::OK;
}

grpc::Status PublisherService::Write(grpc::ServerContext* context,
                                     const v1::WriteRequest* request,
                                     v1::WriteResponse* response) {
  if (auto s = CheckAuth(context); !s.ok()) return s;
  return ToGrpcStatus(HandleWrite(publisher_, *request, response));
}

grpc::Status PublisherService::WriteLines(grpc::ServerContext* context,
                                          const v1::WriteLinesRequest* request,
                                          v1::WriteResponse* response) {
  if (auto s = CheckAuth(context); !s.ok()) return s;
  return ToGrpcStatus(HandleWriteLines(publisher_, *request, response));
}

grpc::Status PublisherService::WriteStream(
    grpc::ServerContext* context,
    grpc::ServerReader<v1::WriteStreamRequest>* reader,
    v1::WriteResponse* response) {
  if (auto s = CheckAuth(context); !s.ok()) return s;
  v1::WriteStreamRequest message;
  uint64_t index = 0;
  while (reader->Read(&message)) {
    const uint64_t accepted_before = response->points_accepted();
    absl::Status s = HandleWriteStreamMessage(publisher_, message, response);
    if (!s.ok()) {
      return ToGrpcStatus(absl::Status(
          s.code(), absl::StrCat("message ", index, ": ", s.message(), " (", index,
                                 " messages, ", accepted_before,
                                 " points before it were accepted)")));
    }
    ++index;
  }
  return grpc::Status::OK;
}

grpc::Status PublisherService::IngestFeed(grpc::ServerContext* context,
                                          const v1::IngestFeedRequest* request,
                                          v1::WriteResponse* response) {
  if (auto s = CheckAuth(context); !s.ok()) return s;
  return ToGrpcStatus(HandleIngestFeed(publisher_, *request, response));
}

grpc::Status PublisherService::Flush(grpc::ServerContext* context,
                                     const v1::FlushRequest* request,
                                     v1::FlushResponse* response) {
  if (auto s = CheckAuth(context); !s.ok()) return s;
  absl::Time deadline = absl::Now() + absl::Seconds(30);
  if (request->has_timeout()) {
    // In absl::Duration, which saturates: TimeUtil::DurationToNanoseconds
    // overflows int64 (undefined) beyond +/-292 years, and a hostile
    // -10^10 s wrapped to a wait of centuries.
    deadline = absl::Now() + absl::Seconds(request->timeout().seconds()) +
               absl::Nanoseconds(request->timeout().nanos());
  } else if (context->deadline() != std::chrono::system_clock::time_point::max()) {
    deadline = absl::FromChrono(context->deadline());
  }
  uint64_t pending = 0;
  response->set_complete(publisher_->Flush(deadline, &pending));
  response->set_points_pending(pending);
  return grpc::Status::OK;
}

}  // namespace ocs_influx::server
