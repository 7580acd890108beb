#include "ocs_adapter/merge_args.h"

#include <string>
#include <vector>

#include "common/flags/flags.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace ocs_influx::ocs_adapter {
namespace {

using ::testing::ElementsAre;

TEST(MergeArgumentsTest, SiteWordsThenCommandLineWords) {
  EXPECT_THAT(MergeArguments({"--port", "8086", "--gzip", "True"}, {"--port", "9999"}),
              ElementsAre("--port", "8086", "--gzip", "True", "--port", "9999"));
  EXPECT_TRUE(MergeArguments({}, {}).empty());
}

TEST(MergeArgumentsTest, TheCommandLineWinsInOurFlagSet) {
  std::string host = "influxdb", protocol = "line";
  int64_t port = 8086;
  bool gzip = false, ssl = false;
  flags::FlagSet flag_set("agent", "test");
  flag_set.AddString("host", &host, "");
  flag_set.AddInt("port", &port, 1, 65535, "");
  flag_set.AddBool("gzip", &gzip, "");
  flag_set.AddBool("ssl", &ssl, "");
  flag_set.AddChoice("protocol", &protocol, {"line", "json"}, "");
  std::vector<std::string> positional;
  ASSERT_TRUE(flag_set
                  .Parse(MergeArguments(
                             // As site_config flattens ['--gzip', True] etc.
                             {"--host", "db1", "--port", "8087", "--gzip", "True",
                              "--ssl", "True", "--protocol", "json"},
                             {"--port=9000", "--gzip", "False", "--host", "db2"}),
                         &positional)
                  .ok());
  EXPECT_EQ(host, "db2");
  EXPECT_EQ(port, 9000);
  EXPECT_FALSE(gzip);
  EXPECT_TRUE(ssl);            // only the site file set it
  EXPECT_EQ(protocol, "json");  // only the site file set it
  EXPECT_TRUE(positional.empty());
}

}  // namespace
}  // namespace ocs_influx::ocs_adapter
