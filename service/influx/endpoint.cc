#include "service/influx/endpoint.h"

namespace ocs_influx::influx {

std::string_view WriteOutcomeName(WriteOutcome outcome) {
  switch (outcome) {
    case WriteOutcome::kOk: return "ok";
    case WriteOutcome::kRetryable: return "retryable";
    case WriteOutcome::kTooLarge: return "too_large";
    case WriteOutcome::kDatabaseNotFound: return "database_not_found";
    case WriteOutcome::kRejected: return "rejected";
    case WriteOutcome::kUnauthorized: return "unauthorized";
    case WriteOutcome::kNotInfluxDB: return "not_influxdb";
    case WriteOutcome::kPartial: return "partial";
  }
  return "unknown";
}

}  // namespace ocs_influx::influx
