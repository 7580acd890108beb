// What differs between InfluxDB 1.x, 2 and 3 on the way out: which options
// each needs, its URLs, its Authorization header; and the texts that say
// why an answer does not count. Internal to the client.
#ifndef OCS_INFLUX_SERVICE_INFLUX_API_H_
#define OCS_INFLUX_SERVICE_INFLUX_API_H_

#include <functional>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "service/influx/options.h"

namespace ocs_influx::influx {

// Checks what `options.api` needs; returns the base URL: "http(s)://host:port"
// (v1), the configured URL without a trailing "/" (v2, v3). Never
// credentials.
absl::StatusOr<std::string> CheckOptions(const InfluxOptions& options);

struct ApiUrls {
  std::string base;   // from CheckOptions
  std::string ping;   // GET /ping
  std::string query;  // v1 /query, without parameters
  // v1 /write?db=&rp=&precision=ns; v2 /api/v2/write?org=&bucket=&precision=ns;
  // v3 /api/v3/write_lp?db=&precision=nanosecond&accept_partial=true.
  std::string write;
  // v2 "Authorization: Token ...", v3 "... Bearer ..."; empty for v1 (basic
  // auth). Holds the token: never logged.
  std::string auth_header;
};

// `escape` URL-encodes a query parameter.
ApiUrls BuildApiUrls(const InfluxOptions& options, std::string base_url,
                     const std::function<std::string(std::string_view)>& escape);

// A v2 org given as its 16-hex-digit ID rather than its name.
bool IsOrgId(std::string_view org);

// An HTTP answer that is not what a call wanted, as a status of the code's
// kind (401 UNAUTHENTICATED, 5xx UNAVAILABLE, other 4xx INVALID_ARGUMENT...).
absl::Status HttpError(long code, std::string_view what, std::string_view message);

// Why an answer does not count: the URL (never credentials) says where the
// stranger is.
std::string NotInfluxDBText(std::string_view base_url, long code);
// 401 / 403 to a token: never about the data.
std::string TokenRefusedText(std::string_view base_url, long code,
                             std::string_view answer_error);

}  // namespace ocs_influx::influx

#endif  // OCS_INFLUX_SERVICE_INFLUX_API_H_
