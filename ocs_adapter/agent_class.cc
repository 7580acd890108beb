#include "ocs_adapter/agent_class.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace ocs_influx::ocs_adapter {
namespace {

// `word` is --name or --name=VALUE.
bool IsFlag(absl::string_view word, absl::string_view name) {
  if (!absl::StartsWith(word, "--")) return false;
  word.remove_prefix(2);
  return word == name || (absl::StartsWith(word, name) && word.size() > name.size() &&
                          word[name.size()] == '=');
}

}  // namespace

bool IsInfluxDBAgentv2(absl::string_view agent_class) { return agent_class == kInfluxDBAgentv2; }

std::string DefaultInfluxdbApi(absl::string_view agent_class) {
  return IsInfluxDBAgentv2(agent_class) ? "v2" : "v1";
}

absl::StatusOr<std::vector<std::string>> SiteArgumentsForClass(
    absl::string_view agent_class, const std::vector<std::string>& site_arguments) {
  if (!IsInfluxDBAgentv2(agent_class)) return site_arguments;
  std::vector<std::string> words;
  words.reserve(site_arguments.size());
  for (const std::string& word : site_arguments) {
    for (const char* v1_only : {"host", "port"}) {
      if (IsFlag(word, v1_only)) {
        return absl::InvalidArgumentError(absl::StrCat(
            "--", v1_only, " is an InfluxDBAgent (InfluxDB 1.x) argument; InfluxDBAgentv2 "
            "takes the server from INFLUXDB_V2_URL (or --url)"));
      }
    }
    if (IsFlag(word, "database")) {
      words.push_back(absl::StrCat("--bucket", word.substr(sizeof("--database") - 1)));
    } else {
      words.push_back(word);
    }
  }
  return words;
}

}  // namespace ocs_influx::ocs_adapter
