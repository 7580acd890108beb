// The agent class of the site-config instance decides which OCS agent the
// adapter is: InfluxDBAgent (v1 arguments) or InfluxDBAgentv2 (the v2
// agent's arguments, everything else from INFLUXDB_V2_*), and through
// BuildOptions the embedded publisher's InfluxDB API.
#include "ocs_adapter/agent_class.h"

#include <cstdlib>
#include <map>
#include <string>
#include <vector>

#include "common/flags/flags.h"
#include "gtest/gtest.h"
#include "ocs_adapter/merge_args.h"
#include "service/config/config.h"

namespace ocs_influx::ocs_adapter {
namespace {

using Words = std::vector<std::string>;

TEST(AgentClassTest, Known) {
  EXPECT_TRUE(IsInfluxDBAgentv2("InfluxDBAgentv2"));
  EXPECT_FALSE(IsInfluxDBAgentv2("InfluxDBAgent"));
  EXPECT_FALSE(IsInfluxDBAgentv2(""));
}

TEST(AgentClassTest, V1ArgumentsPassUnchanged) {
  const Words site = {"--initial-state", "record", "--host", "influxdb", "--port", "8086",
                      "--database", "ocs_feeds", "--gzip", "True"};
  auto words = SiteArgumentsForClass("InfluxDBAgent", site);
  ASSERT_TRUE(words.ok()) << words.status();
  EXPECT_EQ(*words, site);
  // An instance without a class is served as the v1 agent, as before.
  words = SiteArgumentsForClass("", site);
  ASSERT_TRUE(words.ok());
  EXPECT_EQ(*words, site);
}

TEST(AgentClassTest, V2TakesItsOwnArguments) {
  const Words site = {"--initial-state", "idle", "--protocol", "line", "--gzip", "True"};
  auto words = SiteArgumentsForClass("InfluxDBAgentv2", site);
  ASSERT_TRUE(words.ok()) << words.status();
  EXPECT_EQ(*words, site);
}

TEST(AgentClassTest, V2OlderGenerationDatabaseIsTheBucket) {
  // OCS's first InfluxDBAgentv2 took --database (the bucket) and --org.
  auto words = SiteArgumentsForClass("InfluxDBAgentv2",
                                     {"--database", "feeds2", "--org", "ocs", "--database=x"});
  ASSERT_TRUE(words.ok()) << words.status();
  EXPECT_EQ(*words, (Words{"--bucket", "feeds2", "--org", "ocs", "--bucket=x"}));
}

TEST(AgentClassTest, V2RefusesTheV1ServerArguments) {
  for (const Words& site : {Words{"--host", "influxdb"}, Words{"--port=8086"},
                            Words{"--initial-state", "record", "--port", "8086"}}) {
    auto words = SiteArgumentsForClass("InfluxDBAgentv2", site);
    ASSERT_FALSE(words.ok()) << site[0];
    EXPECT_NE(words.status().message().find("InfluxDBAgentv2"), std::string::npos);
    EXPECT_NE(words.status().message().find("INFLUXDB_V2_URL"), std::string::npos)
        << words.status();
  }
}

// The embedded publisher's options as main.cc builds them: class defaults,
// the flags, then BuildOptions with the environment.
absl::Status Build(const std::string& agent_class, const Words& site, const Words& command_line,
                   const std::map<std::string, std::string>& env,
                   server::PublisherOptions* publisher) {
  server::ServiceConfig service;
  flags::FlagSet set("test", "");
  server::RegisterServiceFlags(&set, &service);
  service.influxdb_api = DefaultInfluxdbApi(agent_class);
  auto words = SiteArgumentsForClass(agent_class, site);
  if (!words.ok()) return words.status();
  std::vector<std::string> positional;
  Words flags = command_line;
  const char* tmp = std::getenv("TEST_TMPDIR");
  flags.insert(flags.end(), {"--spool-dir", std::string(tmp != nullptr ? tmp : "/tmp") + "/spool"});
  if (absl::Status s = set.Parse(MergeArguments(*words, flags), &positional); !s.ok()) {
    return s;
  }
  server::ServerOptions server_options;
  return server::BuildOptions(service, publisher, &server_options,
                              [&env](const char* name) -> const char* {
                                auto it = env.find(name);
                                return it == env.end() ? nullptr : it->second.c_str();
                              });
}

TEST(AgentClassTest, V2WritesThroughTheV2ApiFromTheOcsEnvironment) {
  server::PublisherOptions p;
  absl::Status s = Build("InfluxDBAgentv2", {"--initial-state", "record", "--gzip", "True"}, {},
                         {{"INFLUXDB_V2_URL", "http://127.0.0.1:8086"},
                          {"INFLUXDB_V2_ORG", "ocs"},
                          {"INFLUXDB_V2_BUCKET", "ocs_feeds"},
                          {"INFLUXDB_V2_TOKEN", "s3cret-token"},
                          {"INFLUXDB_V2_TIMEOUT", "2500"}},
                         &p);
  ASSERT_TRUE(s.ok()) << s;
  EXPECT_EQ(p.influx.api, influx::InfluxApi::kV2);
  EXPECT_EQ(p.influx.url, "http://127.0.0.1:8086");
  EXPECT_EQ(p.influx.org, "ocs");
  EXPECT_EQ(p.influx.database, "ocs_feeds");
  EXPECT_EQ(p.influx.token, "s3cret-token");
  EXPECT_EQ(p.influx.request_timeout, absl::Milliseconds(2500));
  EXPECT_TRUE(p.influx.gzip);
}

TEST(AgentClassTest, V2WithoutTheEnvironmentNamesWhatIsMissing) {
  server::PublisherOptions p;
  absl::Status s = Build("InfluxDBAgentv2", {"--initial-state", "record"}, {},
                         {{"INFLUXDB_V2_ORG", "ocs"}, {"INFLUXDB_V2_TOKEN", "s3cret-token"}}, &p);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("INFLUXDB_V2_URL"), std::string::npos) << s;
  EXPECT_EQ(s.message().find("s3cret-token"), std::string::npos) << s;
}

TEST(AgentClassTest, V2ApiCanStillBeChosenOnTheCommandLine) {
  server::PublisherOptions p;
  absl::Status s = Build("InfluxDBAgentv2", {}, {"--influxdb-api", "v1", "--host", "127.0.0.1"},
                         {}, &p);
  ASSERT_TRUE(s.ok()) << s;
  EXPECT_EQ(p.influx.api, influx::InfluxApi::kV1);
}

TEST(AgentClassTest, V1StaysV1) {
  server::PublisherOptions p;
  absl::Status s = Build("InfluxDBAgent", {"--host", "127.0.0.1", "--database", "ocs_feeds"}, {},
                         {{"INFLUXDB_V2_URL", "http://127.0.0.1:8086"}}, &p);
  ASSERT_TRUE(s.ok()) << s;
  EXPECT_EQ(p.influx.api, influx::InfluxApi::kV1);
  EXPECT_EQ(p.influx.database, "ocs_feeds");
}

}  // namespace
}  // namespace ocs_influx::ocs_adapter
