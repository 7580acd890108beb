#include "service/server/grpc_service.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "service/core/feed_convert.h"
#include "service/core/line_parser.h"
#include "service/core/point_encoder.h"

namespace ocs_influx::server {
namespace {

namespace v1 = ocs::influx::v1;

grpc::Status ToGrpc(const absl::Status& s) {
  if (s.ok()) return grpc::Status::OK;
  return grpc::Status(static_cast<grpc::StatusCode>(s.code()),
                      std::string(s.message()));
}

// Encoding buffers live per RPC thread and keep their capacity, so a
// request costs no allocation once a thread has seen one of its size. A
// request's lines are bounded chunks (at most kMaxRequestLineBytes in all),
// never one giant string; Clear lets go of what a one-off large request
// grew beyond a few chunks.
struct ThreadScratch {
  core::LineChunks lines;
  core::LinesConverter lines_converter;
  core::FeedConverter feed_converter;
};

ThreadScratch& Scratch() {
  thread_local ThreadScratch scratch;
  scratch.lines.Clear();
  return scratch;
}

int64_t NowNs() { return absl::ToUnixNanos(absl::Now()); }

// An enum value this build does not know (a newer client's, or garbage)
// must not be read as nanoseconds: that would shift every point.
absl::Status CheckPrecision(v1::Precision p) {
  if (v1::Precision_IsValid(p)) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(
      "precision: unknown value ", static_cast<int>(p),
      " (PRECISION_NANOSECONDS, _MICROSECONDS, _MILLISECONDS or _SECONDS)"));
}

core::Precision ToPrecision(v1::Precision p) {
  switch (p) {
    case v1::PRECISION_MICROSECONDS: return core::Precision::kMicroseconds;
    case v1::PRECISION_MILLISECONDS: return core::Precision::kMilliseconds;
    case v1::PRECISION_SECONDS: return core::Precision::kSeconds;
    default: return core::Precision::kNanoseconds;
  }
}

void FillResponse(const core::EncodeResult& result, v1::WriteResponse* response) {
  response->set_points_accepted(response->points_accepted() + result.points);
  for (int r = 0; r < static_cast<int>(core::DropReason::kCount); ++r) {
    auto reason = static_cast<core::DropReason>(r);
    uint64_t n = result.dropped.Get(reason);
    if (n == 0) continue;
    std::string name(core::DropReasonName(reason));
    v1::DropCount* entry = nullptr;
    for (auto& d : *response->mutable_dropped()) {
      if (d.reason() == name) entry = &d;
    }
    if (entry == nullptr) {
      entry = response->add_dropped();
      entry->set_reason(name);
    }
    entry->set_count(entry->count() + n);
  }
}

// Encodes one stream message into `scratch.lines`.
absl::Status EncodeStreamMessage(const v1::WriteStreamRequest& message,
                                 ThreadScratch& scratch,
                                 core::EncodeResult* result) {
  switch (message.payload_case()) {
    case v1::WriteStreamRequest::kPoints:
      return core::EncodeWriteRequest(message.points(), NowNs(), &scratch.lines,
                                      result);
    case v1::WriteStreamRequest::kLines:
      if (absl::Status s = CheckPrecision(message.lines().precision()); !s.ok()) {
        return s;
      }
      return scratch.lines_converter.Convert(
          message.lines().lines(), ToPrecision(message.lines().precision()),
          NowNs(), &scratch.lines, result);
    case v1::WriteStreamRequest::PAYLOAD_NOT_SET:
      break;
  }
  return absl::InvalidArgumentError("empty message: set points or lines");
}

}  // namespace

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
  absl::Status s = publisher_->StartRecording(request->test_mode());
  publisher_->FillRecording(response);
  return ToGrpc(s);
}

grpc::Status PublisherService::StopRecording(
    grpc::ServerContext* context, const v1::StopRecordingRequest* /*request*/,
    v1::RecordingStatus* response) {
  if (auto s = CheckAuth(context); !s.ok()) return s;
  absl::Status s = publisher_->StopRecording();
  publisher_->FillRecording(response);
  return ToGrpc(s);
}

grpc::Status PublisherService::GetStatus(grpc::ServerContext* context,
                                         const v1::GetStatusRequest* /*request*/,
                                         v1::Status* response) {
  if (auto s = CheckAuth(context); !s.ok()) return s;
  publisher_->FillStatus(response);
  return grpc::Status::OK;
}

grpc::Status PublisherService::Write(grpc::ServerContext* context,
                                     const v1::WriteRequest* request,
                                     v1::WriteResponse* response) {
  if (auto s = CheckAuth(context); !s.ok()) return s;
  ThreadScratch& scratch = Scratch();
  core::EncodeResult result;
  absl::Status s =
      core::EncodeWriteRequest(*request, NowNs(), &scratch.lines, &result);
  if (s.ok()) s = publisher_->Accept(scratch.lines, result.dropped);
  if (s.ok()) FillResponse(result, response);
  return ToGrpc(s);
}

grpc::Status PublisherService::WriteLines(grpc::ServerContext* context,
                                          const v1::WriteLinesRequest* request,
                                          v1::WriteResponse* response) {
  if (auto s = CheckAuth(context); !s.ok()) return s;
  ThreadScratch& scratch = Scratch();
  core::EncodeResult result;
  absl::Status s = CheckPrecision(request->precision());
  if (s.ok()) {
    s = scratch.lines_converter.Convert(request->lines(),
                                        ToPrecision(request->precision()),
                                        NowNs(), &scratch.lines, &result);
  }
  if (s.ok()) s = publisher_->Accept(scratch.lines, result.dropped);
  if (s.ok()) FillResponse(result, response);
  return ToGrpc(s);
}

grpc::Status PublisherService::WriteStream(
    grpc::ServerContext* context,
    grpc::ServerReader<v1::WriteStreamRequest>* reader,
    v1::WriteResponse* response) {
  if (auto s = CheckAuth(context); !s.ok()) return s;
  v1::WriteStreamRequest message;
  uint64_t index = 0;
  while (reader->Read(&message)) {
    ThreadScratch& scratch = Scratch();
    core::EncodeResult result;
    absl::Status s = EncodeStreamMessage(message, scratch, &result);
    if (s.ok()) s = publisher_->Accept(scratch.lines, result.dropped);
    if (!s.ok()) {
      return grpc::Status(
          static_cast<grpc::StatusCode>(s.code()),
          absl::StrCat("message ", index, ": ", s.message(), " (", index,
                       " messages, ", response->points_accepted(),
                       " points before it were accepted)"));
    }
    FillResponse(result, response);
    ++index;
  }
  return grpc::Status::OK;
}

grpc::Status PublisherService::IngestFeed(grpc::ServerContext* context,
                                          const v1::IngestFeedRequest* request,
                                          v1::WriteResponse* response) {
  if (auto s = CheckAuth(context); !s.ok()) return s;
  ThreadScratch& scratch = Scratch();
  core::EncodeResult result;
  absl::Status s =
      scratch.feed_converter.Convert(request->feed(), &scratch.lines, &result);
  for (int i = 0; s.ok() && i < request->more_feeds_size(); ++i) {
    s = scratch.feed_converter.Convert(request->more_feeds(i), &scratch.lines,
                                       &result);
    if (!s.ok()) {
      s = absl::Status(s.code(), absl::StrCat("more_feeds[", i, "]: ", s.message()));
    }
  }
  if (s.ok()) s = publisher_->Accept(scratch.lines, result.dropped);
  if (s.ok()) FillResponse(result, response);
  return ToGrpc(s);
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
