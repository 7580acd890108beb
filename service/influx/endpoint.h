// What the writer needs of an InfluxDB: ping it, prepare the database (a
// bucket on InfluxDB 2), create it after a "not found", and write batches
// whose answers come back classified into a WriteOutcome. InfluxClient is
// the real one (client.h); unit tests of the writer script the answers with
// a fake (tests/server/scripted_endpoint.h).
#ifndef OCS_INFLUX_SERVICE_INFLUX_ENDPOINT_H_
#define OCS_INFLUX_SERVICE_INFLUX_ENDPOINT_H_

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"

namespace ocs_influx::influx {

// Longest wait a Retry-After is believed for: a server (or a proxy) asking
// for an hour is asking for a retry later, not for an hour of silence.
inline constexpr absl::Duration kMaxRetryAfter = absl::Minutes(5);

// Only InfluxDB can say a batch is stored: its 204 with its version header.
// Anything else keeps the batch.
enum class WriteOutcome {
  kOk,                // 204 from InfluxDB: stored
  kRetryable,         // transport error, timeout, 5xx, 408, 429 or another
                      // InfluxDB answer that is not about the data: try again
  kTooLarge,          // 413: split the batch
  kDatabaseNotFound,  // InfluxDB's own "database not found"
  kRejected,          // other 4xx from InfluxDB: bad data (parse error, type
                      // conflict, partial write, ...)
  kUnauthorized,      // 401, 403: the credentials or token; keep the points
  kPartial,           // v3 400/422 naming rejected lines: those lines are
                      // refused (WriteResult::rejected), the rest is stored
  kNotInfluxDB,       // an answer without InfluxDB's X-Influxdb-Version header
                      // (a wrong port, a proxy's error or maintenance page),
                      // or a 2xx other than 204: nothing is known stored;
                      // try again later
};

std::string_view WriteOutcomeName(WriteOutcome outcome);

struct WriteResult {
  WriteOutcome outcome = WriteOutcome::kRetryable;
  long http_status = 0;  // 0 if no HTTP answer
  // InfluxDB's "error" text or the transport error, one line, truncated.
  std::string error;
  // No answer within the request timeout: with a 5xx, a sign that this
  // batch (not the server) may be what fails.
  bool timed_out = false;
  // 429 or 503 with Retry-After: how long the server asked us to wait
  // (at most kMaxRetryAfter); zero when it did not say.
  absl::Duration retry_after;
  // kPartial: the refused lines, 1-based line numbers of the body sent, in
  // the server's order, each with its error.
  struct RejectedLine {
    size_t line_number = 0;
    std::string error;
  };
  std::vector<RejectedLine> rejected;
  uint64_t bytes_raw = 0;   // line protocol bytes
  uint64_t bytes_sent = 0;  // body bytes on the wire (after gzip)
  absl::Duration latency;
};

class InfluxEndpoint {
 public:
  virtual ~InfluxEndpoint() = default;

  // Where it is, for log lines: never credentials.
  virtual std::string BaseUrl() const = 0;
  // A request in flight ends (as a retryable failure) within about a
  // second once `should_abort` returns true; it is called from the thread
  // that uses the endpoint. For a shutdown that cannot wait for
  // --influx-timeout.
  virtual void SetAbortCheck(std::function<bool()> should_abort) = 0;
  // OK when InfluxDB answers. UNAUTHENTICATED / PERMISSION_DENIED when the
  // token is refused.
  virtual absl::Status Ping() = 0;
  // What a start needs before writing (the database or bucket made).
  virtual absl::Status PrepareTarget() = 0;
  // Creates the database after a kDatabaseNotFound.
  virtual absl::Status CreateDatabase() = 0;
  // Never fails as a call: InfluxDB's answer, classified.
  virtual WriteResult Write(std::string_view lines) = 0;
};

}  // namespace ocs_influx::influx

#endif  // OCS_INFLUX_SERVICE_INFLUX_ENDPOINT_H_
