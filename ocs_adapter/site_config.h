// The OCS site config: which WAMP router, realm and address root an agent
// uses, and the agent instance's own arguments, read from the site's YAML
// file as ocs/site_config.py reads it (yaml.safe_load semantics for the
// values that matter). Its input is hostile: the file is bounded in size
// and nesting, yaml-cpp's exceptions never leave this library, and every
// error names what is wrong (the file, the YAML line and column, the hosts
// or instance ids that are present).
//
// Resolution, as OCS does it:
//  - file: --site-file, else $OCS_CONFIG_DIR/<--site>.yaml;
//  - host: --site-host, else the machine's hostname; when that host has no
//    entry, the `localhost` entry is used (OCS tries [host, 'localhost']
//    in both cases);
//  - instance: the first entry of the host's `agent-instances` whose
//    `instance-id` is --instance-id (required, non-empty);
//  - wamp_server, wamp_http, wamp_realm: the hub section, then the host
//    entry's keys of the same names, then --site-hub, --site-http,
//    --site-realm; address_root: hub, then --address-root; log_dir: the
//    host's `log-dir`, then --log-dir. wamp_server, wamp_realm and
//    address_root must end up non-empty.
//  - arguments: each item of the instance's `arguments` list, nested lists
//    flattened in order, each value as Python's str() prints what
//    yaml.safe_load made of it, for what site files hold: words, decimal
//    numbers, booleans and nulls (8086 -> "8086", 1_000 -> "1000",
//    True/yes/on -> "True", 1.50 -> "1.5", 1e3 -> "1e3" (a string to YAML
//    1.1), .inf -> "inf", ~ -> "None"); quoted and block scalars and !!str
//    stay text; dates stay as written. Refused with an error naming the
//    scalar: YAML 1.1 numbers in base 2, 8, 16 or 60 (0b101, 017, 0x1F,
//    1:30, 1:30.5), floats beyond a double, any other tag, a dict. The
//    hub and host settings and the instance ids are read by the same rules.
//
// Bounds: at most kMaxSiteFileBytes; at most kMaxSiteFileNesting unclosed
// '[' or '{' (counted before parsing, quotes not excepted); block nesting
// is bounded by yaml-cpp's own guard (2000 levels, an error); argument
// lists nest at most kMaxSiteFileNesting deep (so a self-referencing
// alias is an error) and give at most kMaxArgumentWords words (so aliases
// cannot multiply them without bound).
#ifndef OCS_INFLUX_OCS_ADAPTER_SITE_CONFIG_H_
#define OCS_INFLUX_OCS_ADAPTER_SITE_CONFIG_H_

#include <cstddef>
#include <cstdlib>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/flags/flags.h"

namespace ocs_influx::ocs_adapter {

// Bounds on hostile files.
inline constexpr size_t kMaxSiteFileBytes = 1 << 20;
inline constexpr int kMaxSiteFileNesting = 64;   // brackets/braces, and our walk
inline constexpr size_t kMaxArgumentWords = 4096;

struct SiteArgs {
  std::string site_file;
  std::string site = "default";
  std::string site_host;
  std::string instance_id;
  std::string site_hub;
  std::string site_http;
  std::string site_realm;
  std::string address_root;
  // Seconds. Set directly, or from --crossbar-timeout (which fills
  // crossbar_timeout_text, read by ParseSiteConfig: the FlagSet has no
  // optional-number flag).
  std::optional<double> crossbar_timeout;
  std::string crossbar_timeout_text;
  std::string log_dir;
};

// --site, --site-file, --site-host, --instance-id, --site-hub, --site-http,
// --site-realm, --address-root, --crossbar-timeout, --log-dir.
void RegisterSiteFlags(flags::FlagSet* flag_set, SiteArgs* args);

struct SiteConfig {
  std::string wamp_server, wamp_http, wamp_realm, address_root;
  // The hub's access_policy: the default of --access-policy ("" if none).
  std::string access_policy;
  std::string host_name;     // the host entry used
  std::string agent_class;   // of the instance ("" if the entry has none)
  std::string instance_id;
  std::vector<std::string> arguments;  // flattened to words
  std::string log_dir;                 // --log-dir, else the host's log-dir
  std::optional<double> crossbar_timeout;  // seconds, from the command line

  std::string agent_address() const { return address_root + "." + instance_id; }
};

std::string MachineHostname();  // gethostname(), "" on failure

// Reads the site file (see above) and parses it. `getenv_fn` and
// `hostname_fn` stand in for the process's environment and hostname.
absl::StatusOr<SiteConfig> LoadSiteConfig(
    const SiteArgs& args,
    std::function<const char*(const char*)> getenv_fn = ::getenv,
    std::function<std::string()> hostname_fn = MachineHostname);

// Pure: `yaml_text` is the file's content, `hostname` the machine's name
// (used when args.site_host is empty). Never throws.
absl::StatusOr<SiteConfig> ParseSiteConfig(absl::string_view yaml_text,
                                           const SiteArgs& args,
                                           std::string hostname);

}  // namespace ocs_influx::ocs_adapter

#endif  // OCS_INFLUX_OCS_ADAPTER_SITE_CONFIG_H_
