// BuildOptions for --influxdb-api v2 and v3: flags first, then the OCS
// InfluxDBAgentv2's environment (each variable also as <NAME>_FILE), with
// the errors naming the setting and never the token.
#include <fcntl.h>
#include <unistd.h>

#include <cstdlib>
#include <map>
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "service/config/config.h"

namespace ocs_influx::server {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

class Env {
 public:
  void Set(const std::string& k, const std::string& v) { vars_[k] = v; }
  void Unset(const std::string& k) { vars_.erase(k); }
  std::function<const char*(const char*)> Fn() {
    return [this](const char* name) -> const char* {
      auto it = vars_.find(name);
      return it == vars_.end() ? nullptr : it->second.c_str();
    };
  }

 private:
  std::map<std::string, std::string> vars_;
};

std::string TempFile(const std::string& name, const std::string& content) {
  const char* dir = std::getenv("TEST_TMPDIR");
  std::string path = absl::StrCat(dir != nullptr ? dir : "/tmp", "/", name);
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  EXPECT_GE(fd, 0);
  EXPECT_EQ(::write(fd, content.data(), content.size()), static_cast<ssize_t>(content.size()));
  ::close(fd);
  return path;
}

absl::Status Build(ServiceConfig c, Env& env, PublisherOptions* p) {
  c.spool_dir = "/nonexistent/spool";  // only checked for being set
  ServerOptions s;
  return BuildOptions(c, p, &s, env.Fn());
}

TEST(ConfigV2V3Test, TheOcsV2EnvironmentWithFiles) {
  Env env;
  env.Set("INFLUXDB_V2_URL_FILE", TempFile("url", "https://influx.example:8086/\n"));
  env.Set("INFLUXDB_V2_ORG", "ocs");
  env.Set("INFLUXDB_V2_BUCKET_FILE", TempFile("bucket", "ocs_feeds\r\n"));
  env.Set("INFLUXDB_V2_TOKEN_FILE", TempFile("token", "tok-abc\n"));
  env.Set("INFLUXDB_V2_TIMEOUT", "2500");
  env.Set("INFLUXDB_V2_SSL_CA_CERT", "/etc/ca.pem");
  ServiceConfig c;
  c.influxdb_api = "v2";
  PublisherOptions p;
  ASSERT_TRUE(Build(c, env, &p).ok());
  EXPECT_EQ(p.influx.api, influx::InfluxApi::kV2);
  EXPECT_EQ(p.influx.url, "https://influx.example:8086/");
  EXPECT_EQ(p.influx.org, "ocs");
  EXPECT_EQ(p.influx.database, "ocs_feeds");
  EXPECT_EQ(p.influx.token, "tok-abc");
  EXPECT_EQ(p.influx.request_timeout, absl::Milliseconds(2500));
  EXPECT_TRUE(p.influx.verify_ssl);  // the Python client's default
  EXPECT_EQ(p.influx.ca_file, "/etc/ca.pem");
}

TEST(ConfigV2V3Test, FlagsWinOverTheEnvironment) {
  Env env;
  env.Set("INFLUXDB_V2_URL", "http://env:8086");
  env.Set("INFLUXDB_V2_ORG", "env-org");
  env.Set("INFLUXDB_V2_BUCKET", "env-bucket");
  env.Set("INFLUXDB_V2_TOKEN", "env-token");
  env.Set("INFLUXDB_V2_TIMEOUT", "2500");
  env.Set("INFLUXDB_V2_VERIFY_SSL", "False");
  ServiceConfig c;
  c.influxdb_api = "v2";
  c.url = "http://flag:8086";
  c.org = "flag-org";
  c.bucket = "flag-bucket";
  c.influx_token_file = TempFile("flagtoken", "flag-token\n");
  c.influx_timeout = absl::Seconds(7);
  PublisherOptions p;
  ASSERT_TRUE(Build(c, env, &p).ok());
  EXPECT_EQ(p.influx.url, "http://flag:8086");
  EXPECT_EQ(p.influx.org, "flag-org");
  EXPECT_EQ(p.influx.database, "flag-bucket");
  EXPECT_EQ(p.influx.token, "flag-token");
  EXPECT_EQ(p.influx.request_timeout, absl::Seconds(7));
  EXPECT_FALSE(p.influx.verify_ssl);
}

TEST(ConfigV2V3Test, V3TakesTheInfluxdb3Variables) {
  Env env;
  env.Set("INFLUXDB3_HOST_URL", "http://influxdb3:8181");
  env.Set("INFLUXDB3_AUTH_TOKEN_FILE", TempFile("v3token", "apiv3_tok\n"));
  env.Set("INFLUXDB_V2_TOKEN", "not-this-one");
  ServiceConfig c;
  c.influxdb_api = "v3";
  c.database = "site_a";
  PublisherOptions p;
  ASSERT_TRUE(Build(c, env, &p).ok());
  EXPECT_EQ(p.influx.api, influx::InfluxApi::kV3);
  EXPECT_EQ(p.influx.url, "http://influxdb3:8181");
  EXPECT_EQ(p.influx.token, "apiv3_tok");
  EXPECT_EQ(p.influx.database, "site_a");
  c.bucket = "b";
  EXPECT_THAT(std::string(Build(c, env, &p).message()), HasSubstr("--bucket"));
}

TEST(ConfigV2V3Test, V1RefusesV2SettingsAndIgnoresTheV2Environment) {
  Env env;
  env.Set("INFLUXDB_V2_URL", "http://env:8086");
  ServiceConfig c;
  PublisherOptions p;
  ASSERT_TRUE(Build(c, env, &p).ok());
  EXPECT_EQ(p.influx.api, influx::InfluxApi::kV1);
  EXPECT_TRUE(p.influx.url.empty());
  c.url = "http://x:8086";
  EXPECT_THAT(std::string(Build(c, env, &p).message()), HasSubstr("--influxdb-api v2 or v3"));
}

TEST(ConfigV2V3Test, ErrorsNameTheSettingNeverTheToken) {
  const std::string token = "tok-secret-778";
  struct Case {
    std::string var, value, expect;
  };
  const Case cases[] = {
      {"INFLUXDB_V2_TIMEOUT", "0", "INFLUXDB_V2_TIMEOUT"},
      {"INFLUXDB_V2_TIMEOUT", "10s", "INFLUXDB_V2_TIMEOUT"},
      {"INFLUXDB_V2_VERIFY_SSL", "1", "INFLUXDB_V2_VERIFY_SSL"},
      {"INFLUXDB_V2_ORG", "", "INFLUXDB_V2_ORG is set but empty"},
      {"INFLUXDB_V2_BUCKET_FILE", "/nonexistent/b", "INFLUXDB_V2_BUCKET_FILE"},
      {"INFLUXDB_V2_URL", "http://u:" + token + "@x", "--url"},
  };
  for (const Case& k : cases) {
    Env env;
    env.Set("INFLUXDB_V2_URL", "http://x:8086");
    env.Set("INFLUXDB_V2_ORG", "ocs");
    env.Set("INFLUXDB_V2_BUCKET", "b");
    env.Set("INFLUXDB_V2_TOKEN", token);
    env.Set(k.var, k.value);
    // The variable wins over its _FILE: the file is read only without it.
    if (k.var == "INFLUXDB_V2_BUCKET_FILE") env.Unset("INFLUXDB_V2_BUCKET");
    ServiceConfig c;
    c.influxdb_api = "v2";
    PublisherOptions p;
    absl::Status s = Build(c, env, &p);
    EXPECT_FALSE(s.ok()) << k.var;
    EXPECT_THAT(std::string(s.message()), HasSubstr(k.expect)) << k.var;
    EXPECT_THAT(std::string(s.message()), Not(HasSubstr(token))) << k.var;
  }
}

}  // namespace
}  // namespace ocs_influx::server
