#include "service/api/write_handlers.h"

#include <algorithm>
#include <cstdint>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "service/core/feed_convert.h"
#include "service/core/line_parser.h"
#include "service/core/point_encoder.h"
#include "service/api/status_proto.h"

namespace ocs_influx::server {
namespace {

namespace v1 = ocs::influx::v1;

// A request's lines are bounded chunks (at most kMaxRequestLineBytes in
// all), never one giant string; Clear lets go of what a one-off large
// request grew beyond a few chunks.
struct ThreadScratch {
  core::LineChunks lines;
  core::LinesConverter lines_converter;
  core::FeedConverter feed_converter;
};

ThreadScratch& Scratch(const Publisher& publisher) {
  thread_local ThreadScratch scratch;
  scratch.lines.Clear();
  // Chunks that are one spool record each: the publisher neither scans
  // them to cut them nor loses their series runs.
  scratch.lines.set_max_chunk_points(
      static_cast<uint32_t>(std::min<size_t>(publisher.max_record_points(), UINT32_MAX)));
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

// The tail every write shares: durable whole or not at all, then counted.
absl::Status AcceptAndFill(Publisher* publisher, const ThreadScratch& scratch,
                           const core::EncodeResult& result, v1::WriteResponse* response) {
  absl::Status s = publisher->Accept(scratch.lines, result.dropped);
  if (s.ok()) FillResponse(result, response);
  return s;
}

}  // namespace

absl::Status HandleWrite(Publisher* publisher, const v1::WriteRequest& request,
                         v1::WriteResponse* response) {
  ThreadScratch& scratch = Scratch(*publisher);
  core::EncodeResult result;
  absl::Status s = core::EncodeWriteRequest(request, NowNs(), &scratch.lines, &result);
  if (!s.ok()) return s;
  return AcceptAndFill(publisher, scratch, result, response);
}

absl::Status HandleWriteLines(Publisher* publisher, const v1::WriteLinesRequest& request,
                              v1::WriteResponse* response) {
  if (absl::Status s = CheckPrecision(request.precision()); !s.ok()) return s;
  ThreadScratch& scratch = Scratch(*publisher);
  core::EncodeResult result;
  absl::Status s = scratch.lines_converter.Convert(
      request.lines(), ToPrecision(request.precision()), NowNs(), &scratch.lines, &result);
  if (!s.ok()) return s;
  return AcceptAndFill(publisher, scratch, result, response);
}

absl::Status HandleWriteStreamMessage(Publisher* publisher,
                                      const v1::WriteStreamRequest& message,
                                      v1::WriteResponse* response) {
  ThreadScratch& scratch = Scratch(*publisher);
  core::EncodeResult result;
  absl::Status s;
  switch (message.payload_case()) {
    case v1::WriteStreamRequest::kPoints:
      s = core::EncodeWriteRequest(message.points(), NowNs(), &scratch.lines, &result);
      break;
    case v1::WriteStreamRequest::kLines:
      s = CheckPrecision(message.lines().precision());
      if (s.ok()) {
        s = scratch.lines_converter.Convert(message.lines().lines(),
                                            ToPrecision(message.lines().precision()),
                                            NowNs(), &scratch.lines, &result);
      }
      break;
    case v1::WriteStreamRequest::PAYLOAD_NOT_SET:
      s = absl::InvalidArgumentError("empty message: set points or lines");
      break;
  }
  if (!s.ok()) return s;
  return AcceptAndFill(publisher, scratch, result, response);
}

absl::Status HandleIngestFeed(Publisher* publisher, const v1::IngestFeedRequest& request,
                              v1::WriteResponse* response) {
  if (request.feeds().empty()) {
    return absl::InvalidArgumentError("feeds: none given (the request's feeds are empty)");
  }
  ThreadScratch& scratch = Scratch(*publisher);
  core::EncodeResult result;
  for (int i = 0; i < request.feeds_size(); ++i) {
    absl::Status s =
        scratch.feed_converter.Convert(request.feeds(i), &scratch.lines, &result);
    if (!s.ok()) return absl::Status(s.code(), absl::StrCat("feeds[", i, "]: ", s.message()));
  }
  return AcceptAndFill(publisher, scratch, result, response);
}

absl::Status HandleStartRecording(Publisher* publisher,
                                  const v1::StartRecordingRequest& request,
                                  v1::RecordingStatus* response) {
  absl::Status s = publisher->StartRecording(request.test_mode());
  ToProto(publisher->RecordingStatus(), response);
  return s;
}

absl::Status HandleStopRecording(Publisher* publisher, v1::RecordingStatus* response) {
  absl::Status s = publisher->StopRecording();
  ToProto(publisher->RecordingStatus(), response);
  return s;
}

void HandleGetStatus(Publisher* publisher, v1::Status* response) {
  ToProto(publisher->Status(), response);
}

}  // namespace ocs_influx::server
