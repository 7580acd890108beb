// Which OCS agent the adapter is, from the site config instance's
// 'agent-class': InfluxDBAgent (InfluxDB 1.x; the default, and what an
// instance without a class gets) or InfluxDBAgentv2 (InfluxDB 2). Both
// answer the same ops, feeds and session data; they differ in their
// arguments and in where the InfluxDB settings come from.
//
// InfluxDBAgentv2, as OCS's agent: its site arguments are --initial-state,
// --protocol and --gzip; the server, org, bucket and token come from
// INFLUXDB_V2_URL/_ORG/_BUCKET/_TOKEN (read by the publisher's config,
// service/config/config.h), and the embedded publisher writes through the
// v2 API unless --influxdb-api says otherwise. OCS's first v2 agent took
// --database (the bucket) and --org: both still work. --host and --port
// are the v1 agent's and are refused, since the v2 agent would refuse them
// too and silently ignoring them would write somewhere else than meant.
#ifndef OCS_INFLUX_OCS_ADAPTER_AGENT_CLASS_H_
#define OCS_INFLUX_OCS_ADAPTER_AGENT_CLASS_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace ocs_influx::ocs_adapter {

inline constexpr char kInfluxDBAgent[] = "InfluxDBAgent";
inline constexpr char kInfluxDBAgentv2[] = "InfluxDBAgentv2";

bool IsInfluxDBAgentv2(absl::string_view agent_class);

// The --influxdb-api the class implies (before flags): "v2" or "v1".
std::string DefaultInfluxdbApi(absl::string_view agent_class);

// The instance's site arguments as this binary's flags for `agent_class`
// (see above); an error names the argument and what to use instead.
absl::StatusOr<std::vector<std::string>> SiteArgumentsForClass(
    absl::string_view agent_class, const std::vector<std::string>& site_arguments);

}  // namespace ocs_influx::ocs_adapter

#endif  // OCS_INFLUX_OCS_ADAPTER_AGENT_CLASS_H_
