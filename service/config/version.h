#ifndef OCS_INFLUX_SERVICE_CONFIG_VERSION_H_
#define OCS_INFLUX_SERVICE_CONFIG_VERSION_H_

namespace ocs_influx::server {

inline constexpr char kVersion[] = "0.1.0";

}  // namespace ocs_influx::server

#endif  // OCS_INFLUX_SERVICE_CONFIG_VERSION_H_
