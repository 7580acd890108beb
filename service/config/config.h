// The service's command line: the OCS InfluxDBAgent's flags with their
// spellings and defaults, plus the publisher's own. Shared by the service's
// main and the OCS adapter's embedded mode, so both read flags alike.
#ifndef OCS_INFLUX_SERVICE_CONFIG_CONFIG_H_
#define OCS_INFLUX_SERVICE_CONFIG_CONFIG_H_

#include <cstdint>
#include <functional>
#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "common/flags/flags.h"
#include "service/engine/publisher.h"
#include "service/grpc/server.h"

namespace ocs_influx::server {

struct ServiceConfig {
  // As OCS: --host --port --database --protocol --gzip --ssl --verify-ssl
  // --initial-state. The host defaults to this machine, which works on one
  // machine; the OCS adapter sets OCS's own default ("influxdb") instead.
  std::string host = "localhost";
  int64_t port = 8086;
  std::string database = "ocs_feeds";
  std::string protocol = "line";
  bool gzip = false;
  bool ssl = false;
  bool verify_ssl = false;
  std::string initial_state = "record";
  // Which InfluxDB API: v1 (InfluxDB 1.x, --host/--port/--database, user
  // and password), v2 (InfluxDB 2 and Cloud: --url --org --bucket, a
  // token; the OCS InfluxDBAgentv2's environment), v3 (InfluxDB 3 Core and
  // Enterprise: --url --database, a token). Empty strings: from the
  // environment (see BuildOptions).
  std::string influxdb_api = "v1";
  std::string url;
  std::string org;
  std::string bucket;
  std::string influx_token_file;
  // Ours.
  std::string listen = "127.0.0.1:50051";
  std::string retention_policy;
  std::string spool_dir;  // default: see DefaultSpoolDir()
  uint64_t spool_max_bytes = 1ull << 30;
  bool spool_fsync = true;
  int64_t batch_size = 5000;
  absl::Duration flush_interval = absl::Seconds(1);
  std::string dead_letter_file;
  std::string auth_token_file;
  std::string tls_cert;
  std::string tls_key;
  std::string ssl_ca_file;
  absl::Duration stats_interval = absl::Seconds(10);
  absl::Duration stale_after = absl::Seconds(60);
  absl::Duration shutdown_timeout = absl::Seconds(10);
  absl::Duration influx_timeout = absl::Seconds(30);
  std::string log_level = "info";
};

// $XDG_STATE_HOME/ocs-influx-publisher/spool, else
// $HOME/.local/state/ocs-influx-publisher/spool, else "" (an error asking for
// --spool-dir; never a shared place like /tmp).
std::string DefaultSpoolDir();

void RegisterServiceFlags(flags::FlagSet* flag_set, ServiceConfig* config);

// Turns flags into options: reads InfluxDB credentials from the environment
// as OCS does, the token file, and checks every value; errors name the flag
// or the variable, never a secret.
//
// v1: INFLUXDB_USERNAME / INFLUXDB_PASSWORD (each also as <NAME>_FILE).
// v2, as influxdb-client-python's from_env_properties and the OCS
// InfluxDBAgentv2 read them (each also as <NAME>_FILE, for Docker secrets):
// --url else INFLUXDB_V2_URL, --org else INFLUXDB_V2_ORG, --bucket else
// INFLUXDB_V2_BUCKET, --influx-token-file else INFLUXDB_V2_TOKEN; all
// required. INFLUXDB_V2_TIMEOUT (ms) unless --influx-timeout is changed from
// its default; INFLUXDB_V2_VERIFY_SSL (true/yes/false/no; default true, as
// the Python client); INFLUXDB_V2_SSL_CA_CERT unless --ssl-ca-file.
// v3: --url else INFLUXDB3_HOST_URL, --database, --influx-token-file else
// INFLUXDB3_AUTH_TOKEN (the influxdb3 CLI's variables); TLS and timeout as v2.
absl::Status BuildOptions(const ServiceConfig& config,
                          PublisherOptions* publisher, ServerOptions* server,
                          std::function<const char*(const char*)> getenv_fn = ::getenv);

}  // namespace ocs_influx::server

#endif  // OCS_INFLUX_SERVICE_CONFIG_CONFIG_H_
