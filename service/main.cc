// The OCS InfluxDB publisher service: records OCS feeds and any service's
// points into InfluxDB without losing one. See --help.
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "common/flags/flags.h"
#include "common/log/log.h"
#include "common/runtime/tuning.h"
#include "common/signals/stop_signals.h"
#include "service/config/config.h"
#include "service/engine/publisher.h"
#include "service/grpc/server.h"
#include "service/config/version.h"

namespace {

constexpr char kDescription[] =
    "Records telemetry into InfluxDB, as the OCS InfluxDB Publisher Agent's\n"
    "record process does, and takes points from any service over gRPC\n"
    "(package ocs.influx.v1, service Publisher; reflection and health are on,\n"
    "so `grpcurl -plaintext 127.0.0.1:50051 list` works). Every accepted point\n"
    "is made durable in the spool before OK, then written to InfluxDB in order;\n"
    "points InfluxDB refuses go to the dead-letter file.\n"
    "\n"
    "InfluxDB credentials come from the environment, as in OCS:\n"
    "INFLUXDB_USERNAME / INFLUXDB_PASSWORD, else the files named by\n"
    "INFLUXDB_USERNAME_FILE / INFLUXDB_PASSWORD_FILE, else root / root.\n"
    "InfluxDB 2 and Cloud (--influxdb-api v2), as the OCS InfluxDBAgentv2:\n"
    "INFLUXDB_V2_URL, INFLUXDB_V2_ORG, INFLUXDB_V2_BUCKET, INFLUXDB_V2_TOKEN,\n"
    "optional INFLUXDB_V2_TIMEOUT (ms), INFLUXDB_V2_VERIFY_SSL,\n"
    "INFLUXDB_V2_SSL_CA_CERT; InfluxDB 3 (--influxdb-api v3): INFLUXDB3_HOST_URL,\n"
    "INFLUXDB3_AUTH_TOKEN. Each variable also as <NAME>_FILE; flags win.\n"
    "SIGINT or SIGTERM: stop accepting, deliver for --shutdown-timeout, exit 0.";

}  // namespace

int main(int argc, char** argv) {
  const ocs_influx::runtime::AllocatorTuning tuning = ocs_influx::runtime::TuneProcess(argv);
  using namespace ocs_influx;
  server::ServiceConfig config;
  flags::FlagSet flag_set("publisher [FLAGS]", kDescription);
  server::RegisterServiceFlags(&flag_set, &config);
  std::vector<std::string> positional;
  if (std::optional<int> exit = flags::ParseCommandLine(
          flag_set, std::vector<std::string>(argv + 1, argv + argc), "publisher",
          flags::Arguments(), &positional, std::cout, std::cerr)) {
    return *exit;
  }
  log::Level level;
  log::ParseLevel(config.log_level, &level);
  log::SetMinLevel(level);

  server::PublisherOptions publisher_options;
  server::ServerOptions server_options;
  if (absl::Status s = server::BuildOptions(config, &publisher_options,
                                            &server_options);
      !s.ok()) {
    std::cerr << "publisher: " << s.message() << "\n";
    return 2;
  }
  if (config.protocol == "json") {
    LOG_INFO("publisher: --protocol json: points are written as line protocol, "
             "the same points the JSON API would store");
  }
  // Before any thread starts, so that only WaitForStopSignal below
  // receives them.
  signals::BlockStopSignals();

  LOG_INFO("publisher %s starting; spool %s", server::kVersion,
           publisher_options.spool.dir);
  LOG_INFO("publisher: %s", runtime::Describe(tuning));
  auto publisher = server::Publisher::Create(std::move(publisher_options));
  if (!publisher.ok()) {
    LOG_ERROR("publisher: %s", std::string(publisher.status().message()));
    return 1;
  }
  auto grpc_server =
      server::PublisherServer::Start(server_options, std::move(*publisher));
  if (!grpc_server.ok()) {
    LOG_ERROR("publisher: %s", std::string(grpc_server.status().message()));
    return 1;
  }
  LOG_INFO("publisher: %s received", signals::SignalName(signals::WaitForStopSignal()));
  (*grpc_server)->Shutdown(config.shutdown_timeout);
  LOG_INFO("publisher: stopped");
  return 0;
}
