// OCS feed publications to line protocol, point for point as the Python
// InfluxDB Publisher Agent writes them (ocs/common/influxdb_drivers.py):
//   measurement = agent_address, one tag feed=<feed_name>,
//   one point per block per timestamp, fields in column order,
//   time = trunc(t * 1e9) in double arithmetic,
//   ints "1i", bools True/False, strings quoted, floats as Python's repr.
// Unlike the Python agent it escapes every name and string, drops (and
// counts) NaN/Inf fields, nulls, out-of-range integers and times, and fields
// named time/_field/_measurement, rather than corrupting or losing a batch.
#ifndef OCS_INFLUX_SERVICE_CORE_FEED_CONVERT_H_
#define OCS_INFLUX_SERVICE_CORE_FEED_CONVERT_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "proto/publisher.pb.h"
#include "service/core/line_chunks.h"
#include "service/core/point_encoder.h"

namespace ocs_influx::core {

// Keeps scratch buffers between calls so that steady-state conversion
// allocates nothing. Not thread-safe: one per thread.
class FeedConverter {
 public:
  // Appends the feed's points to `out`. A feed with `record` false or
  // `agg_params.exclude_influx` true appends nothing and is OK. On error
  // (a column whose length differs from its block's timestamps, a name that
  // cannot be written, lines that would take `out` past
  // kMaxRequestLineBytes: checked before any is written) `out` is left as
  // it was and the message names the block and column, or the sizes.
  absl::Status Convert(const ocs::influx::v1::OcsFeed& feed, std::string* out,
                       EncodeResult* result);
  // The same into bounded chunks, within `out->limit()`.
  absl::Status Convert(const ocs::influx::v1::OcsFeed& feed, LineChunks* out,
                       EncodeResult* result);

  // At least the bytes Convert appends for `feed` (an upper bound, close:
  // only floats count at their longest), or the error Convert would give
  // for its names and columns. Linear in the feed; writes nothing. For a
  // client that splits publications to keep requests within
  // kMaxRequestLineBytes.
  absl::StatusOr<uint64_t> EncodedSizeBound(const ocs::influx::v1::OcsFeed& feed);

 private:
  absl::Status Prepare(const ocs::influx::v1::OcsFeed& feed);
  absl::Status Bound(const ocs::influx::v1::OcsFeed& feed, bool exact,
                     uint64_t* bound);
  template <typename Sink>
  absl::Status ConvertTo(const ocs::influx::v1::OcsFeed& feed, uint64_t used,
                         uint64_t limit, Sink* sink, EncodeResult* result);

  std::string prefix_;                    // "measurement,feed=name "
  std::string key_scratch_;
  std::vector<std::string> field_keys_;   // "key=" per column, escaped
  std::vector<bool> column_usable_;
};

}  // namespace ocs_influx::core

#endif  // OCS_INFLUX_SERVICE_CORE_FEED_CONVERT_H_
