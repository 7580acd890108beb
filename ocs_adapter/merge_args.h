// The agent's final command line: the site config instance's arguments,
// then the words given on the command line. Our FlagSet keeps the last
// value of a repeated flag, so the command line wins, as OCS's
// site_config.parse_args makes it win.
//
// One caveat: a site argument list that ends in a flag which needs a value
// but has none (['--host']) would take the first command-line word as that
// value; such a file is malformed anyway, and FlagSet then reports the
// misread flag or value.
#ifndef OCS_INFLUX_OCS_ADAPTER_MERGE_ARGS_H_
#define OCS_INFLUX_OCS_ADAPTER_MERGE_ARGS_H_

#include <string>
#include <vector>

namespace ocs_influx::ocs_adapter {

std::vector<std::string> MergeArguments(
    const std::vector<std::string>& from_site_config,
    const std::vector<std::string>& from_command_line);

}  // namespace ocs_influx::ocs_adapter

#endif  // OCS_INFLUX_OCS_ADAPTER_MERGE_ARGS_H_
