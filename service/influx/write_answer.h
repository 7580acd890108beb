// What InfluxDB's answer to a write means for the batch: the rules that
// decide between acknowledge, retry, split, create the database,
// dead-letter, wait for credentials (endpoint.h's WriteOutcome). Pure: the
// answer in, the outcome out.
#ifndef OCS_INFLUX_SERVICE_INFLUX_WRITE_ANSWER_H_
#define OCS_INFLUX_SERVICE_INFLUX_WRITE_ANSWER_H_

#include <string_view>
#include <vector>

#include "absl/time/time.h"
#include "service/influx/endpoint.h"
#include "service/influx/options.h"

namespace ocs_influx::influx {

struct HttpAnswer;  // http_transport.h

// Retry-After as RFC 9110 has it: delay-seconds, or an HTTP-date (then
// relative to `now`). Negative, unreadable or absent: zero. Capped at
// kMaxRetryAfter.
absl::Duration ParseRetryAfter(std::string_view value, absl::Time now);

// The rejected lines of an InfluxDB 3 partial-write answer:
// {"error": "...", "data": [{"error_message", "line_number", ...}, ...]}.
// Empty when the answer has no such list (a "data" object or null).
std::vector<WriteResult::RejectedLine> ParsePartialWrite(std::string_view json);

// Fills result's outcome, http_status, error (not yet scrubbed of secrets),
// timed_out, retry_after and rejected from `answer` to a write of `lines`.
// `proven` (v3: an earlier /ping proved InfluxDB at this URL, whose write
// answers lack the version header) is cleared when the answer says the
// connection or the server changed.
void ClassifyWriteAnswer(const HttpAnswer& answer, std::string_view lines, InfluxApi api,
                         std::string_view base_url, bool* proven, WriteResult* result);

}  // namespace ocs_influx::influx

#endif  // OCS_INFLUX_SERVICE_INFLUX_WRITE_ANSWER_H_
