#include "client/paths.h"

#include <cstdlib>

namespace ocs_influx::client {

std::string ResolveUserPath(const std::string& path) {
  if (path.empty() || path[0] == '/' || path == "-") return path;
  const char* dir = std::getenv("BUILD_WORKING_DIRECTORY");
  if (dir == nullptr || *dir == '\0') return path;
  return std::string(dir) + "/" + path;
}

}  // namespace ocs_influx::client
