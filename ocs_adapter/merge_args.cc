#include "ocs_adapter/merge_args.h"

namespace ocs_influx::ocs_adapter {

std::vector<std::string> MergeArguments(
    const std::vector<std::string>& from_site_config,
    const std::vector<std::string>& from_command_line) {
  std::vector<std::string> merged;
  merged.reserve(from_site_config.size() + from_command_line.size());
  merged.insert(merged.end(), from_site_config.begin(), from_site_config.end());
  merged.insert(merged.end(), from_command_line.begin(), from_command_line.end());
  return merged;
}

}  // namespace ocs_influx::ocs_adapter
