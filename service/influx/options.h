// How to reach an InfluxDB: which of the three APIs, where, as whom, and how
// the bodies go (gzip, timeouts, TLS).
#ifndef OCS_INFLUX_SERVICE_INFLUX_OPTIONS_H_
#define OCS_INFLUX_SERVICE_INFLUX_OPTIONS_H_

#include <string>
#include <string_view>

#include "absl/time/time.h"

namespace ocs_influx::influx {

enum class InfluxApi { kV1, kV2, kV3 };

std::string_view InfluxApiName(InfluxApi api);  // "v1", "v2", "v3"

struct InfluxOptions {
  InfluxApi api = InfluxApi::kV1;
  // v2 and v3: the base URL ("https://eu-central-1-1.aws.cloud2.influxdata.com",
  // "http://influxdb:8181", with a path prefix behind a proxy); host, port
  // and ssl are then unused. v1 builds it from host, port and ssl.
  std::string url;
  std::string org;    // v2: organization name or 16-hex ID
  std::string token;  // v2 and v3; never logged
  // Same meaning as the OCS InfluxDBAgent flags --host, --port, --ssl,
  // --verify-ssl, --gzip, --database.
  std::string host = "influxdb";
  int port = 8086;
  bool ssl = false;
  bool verify_ssl = false;  // ssl without verify_ssl: no verification (as OCS)
  bool gzip = false;        // Content-Encoding: gzip on /write bodies
  int gzip_level = 1;       // 1 (fastest) .. 9, as zlib's levels
  // v1 and v3: the database; v2: the bucket.
  std::string database = "ocs_feeds";
  std::string retention_policy;  // v1 only  // empty = the database's default
  // HTTP basic auth; InfluxDB ignores it when its auth is off. Empty
  // username = send no credentials.
  std::string username = "root";
  std::string password = "root";
  absl::Duration connect_timeout = absl::Seconds(5);
  absl::Duration request_timeout = absl::Seconds(30);
  std::string ca_file;  // optional CA bundle for ssl
};

}  // namespace ocs_influx::influx

#endif  // OCS_INFLUX_SERVICE_INFLUX_OPTIONS_H_
