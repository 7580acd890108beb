#include "ocs_adapter/site_config.h"

#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstring>
#include <fstream>
#include <limits>
#include <sstream>
#include <system_error>

#include <yaml-cpp/yaml.h>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
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

// ---- Scalars as yaml.safe_load (YAML 1.1) resolves them, printed as
// Python's str() prints the result.

struct PyScalar {
  enum class Kind { kNull, kBool, kInt, kFloat, kStr } kind = Kind::kStr;
  std::string text;  // str(value); "" for null
};

bool IsBool(absl::string_view s, bool* value) {
  static constexpr const char* kTrue[] = {"yes", "Yes", "YES", "true", "True",
                                          "TRUE", "on", "On", "ON"};
  static constexpr const char* kFalse[] = {"no", "No", "NO", "false", "False",
                                           "FALSE", "off", "Off", "OFF"};
  for (const char* t : kTrue) {
    if (s == t) return *value = true, true;
  }
  for (const char* f : kFalse) {
    if (s == f) return *value = false, true;
  }
  return false;
}

bool AllOf(absl::string_view s, const char* allowed) {
  for (char c : s) {
    if (std::strchr(allowed, c) == nullptr || c == '\0') return false;
  }
  return true;
}

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// `:[0-5]?[0-9]` groups after the first, as in the YAML 1.1 resolver.
bool SexagesimalTail(absl::string_view s) {
  if (s.empty()) return false;
  while (!s.empty()) {
    if (s[0] != ':') return false;
    s.remove_prefix(1);
    size_t n = 0;
    while (n < s.size() && n < 2 && IsDigit(s[n])) ++n;
    if (n == 0) return false;
    if (n == 2 && s[0] > '5') return false;
    s.remove_prefix(n);
  }
  return true;
}

std::string Uint128Text(unsigned __int128 v) {
  if (v == 0) return "0";
  std::string digits;
  while (v != 0) {
    digits.push_back(static_cast<char>('0' + static_cast<int>(v % 10)));
    v /= 10;
  }
  return std::string(digits.rbegin(), digits.rend());
}

// Digits (underscores removed) in `base`; false beyond 2^127.
bool Accumulate(absl::string_view digits, int base, unsigned __int128* value) {
  const unsigned __int128 limit = static_cast<unsigned __int128>(1) << 127;
  for (char c : digits) {
    if (c == '_') continue;
    int d = IsDigit(c) ? c - '0' : (absl::ascii_tolower(c) - 'a' + 10);
    if (*value > (limit - d) / base) return false;
    *value = *value * base + d;
  }
  return true;
}

std::string Without(absl::string_view s, char drop) {
  std::string out;
  for (char c : s) {
    if (c != drop) out.push_back(c);
  }
  return out;
}

std::string PythonFloat(double v) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v < 0 ? "-inf" : "inf";
  std::string out;
  core::AppendDouble(v, &out);
  return out;
}

// Implicit resolution of a plain scalar: bool, float, int, null (in the
// resolver's order), else a string.
absl::StatusOr<PyScalar> ResolvePlain(const std::string& s) {
  using Kind = PyScalar::Kind;
  if (s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL") {
    return PyScalar{Kind::kNull, ""};
  }
  if (bool b; IsBool(s, &b)) return PyScalar{Kind::kBool, b ? "True" : "False"};
  absl::string_view body(s);
  bool negative = false;
  if (!body.empty() && (body[0] == '-' || body[0] == '+')) {
    negative = body[0] == '-';
    body.remove_prefix(1);
  }
  const bool signed_text = body.size() != s.size();
  // Floats.
  if (body == ".inf" || body == ".Inf" || body == ".INF") {
    return PyScalar{Kind::kFloat, negative ? "-inf" : "inf"};
  }
  if (!signed_text && (body == ".nan" || body == ".NaN" || body == ".NAN")) {
    return PyScalar{Kind::kFloat, "nan"};
  }
  bool is_float = false;
  {
    // [0-9][0-9_]*\.[0-9_]*([eE][-+][0-9]+)?  |  \.[0-9_]+([eE][-+][0-9]+)?
    // (the second without a sign)
    size_t i = 0;
    size_t int_digits = 0;
    if (i < body.size() && IsDigit(body[i])) {
      ++i;
      ++int_digits;
      while (i < body.size() && (IsDigit(body[i]) || body[i] == '_')) ++i;
    }
    if (i < body.size() && body[i] == '.' && (int_digits > 0 || !signed_text)) {
      ++i;
      size_t frac = i;
      while (i < body.size() && (IsDigit(body[i]) || body[i] == '_')) ++i;
      bool ok = int_digits > 0 || i > frac;
      if (ok && i < body.size() && (body[i] == 'e' || body[i] == 'E')) {
        ++i;
        if (i < body.size() && (body[i] == '-' || body[i] == '+')) {
          ++i;
          size_t exp = i;
          while (i < body.size() && IsDigit(body[i])) ++i;
          if (i == exp) ok = false;
        } else {
          ok = false;
        }
      }
      is_float = ok && i == body.size();
    }
  }
  if (is_float) {
    std::string text = Without(body, '_');
    if (text == "." ) {
      return absl::InvalidArgumentError(absl::StrCat(Quote(s), " is not a number"));
    }
    double v = 0;
    auto r = std::from_chars(text.data(), text.data() + text.size(), v);
    if (r.ec == std::errc::result_out_of_range) {
      // Python: float('1e999') is inf, float('1e-999') is 0.0.
      size_t e = text.find_first_of("eE");
      v = (e != std::string::npos && text[e + 1] == '-')
              ? 0.0
              : std::numeric_limits<double>::infinity();
    } else if (r.ec != std::errc() || r.ptr != text.data() + text.size()) {
      return absl::InvalidArgumentError(absl::StrCat(Quote(s), " is not a number"));
    }
    return PyScalar{Kind::kFloat, PythonFloat(negative ? -v : v)};
  }
  // Sexagesimal floats: [0-9][0-9_]*(:[0-5]?[0-9])+\.[0-9_]*
  if (!body.empty() && IsDigit(body[0])) {
    size_t colon = body.find(':');
    size_t dot = body.find('.');
    if (colon != absl::string_view::npos && dot != absl::string_view::npos &&
        dot > colon && AllOf(body.substr(0, colon), "0123456789_") &&
        SexagesimalTail(body.substr(colon, dot - colon)) &&
        AllOf(body.substr(dot + 1), "0123456789_")) {
      double v = 0;
      unsigned __int128 head = 0;
      if (!Accumulate(body.substr(0, colon), 10, &head)) head = 0;
      v = static_cast<double>(head);
      absl::string_view rest = body.substr(colon, dot - colon);
      while (!rest.empty()) {
        rest.remove_prefix(1);
        size_t n = rest.find(':');
        if (n == absl::string_view::npos) n = rest.size();
        int part = 0;
        (void)absl::SimpleAtoi(rest.substr(0, n), &part);
        v = v * 60 + part;
        rest.remove_prefix(n);
      }
      std::string frac = Without(body.substr(dot + 1), '_');
      if (!frac.empty()) {
        double f = 0;
        std::string text = "0." + frac;
        std::from_chars(text.data(), text.data() + text.size(), f);
        v += f;
      }
      return PyScalar{Kind::kFloat, PythonFloat(negative ? -v : v)};
    }
  }
  // Integers.
  auto integer = [&](unsigned __int128 value) {
    std::string text = Uint128Text(value);
    if (negative && value != 0) text.insert(0, "-");
    return PyScalar{Kind::kInt, text};
  };
  auto too_big = [&]() {
    return absl::InvalidArgumentError(
        absl::StrCat(Quote(s), " is an integer too large to read"));
  };
  if (body.size() > 2 && body.substr(0, 2) == "0b" &&
      AllOf(body.substr(2), "01_")) {
    unsigned __int128 v = 0;
    if (Without(body.substr(2), '_').empty()) {
      return absl::InvalidArgumentError(absl::StrCat(Quote(s), " is not a number"));
    }
    if (!Accumulate(body.substr(2), 2, &v)) return too_big();
    return integer(v);
  }
  if (body.size() > 2 && body.substr(0, 2) == "0x" &&
      AllOf(body.substr(2), "0123456789abcdefABCDEF_")) {
    unsigned __int128 v = 0;
    if (Without(body.substr(2), '_').empty()) {
      return absl::InvalidArgumentError(absl::StrCat(Quote(s), " is not a number"));
    }
    if (!Accumulate(body.substr(2), 16, &v)) return too_big();
    return integer(v);
  }
  if (body.size() > 1 && body[0] == '0' && AllOf(body.substr(1), "01234567_")) {
    unsigned __int128 v = 0;
    if (!Accumulate(body.substr(1), 8, &v)) return too_big();
    return integer(v);
  }
  if (body == "0") return integer(0);
  if (!body.empty() && body[0] >= '1' && body[0] <= '9') {
    size_t colon = body.find(':');
    absl::string_view head = body.substr(0, colon);
    if (AllOf(head, "0123456789_")) {
      if (colon == absl::string_view::npos) {
        // Any length: Python ints have no bound.
        std::string digits = Without(head, '_');
        return PyScalar{Kind::kInt, negative ? "-" + digits : digits};
      }
      if (SexagesimalTail(body.substr(colon))) {
        unsigned __int128 v = 0;
        if (!Accumulate(head, 10, &v)) return too_big();
        absl::string_view rest = body.substr(colon);
        while (!rest.empty()) {
          rest.remove_prefix(1);
          size_t n = rest.find(':');
          if (n == absl::string_view::npos) n = rest.size();
          int part = 0;
          (void)absl::SimpleAtoi(rest.substr(0, n), &part);
          if (v > ((static_cast<unsigned __int128>(1) << 120) / 60)) return too_big();
          v = v * 60 + part;
          rest.remove_prefix(n);
        }
        return integer(v);
      }
    }
  }
  return PyScalar{Kind::kStr, s};
}

absl::StatusOr<PyScalar> Resolve(const YAML::Node& node) {
  const std::string& tag = node.Tag();
  const std::string& text = node.Scalar();
  // "!" marks a quoted (or block) scalar: always a string.
  if (tag == "!" || tag == "tag:yaml.org,2002:str") {
    return PyScalar{PyScalar::Kind::kStr, text};
  }
  if (tag == "?" || tag.empty() || absl::StartsWith(tag, "tag:yaml.org,2002:")) {
    absl::StatusOr<PyScalar> v = ResolvePlain(text);
    if (!v.ok()) return ErrorAt(node, v.status().message());
    return v;
  }
  return ErrorAt(node, absl::StrCat("unsupported tag ", Quote(tag)));
}

// A hub or host setting: absent and null give nothing.
absl::Status Setting(const YAML::Node& map, absl::string_view key,
                     absl::string_view section, std::string* out) {
  YAML::Node v = Get(map, key);
  if (!v.IsDefined() || v.IsNull()) return absl::OkStatus();
  if (!v.IsScalar()) {
    return ErrorAt(v, absl::StrCat(section, " ", key, " is not a single value"));
  }
  absl::StatusOr<PyScalar> s = Resolve(v);
  if (!s.ok()) return s.status();
  if (s->kind != PyScalar::Kind::kNull) *out = s->text;
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
      if (node.IsNull()) {
        words->push_back("None");
        return absl::OkStatus();
      }
      absl::StatusOr<PyScalar> s = Resolve(node);
      if (!s.ok()) return s.status();
      words->push_back(s->kind == PyScalar::Kind::kNull ? "None" : s->text);
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
    absl::StatusOr<PyScalar> id_text = Resolve(id);
    if (!id_text.ok()) return id_text.status();
    if (id_text->text == args.instance_id) {
      instance_entry.emplace(entry);
      break;
    }
    ids.push_back(id_text->text);
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
  std::ifstream file(path, std::ios::binary);
  if (!file) {
    return absl::NotFoundError(absl::StrCat("cannot open site file ", path, ": ",
                                            std::strerror(errno)));
  }
  std::string text;
  text.resize(kMaxSiteFileBytes + 1);
  file.read(text.data(), static_cast<std::streamsize>(text.size()));
  if (file.bad()) {
    return absl::NotFoundError(absl::StrCat("cannot read site file ", path, ": ",
                                            std::strerror(errno)));
  }
  text.resize(static_cast<size_t>(file.gcount()));
  if (text.size() > kMaxSiteFileBytes) {
    return absl::InvalidArgumentError(absl::StrCat(
        "site file ", path, " is larger than ", kMaxSiteFileBytes, " bytes"));
  }
  absl::StatusOr<SiteConfig> config =
      ParseSiteConfig(text, args, args.site_host.empty() ? hostname_fn() : "");
  if (!config.ok()) {
    return absl::Status(config.status().code(),
                        absl::StrCat("site file ", path, ": ",
                                     config.status().message()));
  }
  return config;
}

}  // namespace ocs_influx::ocs_adapter
