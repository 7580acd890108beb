#include "ocs_adapter/site_config.h"

#include <cstdlib>
#include <fstream>
#include <map>
#include <string>

#include "absl/strings/str_cat.h"
#include "common/flags/flags.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace ocs_influx::ocs_adapter {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

// The site file of OCS's documentation (docs/ocs-protocol.md, "Site file").
const char kSpecExample[] = R"(hub:
  wamp_server: ws://127.0.0.1:18001/ws
  wamp_http: http://127.0.0.1:18001/call
  wamp_realm: test_realm
  address_root: observatory
hosts:
  localhost: {
    'agent-instances': [
      {'agent-class': 'InfluxDBAgent',
       'instance-id': 'influxagent',
       'arguments': [['--initial-state', 'record'],
                     ['--host', 'influxdb'],
                     ['--port', 8086],
                     ['--protocol', 'line'],
                     ['--gzip', True],
                     ['--database', 'ocs_feeds']]},
    ]
  }
)";

SiteArgs Args(std::string instance_id = "influxagent") {
  SiteArgs args;
  args.instance_id = std::move(instance_id);
  return args;
}

TEST(SiteConfigTest, SpecExample) {
  absl::StatusOr<SiteConfig> c = ParseSiteConfig(kSpecExample, Args(), "somehost");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->wamp_server, "ws://127.0.0.1:18001/ws");
  EXPECT_EQ(c->wamp_http, "http://127.0.0.1:18001/call");
  EXPECT_EQ(c->wamp_realm, "test_realm");
  EXPECT_EQ(c->address_root, "observatory");
  EXPECT_EQ(c->host_name, "localhost");  // somehost has no entry
  EXPECT_EQ(c->agent_class, "InfluxDBAgent");
  EXPECT_EQ(c->instance_id, "influxagent");
  EXPECT_EQ(c->agent_address(), "observatory.influxagent");
  EXPECT_THAT(c->arguments,
              ElementsAre("--initial-state", "record", "--host", "influxdb",
                          "--port", "8086", "--protocol", "line", "--gzip", "True",
                          "--database", "ocs_feeds"));
  EXPECT_EQ(c->log_dir, "");
  EXPECT_FALSE(c->crossbar_timeout.has_value());
}

// The hub's access_policy: the default of every agent's --access-policy
// (issue 13); absent or null gives "" (the policy none).
TEST(SiteConfigTest, HubAccessPolicy) {
  EXPECT_EQ(ParseSiteConfig(kSpecExample, Args(), "h")->access_policy, "");
  std::string yaml = kSpecExample;
  yaml.replace(yaml.find("  address_root"), 0, "  access_policy: director:access-dir\n");
  absl::StatusOr<SiteConfig> c = ParseSiteConfig(yaml, Args(), "h");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->access_policy, "director:access-dir");
  yaml = kSpecExample;
  yaml.replace(yaml.find("  address_root"), 0, "  access_policy: ~\n");
  EXPECT_EQ(ParseSiteConfig(yaml, Args(), "h")->access_policy, "");
}

// Each expectation is str() of what PyYAML 6.0's yaml.safe_load reads.
TEST(SiteConfigTest, ArgumentsFlattenAsPythonStrPrintsYamlValues) {
  const std::string yaml = R"(
hub: {wamp_server: ws://h/ws, wamp_realm: r, address_root: obs}
hosts:
  localhost:
    agent-instances:
      - instance-id: a
        arguments:
          - [--bools, true, True, yes, on, false, no, Off]
          - [--ints, 0, -0, +0, -7, +7, 1_000, 123456789012345678901234567890]
          - [--floats, 1.50, -2., .5, 1.0e+3, 1.e+5, .inf, -.Inf, .NaN, 1.0e+16, 0.0001, 0.00001, 1_0.2_5, -0.0]
          - [--not-numbers, 1e3, 1.0e5, 1e+16, +.5, -.nan, 08, 0x, 0b, 1:60, 0:30, _9, ._5, 10.10.10.4, 1.2.3, y]
          - [--nulls, ~, null, '']
          - [--quoted, 'True', "8086", '1.50', !!str 7, '0x1F', "1:30"]
          - [--nested, [a, [b, [c]]], []]
          - --single
          - 2024-01-02
          - "08"
)";
  absl::StatusOr<SiteConfig> c = ParseSiteConfig(yaml, Args("a"), "");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_THAT(c->arguments,
              ElementsAre("--bools", "True", "True", "True", "True", "False", "False",
                          "False",
                          "--ints", "0", "0", "0", "-7", "7", "1000",
                          "123456789012345678901234567890",
                          "--floats", "1.5", "-2.0", "0.5", "1000.0", "100000.0", "inf",
                          "-inf", "nan", "1e+16", "0.0001", "1e-05", "10.25", "-0.0",
                          "--not-numbers", "1e3", "1.0e5", "1e+16", "+.5", "-.nan", "08",
                          "0x", "0b", "1:60", "0:30", "_9", "._5", "10.10.10.4", "1.2.3", "y",
                          "--nulls", "None", "None", "",
                          "--quoted", "True", "8086", "1.50", "7", "0x1F", "1:30",
                          "--nested", "a", "b", "c",
                          "--single", "2024-01-02", "08"));
}

// PyYAML reads these as numbers in base 2, 8, 16 or 60 (0x1F is 31, 017 is
// 15, 1:30 is 90); they are refused with the scalar and its place, not
// passed on as a different number.
TEST(SiteConfigTest, NumbersInOtherBasesAreRefused) {
  const std::string head =
      "hub: {wamp_server: s, wamp_realm: r, address_root: o}\n"
      "hosts: {localhost: {agent-instances: [{instance-id: x, arguments: [--a, ";
  for (const char* scalar : {"0x1F", "-0x1f", "017", "00", "0_", "0b101", "1:30", "+1:30",
                             "1_:30", "1:30.5", "0:30.5", "190:20:30.15",
                             "0x1_0000_0000_0000_0000_0000_0000_0000_0000"}) {
    absl::StatusOr<SiteConfig> c =
        ParseSiteConfig(head + scalar + "]}]}}\n", Args("x"), "");
    ASSERT_FALSE(c.ok()) << scalar;
    EXPECT_THAT(c.status().message(),
                HasSubstr(absl::StrCat("line 2, column 73: \"", scalar,
                                       "\" is a YAML 1.1 number in base 2, 8, 16 or 60")))
        << scalar;
    EXPECT_THAT(c.status().message(), HasSubstr("quote it")) << scalar;
  }
}

TEST(SiteConfigTest, HostEntryOverridesHubAndCommandLineOverridesBoth) {
  const std::string yaml = R"(
hub:
  wamp_server: ws://hub/ws
  wamp_http: http://hub/call
  wamp_realm: hub_realm
  address_root: observatory
hosts:
  docker: {
    'wamp_server': 'ws://crossbar:8001/ws',
    'wamp_http': 'http://crossbar:8001/call',
    'log-dir': '/var/log/ocs',
    'agent-instances': [{'agent-class': 'InfluxDBAgent', 'instance-id': 'influx'}]
  }
)";
  SiteArgs args = Args("influx");
  args.site_host = "docker";
  absl::StatusOr<SiteConfig> c = ParseSiteConfig(yaml, args, "ignored");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->host_name, "docker");
  EXPECT_EQ(c->wamp_server, "ws://crossbar:8001/ws");
  EXPECT_EQ(c->wamp_http, "http://crossbar:8001/call");
  EXPECT_EQ(c->wamp_realm, "hub_realm");
  EXPECT_EQ(c->log_dir, "/var/log/ocs");
  EXPECT_TRUE(c->arguments.empty());

  args.site_hub = "ws://cli/ws";
  args.site_http = "http://cli/call";
  args.site_realm = "cli_realm";
  args.address_root = "lab";
  args.log_dir = "/tmp/logs";
  args.crossbar_timeout_text = "2.5";
  c = ParseSiteConfig(yaml, args, "ignored");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->wamp_server, "ws://cli/ws");
  EXPECT_EQ(c->wamp_http, "http://cli/call");
  EXPECT_EQ(c->wamp_realm, "cli_realm");
  EXPECT_EQ(c->address_root, "lab");
  EXPECT_EQ(c->log_dir, "/tmp/logs");
  EXPECT_EQ(c->agent_address(), "lab.influx");
  ASSERT_TRUE(c->crossbar_timeout.has_value());
  EXPECT_EQ(*c->crossbar_timeout, 2.5);

  args.crossbar_timeout_text = "soon";
  c = ParseSiteConfig(yaml, args, "ignored");
  EXPECT_THAT(c.status().message(), HasSubstr("--crossbar-timeout: \"soon\""));
}

TEST(SiteConfigTest, MissingHubSettingsMayComeFromTheCommandLine) {
  const std::string yaml = R"(
hub: {wamp_http: null}
hosts: {localhost: {agent-instances: [{instance-id: x}]}}
)";
  SiteArgs args = Args("x");
  absl::StatusOr<SiteConfig> c = ParseSiteConfig(yaml, args, "");
  EXPECT_THAT(c.status().message(), HasSubstr("no hub wamp_server (or --site-hub)"));
  args.site_hub = "ws://h/ws";
  c = ParseSiteConfig(yaml, args, "");
  EXPECT_THAT(c.status().message(), HasSubstr("no hub wamp_realm (or --site-realm)"));
  args.site_realm = "r";
  c = ParseSiteConfig(yaml, args, "");
  EXPECT_THAT(c.status().message(),
              HasSubstr("no hub address_root (or --address-root)"));
  args.address_root = "obs";
  c = ParseSiteConfig(yaml, args, "");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->wamp_http, "");
}

const char kTwoHosts[] = R"(
hub: {wamp_server: ws://h/ws, wamp_realm: r, address_root: obs}
hosts:
  alpha: {'agent-instances': [{'instance-id': 'a1'}, {'instance-id': 'a2'}]}
  beta: {'agent-instances': [{'instance-id': 'b1'}]}
)";

TEST(SiteConfigTest, HostIsSiteHostElseHostnameThenLocalhost) {
  // --site-host wins over the hostname.
  SiteArgs args = Args("b1");
  args.site_host = "beta";
  absl::StatusOr<SiteConfig> c = ParseSiteConfig(kTwoHosts, args, "alpha");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->host_name, "beta");
  // Without it, the hostname.
  c = ParseSiteConfig(kTwoHosts, Args("a2"), "alpha");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->host_name, "alpha");
  // Neither present, nor localhost: the error lists the hosts.
  c = ParseSiteConfig(kTwoHosts, Args("a1"), "gamma");
  EXPECT_EQ(c.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(c.status().message(),
              HasSubstr("no entry in 'hosts' for \"gamma\" (this machine's hostname) "
                        "nor for \"localhost\"; hosts present: \"alpha\", \"beta\""));
  args.site_host = "delta";
  c = ParseSiteConfig(kTwoHosts, args, "alpha");
  EXPECT_THAT(c.status().message(), HasSubstr("\"delta\" (--site-host)"));
  // An unknown --site-host falls back to localhost, as OCS does.
  c = ParseSiteConfig(kSpecExample, [] {
    SiteArgs a = Args();
    a.site_host = "delta";
    return a;
  }(), "alpha");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->host_name, "localhost");
  // No hostname known: localhost.
  c = ParseSiteConfig(kSpecExample, Args(), "");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->host_name, "localhost");
}

TEST(SiteConfigTest, InstanceErrorsListTheIds) {
  absl::StatusOr<SiteConfig> c = ParseSiteConfig(kTwoHosts, Args("zz"), "alpha");
  EXPECT_EQ(c.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(c.status().message(),
              HasSubstr("host \"alpha\" has no agent instance \"zz\"; instance ids "
                        "present: \"a1\", \"a2\""));
  c = ParseSiteConfig(kTwoHosts, Args(""), "alpha");
  EXPECT_THAT(c.status().message(), HasSubstr("no instance id: give --instance-id"));
}

TEST(SiteConfigTest, StructuralErrorsSayWhat) {
  auto error = [](const std::string& yaml, const std::string& id = "x") {
    absl::StatusOr<SiteConfig> c = ParseSiteConfig(yaml, Args(id), "localhost");
    EXPECT_FALSE(c.ok()) << yaml;
    return std::string(c.status().message());
  };
  EXPECT_THAT(error("hosts: {}\n"), HasSubstr("no 'hub' section"));
  EXPECT_THAT(error("hub: 3\nhosts: {}\n"), HasSubstr("line 1, column 6: no 'hub' section"));
  EXPECT_THAT(error(""), HasSubstr("not a YAML mapping"));
  EXPECT_THAT(error("- a\n- b\n"), HasSubstr("not a YAML mapping"));
  const std::string hub = "hub: {wamp_server: s, wamp_realm: r, address_root: o}\n";
  EXPECT_THAT(error(hub), HasSubstr("hosts present: none"));
  EXPECT_THAT(error(hub + "hosts: [a]\n"), HasSubstr("'hosts' is not a mapping"));
  EXPECT_THAT(error(hub + "hosts: {localhost: 3}\n"),
              HasSubstr("host \"localhost\": the entry is not a mapping"));
  EXPECT_THAT(error(hub + "hosts: {localhost: {}}\n"),
              HasSubstr("host \"localhost\": no 'agent-instances' list"));
  EXPECT_THAT(error(hub + "hosts: {localhost: {agent-instances: [3]}}\n"),
              HasSubstr("agent-instances[0] is not a mapping"));
  EXPECT_THAT(error(hub + "hosts: {localhost: {agent-instances: [{a: b}]}}\n"),
              HasSubstr("agent-instances[0] has no 'instance-id'"));
  EXPECT_THAT(
      error(hub + "hosts: {localhost: {agent-instances: [{instance-id: x, arguments: 5}]}}\n"),
      HasSubstr("'arguments' is not a list"));
  // A dict among the arguments: where it is, and which instance.
  std::string m = error(hub +
                        "hosts:\n  localhost:\n    agent-instances:\n"
                        "      - instance-id: x\n"
                        "        arguments: [['--a', {k: v}]]\n");
  EXPECT_THAT(m, HasSubstr("line 6, column 29: an argument is a dict"));
  EXPECT_THAT(m, HasSubstr("instance \"x\""));
  EXPECT_THAT(error(hub + "hosts: {localhost: {agent-instances: [{instance-id: x, "
                          "arguments: [!custom 3]}]}}\n"),
              HasSubstr("unsupported tag \"!custom\""));
  EXPECT_THAT(error(hub + "hosts: {localhost: {agent-instances: [{instance-id: x, "
                          "arguments: [!!int 3]}]}}\n"),
              HasSubstr("unsupported tag \"tag:yaml.org,2002:int\" (only !!str is read)"));
  EXPECT_THAT(error(hub + "hosts: {localhost: {agent-instances: [{instance-id: x, "
                          "arguments: [1.0e+999]}]}}\n"),
              HasSubstr("\"1.0e+999\" is beyond the range of a double"));
  EXPECT_THAT(error(hub + "hosts: {localhost: {wamp_server: [a], agent-instances: []}}\n"),
              HasSubstr("wamp_server is not a single value"));
}

TEST(SiteConfigTest, MalformedYamlGivesLineAndColumn) {
  absl::StatusOr<SiteConfig> c =
      ParseSiteConfig("hub:\n  a: b\n  c: [unclosed\n", Args(), "");
  ASSERT_FALSE(c.ok());
  EXPECT_THAT(c.status().message(), HasSubstr("site file is not valid YAML: line "));
  EXPECT_THAT(c.status().message(), HasSubstr(", column "));
  c = ParseSiteConfig("a: b\n\tc: d\n", Args(), "");
  EXPECT_THAT(c.status().message(), HasSubstr("not valid YAML: line 2"));
}

TEST(SiteConfigTest, RepeatedKeysKeepTheLastAsPythonDoes) {
  const std::string yaml = R"(
hub: {wamp_server: first, wamp_realm: r, address_root: o, wamp_server: second}
hosts: {localhost: {agent-instances: [{instance-id: x}, {instance-id: x, agent-class: B}]}}
)";
  absl::StatusOr<SiteConfig> c = ParseSiteConfig(yaml, Args("x"), "");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->wamp_server, "second");
  EXPECT_EQ(c->agent_class, "");  // the first matching instance, as OCS
}

TEST(SiteConfigTest, HostileInputIsRefusedNotCrashed) {
  const std::string hub = "hub: {wamp_server: s, wamp_realm: r, address_root: o}\n";
  // Too big.
  std::string big = hub + "# " + std::string(kMaxSiteFileBytes, 'x') + "\n";
  EXPECT_THAT(ParseSiteConfig(big, Args(), "").status().message(),
              HasSubstr("at most 1048576"));
  // Deep flow nesting.
  std::string deep = "a: " + std::string(100000, '[');
  EXPECT_THAT(ParseSiteConfig(deep, Args(), "").status().message(),
              HasSubstr("nests more than 64"));
  // Deep block nesting: yaml-cpp's own guard, reported as YAML.
  std::string block;
  for (int i = 0; i < 3000; ++i) block += "- ";
  block += "x\n";
  EXPECT_FALSE(ParseSiteConfig(block, Args(), "").ok());
  // A self-referencing alias among the arguments.
  absl::StatusOr<SiteConfig> c = ParseSiteConfig(
      hub + "hosts: {localhost: {agent-instances: [{instance-id: x, "
            "arguments: &a [b, *a]}]}}\n",
      Args("x"), "");
  EXPECT_FALSE(c.ok());
  // Aliases multiplying the arguments ("billion laughs").
  std::string laughs = hub + "l0: &l0 [a, a, a, a, a, a, a, a, a, a]\n";
  for (int i = 1; i < 9; ++i) {
    laughs += absl::StrCat("l", i, ": &l", i, " [");
    for (int k = 0; k < 10; ++k) laughs += absl::StrCat(k ? ", " : "", "*l", i - 1);
    laughs += "]\n";
  }
  laughs += "hosts: {localhost: {agent-instances: [{instance-id: x, arguments: *l8}]}}\n";
  c = ParseSiteConfig(laughs, Args("x"), "");
  EXPECT_THAT(c.status().message(), HasSubstr("more than 4096 argument words"));
  // NUL bytes and invalid UTF-8.
  EXPECT_FALSE(ParseSiteConfig(std::string("hub:\0\xff\xfe", 7), Args(), "").ok());
}

class TempDir {
 public:
  TempDir() {
    const char* base = std::getenv("TEST_TMPDIR");
    path_ = absl::StrCat(base ? base : "/tmp", "/site_config_test");
    std::string cmd = "mkdir -p " + path_;
    EXPECT_EQ(std::system(cmd.c_str()), 0);
  }
  std::string Write(const std::string& name, const std::string& text) {
    std::string file = path_ + "/" + name;
    std::ofstream(file) << text;
    return file;
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

TEST(LoadSiteConfigTest, ReadsSiteFileOrConfigDirSite) {
  TempDir dir;
  const std::string file = dir.Write("lab.yaml", kTwoHosts);
  std::map<std::string, std::string> env;
  auto getenv_fn = [&env](const char* name) -> const char* {
    auto it = env.find(name);
    return it == env.end() ? nullptr : it->second.c_str();
  };
  auto hostname = [] { return std::string("alpha"); };

  SiteArgs args = Args("a1");
  args.site_file = file;
  absl::StatusOr<SiteConfig> c = LoadSiteConfig(args, getenv_fn, hostname);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->host_name, "alpha");

  // $OCS_CONFIG_DIR/<site>.yaml
  args.site_file.clear();
  c = LoadSiteConfig(args, getenv_fn, hostname);
  EXPECT_THAT(c.status().message(), HasSubstr("set OCS_CONFIG_DIR"));
  env["OCS_CONFIG_DIR"] = dir.path();
  c = LoadSiteConfig(args, getenv_fn, hostname);
  EXPECT_EQ(c.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(c.status().message(),
              HasSubstr("cannot read site file " + dir.path() + "/default.yaml: "
                        "No such file or directory"));
  args.site = "lab";
  c = LoadSiteConfig(args, getenv_fn, hostname);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->agent_address(), "obs.a1");

  // Errors from the content name the file.
  args.instance_id = "nope";
  c = LoadSiteConfig(args, getenv_fn, hostname);
  EXPECT_THAT(c.status().message(),
              HasSubstr("site file " + dir.path() + "/lab.yaml: host \"alpha\""));

  // The hostname function is not consulted when --site-host is given.
  args.instance_id = "b1";
  args.site_host = "beta";
  c = LoadSiteConfig(args, getenv_fn, [] {
    ADD_FAILURE() << "hostname asked for";
    return std::string();
  });
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->host_name, "beta");

  // Too big a file is not read whole.
  args.site_file = dir.Write("big.yaml", std::string(kMaxSiteFileBytes + 10, '#'));
  c = LoadSiteConfig(args, getenv_fn, hostname);
  EXPECT_THAT(c.status().message(), HasSubstr("is larger than 1048576 bytes"));
}

TEST(LoadSiteConfigTest, DefaultHostnameIsTheMachines) {
  EXPECT_FALSE(MachineHostname().empty());
}

TEST(SiteFlagsTest, RegistersTheOcsSpellings) {
  SiteArgs args;
  flags::FlagSet flag_set("agent [flags]", "test");
  RegisterSiteFlags(&flag_set, &args);
  std::vector<std::string> positional;
  absl::Status s = flag_set.Parse(
      {"--site", "lab", "--site-file", "/f.yaml", "--site-host", "h",
       "--instance-id", "i", "--site-hub", "ws://x", "--site-http", "http://x",
       "--site-realm", "r", "--address-root", "a", "--crossbar-timeout", "10",
       "--log-dir", "/l"},
      &positional);
  ASSERT_TRUE(s.ok()) << s;
  EXPECT_EQ(args.site, "lab");
  EXPECT_EQ(args.site_file, "/f.yaml");
  EXPECT_EQ(args.site_host, "h");
  EXPECT_EQ(args.instance_id, "i");
  EXPECT_EQ(args.site_hub, "ws://x");
  EXPECT_EQ(args.site_http, "http://x");
  EXPECT_EQ(args.site_realm, "r");
  EXPECT_EQ(args.address_root, "a");
  EXPECT_EQ(args.crossbar_timeout_text, "10");
  EXPECT_EQ(args.log_dir, "/l");
  EXPECT_TRUE(positional.empty());
  EXPECT_THAT(flag_set.Usage(), HasSubstr("--crossbar-timeout"));
  EXPECT_THAT(flag_set.Usage(), HasSubstr("(default: default)"));
}

}  // namespace
}  // namespace ocs_influx::ocs_adapter
