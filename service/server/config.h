// The service's command line: the OCS InfluxDBAgent's flags with their
// spellings and defaults, plus the publisher's own. Shared by the service's
// main and the OCS adapter's embedded mode, so both read flags alike.
#ifndef OCS_INFLUX_SERVICE_SERVER_CONFIG_H_
#define OCS_INFLUX_SERVICE_SERVER_CONFIG_H_

#include <cstdint>
#include <functional>
#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "common/flags/flags.h"
#include "service/server/publisher.h"
#include "service/server/server.h"

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
// as OCS does, the token file, and checks every value; errors name the flag.
absl::Status BuildOptions(const ServiceConfig& config,
                          PublisherOptions* publisher, ServerOptions* server,
                          std::function<const char*(const char*)> getenv_fn = ::getenv);

}  // namespace ocs_influx::server

#endif  // OCS_INFLUX_SERVICE_SERVER_CONFIG_H_
