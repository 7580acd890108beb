#include "ocs_adapter/site_config.h"

#include <unistd.h>

#include <charconv>
#include <cmath>
#include <cstring>
#include <optional>
#include <system_error>

#include <yaml-cpp/yaml.h>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "common/files/files.h"
#include "service/core/float_format.h"

namespace ocs_influx::ocs_adapter {
namespace {

// Text from the file in a message: quoted, cut, control bytes escaped.
std::string Quote(absl::string_view s) {
  std::string out = "\"";
  size_t n = 0;
  for (char c : s) {
    if (++n > 80) {
      out += "...";
      break;
    }
    unsigned char u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f || c == '"' || c == '\\') {
      absl::StrAppend(&out, "\\x", absl::Hex(u, absl::kZeroPad2));
    } else {
      out.push_back(c);
    }
  }
  out += "\"";
  return out;
}

std::string QuoteList(const std::vector<std::string>& items) {
  if (items.empty()) return "none";
  std::vector<std::string> quoted;
  for (size_t i = 0; i < items.size() && i < 20; ++i) quoted.push_back(Quote(items[i]));
  if (items.size() > 20) quoted.push_back(absl::StrCat("... (", items.size(), " in all)"));
  return absl::StrJoin(quoted, ", ");
}

std::string At(const YAML::Node& node) {
  const YAML::Mark mark = node.Mark();
  if (mark.is_null()) return "";
  return absl::StrCat("line ", mark.line + 1, ", column ", mark.column + 1, ": ");
}

absl::Status ErrorAt(const YAML::Node& node, absl::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat(At(node), why));
}

// The value of `key` in the map `node` (the last one, as in a Python dict
// built from YAML with a repeated key), or an undefined node.
YAML::Node Get(const YAML::Node& node, absl::string_view key) {
  std::optional<YAML::Node> found;
  if (!node.IsMap()) return YAML::Node(YAML::NodeType::Undefined);
  for (auto it = node.begin(); it != node.end(); ++it) {
    if (it->first.IsScalar() && it->first.Scalar() == key) {
      found.emplace(static_cast<const YAML::Node&>(it->second));
    }
  }
  return found.has_value() ? *found : YAML::Node(YAML::NodeType::Undefined);
}

// ---- Scalars. OCS hands each argument to argparse as str() of what
// yaml.safe_load (PyYAML, YAML 1.1) made of it. Site files hold words,
// decimal numbers and booleans; those are printed as Python prints them.
// Plain scalars PyYAML reads as numbers in another base (0x1F, 017, 0b101,
// sexagesimal 1:30) are refused, not converted: no site file needs them,
// and their text would be a different number to our flags (017 is 15 to
// Python, 17 to SimpleAtoi).

constexpr absl::string_view kDigits = "0123456789";
constexpr absl::string_view kDigitsOrUnderscore = "0123456789_";

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// Non-empty and made of `allowed` only.
bool Only(absl::string_view s, absl::string_view allowed) {
  return !s.empty() && s.find_first_not_of(allowed) == absl::string_view::npos;
}

std::optional<bool> Yaml11Bool(absl::string_view s) {
  for (absl::string_view t : {"yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON"}) {
    if (s == t) return true;
  }
  for (absl::string_view f : {"no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF"}) {
    if (s == f) return false;
  }
  return std::nullopt;
}

// PyYAML's decimal float, after the sign: [0-9][0-9_]*\.[0-9_]*([eE][-+][0-9]+)?,
// or, unsigned only, \.[0-9][0-9_]*([eE][-+][0-9]+)?  (so 1e3 is a string).
bool DecimalFloat(absl::string_view body, bool has_sign) {
  const size_t dot = body.find('.');
  if (dot == absl::string_view::npos) return false;
  const absl::string_view whole = body.substr(0, dot);
  absl::string_view frac = body.substr(dot + 1);
  if (size_t e = frac.find_first_of("eE"); e != absl::string_view::npos) {
    absl::string_view exponent = frac.substr(e + 1);
    if (!absl::ConsumePrefix(&exponent, "-") && !absl::ConsumePrefix(&exponent, "+")) {
      return false;
    }
    if (!Only(exponent, kDigits)) return false;
    frac = frac.substr(0, e);
  }
  if (!frac.empty() && !Only(frac, kDigitsOrUnderscore)) return false;
  if (whole.empty()) return !has_sign && !frac.empty() && IsDigit(frac[0]);
  return IsDigit(whole[0]) && Only(whole, kDigitsOrUnderscore);
}

// PyYAML's other numbers, after the sign: 0b[01_]+, 0x[0-9a-fA-F_]+,
// 0[0-7_]+ (octal), [1-9][0-9_]*(:[0-5]?[0-9])+ and
// [0-9][0-9_]*(:[0-5]?[0-9])+\.[0-9_]* (base 60).
bool OtherBaseNumber(absl::string_view body) {
  if (absl::ConsumePrefix(&body, "0b")) return Only(body, "01_");
  if (absl::ConsumePrefix(&body, "0x")) return Only(body, "0123456789abcdefABCDEF_");
  if (body.size() > 1 && body[0] == '0' && Only(body.substr(1), "01234567_")) return true;
  const size_t dot = body.find('.');
  const absl::string_view head = body.substr(0, dot);
  const size_t colon = head.find(':');
  if (colon == absl::string_view::npos || !IsDigit(head[0]) ||
      !Only(head.substr(0, colon), kDigitsOrUnderscore)) {
    return false;
  }
  for (absl::string_view group : absl::StrSplit(head.substr(colon + 1), ':')) {
    if (!Only(group, kDigits) || group.size() > 2 || (group.size() == 2 && group[0] > '5')) {
      return false;
    }
  }
  if (dot == absl::string_view::npos) return head[0] != '0';
  const absl::string_view frac = body.substr(dot + 1);
  return frac.empty() || Only(frac, kDigitsOrUnderscore);
}

// str() of what yaml.safe_load makes of the plain (unquoted, untagged,
// non-null) scalar `s`.
absl::StatusOr<std::string> PlainWord(absl::string_view s) {
  if (std::optional<bool> b = Yaml11Bool(s)) return std::string(*b ? "True" : "False");
  const bool has_sign = absl::StartsWith(s, "-") || absl::StartsWith(s, "+");
  const bool negative = absl::StartsWith(s, "-");
  const absl::string_view body = s.substr(has_sign ? 1 : 0);
  if (body == ".inf" || body == ".Inf" || body == ".INF") {
    return std::string(negative ? "-inf" : "inf");
  }
  if (!has_sign && (body == ".nan" || body == ".NaN" || body == ".NAN")) {
    return std::string("nan");
  }
  // Decimal integers: any length, as Python's.
  if (body == "0" || (!body.empty() && body[0] != '0' && IsDigit(body[0]) &&
                       Only(body, kDigitsOrUnderscore))) {
    std::string digits = absl::StrReplaceAll(body, {{"_", ""}});
    return negative && body != "0" ? "-" + digits : digits;
  }
  if (DecimalFloat(body, has_sign)) {
    const std::string text = absl::StrReplaceAll(body, {{"_", ""}});
    double v = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec != std::errc() || end != text.data() + text.size()) {
      return absl::InvalidArgumentError(
          absl::StrCat(Quote(s), " is beyond the range of a double"));
    }
    std::string word;
    core::AppendDouble(negative ? -v : v, &word);
    return word;
  }
  if (OtherBaseNumber(body)) {
    return absl::InvalidArgumentError(absl::StrCat(
        Quote(s), " is a YAML 1.1 number in base 2, 8, 16 or 60, which is not converted: "
        "write it in decimal, or quote it to pass the text"));
  }
  return std::string(s);
}

// The argument word of a scalar (or null) node.
absl::StatusOr<std::string> Word(const YAML::Node& node) {
  if (node.IsNull()) return std::string("None");
  const std::string& tag = node.Tag();
  // "!" marks a quoted or block scalar: text, as !!str.
  if (tag == "!" || tag == "tag:yaml.org,2002:str") return node.Scalar();
  if (tag != "?" && !tag.empty()) {
    return ErrorAt(node, absl::StrCat("unsupported tag ", Quote(tag),
                                      " (only !!str is read)"));
  }
  absl::StatusOr<std::string> word = PlainWord(node.Scalar());
  if (!word.ok()) return ErrorAt(node, word.status().message());
  return word;
}

// A hub or host setting: absent and null give nothing.
absl::Status Setting(const YAML::Node& map, absl::string_view key,
                     absl::string_view section, std::string* out) {
  YAML::Node v = Get(map, key);
  if (!v.IsDefined() || v.IsNull()) return absl::OkStatus();
  if (!v.IsScalar()) {
    return ErrorAt(v, absl::StrCat(section, " ", key, " is not a single value"));
  }
  absl::StatusOr<std::string> word = Word(v);
  if (!word.ok()) return word.status();
  *out = *std::move(word);
  return absl::OkStatus();
}

struct Flattener {
  std::vector<std::string>* words;
  absl::Status Add(const YAML::Node& node, int depth) {
    if (node.IsScalar() || node.IsNull()) {
      if (words->size() >= kMaxArgumentWords) {
        return ErrorAt(node, absl::StrCat("more than ", kMaxArgumentWords,
                                          " argument words"));
      }
      absl::StatusOr<std::string> word = Word(node);
      if (!word.ok()) return word.status();
      words->push_back(*std::move(word));
      return absl::OkStatus();
    }
    if (node.IsSequence()) {
      if (depth >= kMaxSiteFileNesting) {
        return ErrorAt(node, "arguments are nested too deeply");
      }
      for (const auto& item : node) {
        if (absl::Status s = Add(item, depth + 1); !s.ok()) return s;
      }
      return absl::OkStatus();
    }
    if (node.IsMap()) {
      return ErrorAt(node,
                     "an argument is a dict; arguments are strings, numbers, "
                     "booleans or lists of them");
    }
    return ErrorAt(node, "an argument has no value");
  }
};

absl::Status CheckNesting(absl::string_view text) {
  int depth = 0;
  for (char c : text) {
    if (c == '[' || c == '{') {
      if (++depth > kMaxSiteFileNesting) {
        return absl::InvalidArgumentError(absl::StrCat(
            "site file nests more than ", kMaxSiteFileNesting,
            " levels of [ or {"));
      }
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<SiteConfig> Parse(absl::string_view yaml_text,
                                 const SiteArgs& args,
                                 const std::string& hostname) {
  SiteConfig config;
  if (args.instance_id.empty()) {
    return absl::InvalidArgumentError(
        "no instance id: give --instance-id (an instance-id of this host's "
        "agent-instances in the site file)");
  }
  config.crossbar_timeout = args.crossbar_timeout;
  if (!args.crossbar_timeout_text.empty()) {
    double seconds;
    if (!absl::SimpleAtod(args.crossbar_timeout_text, &seconds) ||
        !std::isfinite(seconds) || seconds < 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("flag --crossbar-timeout: ", Quote(args.crossbar_timeout_text),
                       " is not a number of seconds"));
    }
    config.crossbar_timeout = seconds;
  }
  if (yaml_text.size() > kMaxSiteFileBytes) {
    return absl::InvalidArgumentError(absl::StrCat(
        "site file is ", yaml_text.size(), " bytes; at most ", kMaxSiteFileBytes,
        " are read"));
  }
  if (absl::Status s = CheckNesting(yaml_text); !s.ok()) return s;

  YAML::Node root = YAML::Load(std::string(yaml_text));
  if (!root.IsMap()) {
    return ErrorAt(root, "the site file is not a YAML mapping with 'hub' and 'hosts'");
  }
  YAML::Node hub = Get(root, "hub");
  if (!hub.IsDefined() || !hub.IsMap()) {
    return ErrorAt(hub.IsDefined() ? hub : root,
                   "no 'hub' section (a mapping with wamp_server, wamp_realm, "
                   "address_root) in the site file");
  }
  for (auto [key, field] :
       {std::pair{"wamp_server", &config.wamp_server},
        std::pair{"wamp_http", &config.wamp_http},
        std::pair{"wamp_realm", &config.wamp_realm},
        std::pair{"address_root", &config.address_root},
        std::pair{"access_policy", &config.access_policy}}) {
    if (absl::Status s = Setting(hub, key, "hub", field); !s.ok()) return s;
  }

  // The host entry.
  YAML::Node hosts = Get(root, "hosts");
  if (hosts.IsDefined() && !hosts.IsNull() && !hosts.IsMap()) {
    return ErrorAt(hosts, "'hosts' is not a mapping of host names to entries");
  }
  std::vector<std::string> host_names;
  if (hosts.IsMap()) {
    for (auto it = hosts.begin(); it != hosts.end(); ++it) {
      host_names.push_back(it->first.IsScalar() ? it->first.Scalar() : "?");
    }
  }
  const std::string wanted = args.site_host.empty() ? hostname : args.site_host;
  std::optional<YAML::Node> host_entry;
  for (const std::string& name : {wanted, std::string("localhost")}) {
    if (name.empty()) continue;
    YAML::Node h = Get(hosts, name);
    if (h.IsDefined()) {
      host_entry.emplace(h);
      config.host_name = name;
      break;
    }
  }
  if (!host_entry.has_value()) {
    return absl::NotFoundError(absl::StrCat(
        "the site file has no entry in 'hosts' for ", Quote(wanted),
        args.site_host.empty() ? " (this machine's hostname)" : " (--site-host)",
        " nor for \"localhost\"; hosts present: ", QuoteList(host_names)));
  }
  const YAML::Node& host = *host_entry;
  const std::string host_label = absl::StrCat("host ", Quote(config.host_name));
  if (!host.IsMap()) {
    return ErrorAt(host, absl::StrCat(host_label, ": the entry is not a mapping "
                                                  "with 'agent-instances'"));
  }
  for (auto [key, field] :
       {std::pair{"wamp_server", &config.wamp_server},
        std::pair{"wamp_http", &config.wamp_http},
        std::pair{"wamp_realm", &config.wamp_realm},
        std::pair{"log-dir", &config.log_dir}}) {
    if (absl::Status s = Setting(host, key, host_label, field); !s.ok()) return s;
  }

  // The instance.
  YAML::Node instances = Get(host, "agent-instances");
  if (!instances.IsDefined() || !instances.IsSequence()) {
    return ErrorAt(instances.IsDefined() ? instances : host,
                   absl::StrCat(host_label, ": no 'agent-instances' list"));
  }
  std::vector<std::string> ids;
  std::optional<YAML::Node> instance_entry;
  size_t index = 0;
  for (const auto& entry : instances) {
    const std::string label =
        absl::StrCat(host_label, ": agent-instances[", index++, "]");
    if (!entry.IsMap()) return ErrorAt(entry, absl::StrCat(label, " is not a mapping"));
    YAML::Node id = Get(entry, "instance-id");
    if (!id.IsDefined() || !id.IsScalar()) {
      return ErrorAt(entry, absl::StrCat(label, " has no 'instance-id'"));
    }
    absl::StatusOr<std::string> id_text = Word(id);
    if (!id_text.ok()) return id_text.status();
    if (*id_text == args.instance_id) {
      instance_entry.emplace(entry);
      break;
    }
    ids.push_back(*std::move(id_text));
  }
  if (!instance_entry.has_value()) {
    return absl::NotFoundError(absl::StrCat(
        host_label, " has no agent instance ", Quote(args.instance_id),
        "; instance ids present: ", QuoteList(ids)));
  }
  const YAML::Node& instance = *instance_entry;
  config.instance_id = args.instance_id;
  const std::string instance_label =
      absl::StrCat(host_label, ": instance ", Quote(args.instance_id));
  if (absl::Status s = Setting(instance, "agent-class", instance_label,
                               &config.agent_class);
      !s.ok()) {
    return s;
  }
  YAML::Node arguments = Get(instance, "arguments");
  if (arguments.IsDefined() && !arguments.IsNull()) {
    if (!arguments.IsSequence()) {
      return ErrorAt(arguments, absl::StrCat(instance_label,
                                             ": 'arguments' is not a list"));
    }
    Flattener flattener{&config.arguments};
    if (absl::Status s = flattener.Add(arguments, 0); !s.ok()) {
      return absl::Status(s.code(), absl::StrCat(s.message(), " (", instance_label,
                                                 ")"));
    }
  }

  // The command line wins.
  if (!args.site_hub.empty()) config.wamp_server = args.site_hub;
  if (!args.site_http.empty()) config.wamp_http = args.site_http;
  if (!args.site_realm.empty()) config.wamp_realm = args.site_realm;
  if (!args.address_root.empty()) config.address_root = args.address_root;
  if (!args.log_dir.empty()) config.log_dir = args.log_dir;
  for (auto [value, what] :
       {std::pair{&config.wamp_server, "hub wamp_server (or --site-hub)"},
        std::pair{&config.wamp_realm, "hub wamp_realm (or --site-realm)"},
        std::pair{&config.address_root, "hub address_root (or --address-root)"}}) {
    if (value->empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("the site file gives no ", what));
    }
  }
  return config;
}

}  // namespace

void RegisterSiteFlags(flags::FlagSet* flag_set, SiteArgs* args) {
  flag_set->AddString("site", &args->site,
                      "OCS site: the site file is $OCS_CONFIG_DIR/<site>.yaml "
                      "unless --site-file is given");
  flag_set->AddString("site-file", &args->site_file,
                      "OCS site config file (YAML); overrides --site");
  flag_set->AddString("site-host", &args->site_host,
                      "host entry of the site file to use (default: this "
                      "machine's hostname; then 'localhost')");
  flag_set->AddString("instance-id", &args->instance_id,
                      "this agent's instance-id in the host's agent-instances "
                      "(the agent's address is <address_root>.<instance-id>)");
  flag_set->AddString("site-hub", &args->site_hub,
                      "WAMP router URL, overriding the site file's wamp_server");
  flag_set->AddString("site-http", &args->site_http,
                      "WAMP HTTP bridge URL, overriding the site file's wamp_http");
  flag_set->AddString("site-realm", &args->site_realm,
                      "WAMP realm, overriding the site file's wamp_realm");
  flag_set->AddString("address-root", &args->address_root,
                      "OCS address root, overriding the site file's address_root");
  flag_set->AddString("crossbar-timeout", &args->crossbar_timeout_text,
                      "seconds to keep trying to reach the WAMP router");
  flag_set->AddString("log-dir", &args->log_dir,
                      "log directory, overriding the host's log-dir");
}

std::string MachineHostname() {
  char name[256];
  if (gethostname(name, sizeof(name)) != 0) return "";
  name[sizeof(name) - 1] = '\0';
  return name;
}

absl::StatusOr<SiteConfig> ParseSiteConfig(absl::string_view yaml_text,
                                           const SiteArgs& args,
                                           std::string hostname) {
  // yaml-cpp reports with exceptions; none leaves this function.
  try {
    return Parse(yaml_text, args, hostname);
  } catch (const YAML::Exception& e) {
    std::string where;
    if (!e.mark.is_null()) {
      where = absl::StrCat("line ", e.mark.line + 1, ", column ", e.mark.column + 1, ": ");
    }
    return absl::InvalidArgumentError(
        absl::StrCat("site file is not valid YAML: ", where, e.msg));
  } catch (const std::exception& e) {
    return absl::InvalidArgumentError(
        absl::StrCat("site file could not be read: ", e.what()));
  }
}

absl::StatusOr<SiteConfig> LoadSiteConfig(
    const SiteArgs& args, std::function<const char*(const char*)> getenv_fn,
    std::function<std::string()> hostname_fn) {
  std::string path = args.site_file;
  if (path.empty()) {
    const char* dir = getenv_fn("OCS_CONFIG_DIR");
    if (dir == nullptr || *dir == '\0') {
      return absl::FailedPreconditionError(
          "no site file: give --site-file, or set OCS_CONFIG_DIR (then "
          "$OCS_CONFIG_DIR/<--site>.yaml is read)");
    }
    const std::string site = args.site.empty() ? "default" : args.site;
    path = absl::StrCat(dir, "/", site, ".yaml");
  }
  absl::StatusOr<std::string> text =
      files::ReadWholeFile(path, "site file", kMaxSiteFileBytes);
  if (!text.ok()) return text.status();
  absl::StatusOr<SiteConfig> config =
      ParseSiteConfig(*text, args, args.site_host.empty() ? hostname_fn() : "");
  if (!config.ok()) {
    return absl::Status(config.status().code(),
                        absl::StrCat("site file ", path, ": ",
                                     config.status().message()));
  }
  return config;
}

}  // namespace ocs_influx::ocs_adapter
