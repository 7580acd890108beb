#ifndef OCS_INFLUX_CLIENT_PATHS_H_
#define OCS_INFLUX_CLIENT_PATHS_H_

#include <string>

namespace ocs_influx::client {

// `bazel run` starts programs in their runfiles tree; a relative path the
// user typed means their own working directory.
std::string ResolveUserPath(const std::string& path);

}  // namespace ocs_influx::client

#endif  // OCS_INFLUX_CLIENT_PATHS_H_
