// libFuzzer target: an OCS site config file of any bytes. ParseSiteConfig
// must never throw (yaml-cpp's exceptions stay inside it), never crash or
// overflow the stack, and whatever it accepts must be a usable config:
// the instance asked for, a non-empty server, realm and address root, and
// at most kMaxArgumentWords argument words.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "ocs_adapter/site_config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ocs_influx::ocs_adapter::SiteArgs args;
  args.instance_id = "influxagent";
  absl::string_view text(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<ocs_influx::ocs_adapter::SiteConfig> config =
      ocs_influx::ocs_adapter::ParseSiteConfig(text, args, "fuzzhost");
  if (!config.ok()) {
    if (config.status().message().empty()) abort();
    return 0;
  }
  if (config->instance_id != "influxagent" || config->wamp_server.empty() ||
      config->wamp_realm.empty() || config->address_root.empty() ||
      (config->host_name != "fuzzhost" && config->host_name != "localhost") ||
      config->arguments.size() > ocs_influx::ocs_adapter::kMaxArgumentWords) {
    abort();
  }
  return 0;
}
