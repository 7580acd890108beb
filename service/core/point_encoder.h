// Typed points (the API's Point) to line protocol, validating every rule
// InfluxDB 1.x would apply so that a bad point fails its own request instead
// of a whole batch later.
#ifndef OCS_INFLUX_SERVICE_CORE_POINT_ENCODER_H_
#define OCS_INFLUX_SERVICE_CORE_POINT_ENCODER_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "proto/publisher.pb.h"
#include "service/core/drop_counts.h"
#include "service/core/line_chunks.h"

namespace ocs_influx::core {

struct EncodeResult {
  uint32_t points = 0;  // lines appended
  DropCounts dropped;
};

// Appends one line per point of `request` to `out`. A point without a
// timestamp gets `now_ns`. On error `out` is left as it was and the message
// names the point, the field and the reason; nothing of the request counts.
// NaN/Inf and valueless fields are dropped and counted, as are empty tag
// values, and a point left without fields.
absl::Status EncodeWriteRequest(const ocs::influx::v1::WriteRequest& request,
                                int64_t now_ns, std::string* out,
                                EncodeResult* result);

// The same into bounded chunks; INVALID_ARGUMENT (and nothing kept) once
// the request's lines pass `out->limit()`.
absl::Status EncodeWriteRequest(const ocs::influx::v1::WriteRequest& request,
                                int64_t now_ns, LineChunks* out,
                                EncodeResult* result);

// One point; `index` only names it in errors.
absl::Status EncodePoint(const ocs::influx::v1::Point& point, int64_t now_ns,
                         size_t index, std::string* out, EncodeResult* result);

}  // namespace ocs_influx::core

#endif  // OCS_INFLUX_SERVICE_CORE_POINT_ENCODER_H_
