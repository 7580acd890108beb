// The test helper itself: start, stop, restart on the same port and data,
// kill, a given data directory, and clean-up.
#include <signal.h>
#include <sys/stat.h>

#include <filesystem>
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/influxd.h"

namespace ocs_influx::testing {
namespace {

using ::testing::HasSubstr;

TEST(InfluxdTest, StartQueryStopRestartKeepsData) {
  auto d = Influxd::Start();
  ASSERT_TRUE(d.ok()) << d.status();
  Influxd& x = **d;
  EXPECT_EQ(x.url(), absl::StrCat("http://127.0.0.1:", x.port()));
  const std::string dir = x.dir();
  EXPECT_TRUE(std::filesystem::exists(dir + "/influxd.conf"));
  ASSERT_TRUE(x.CreateDatabase("t").ok());
  auto dbs = x.Query("", "SHOW DATABASES");
  ASSERT_TRUE(dbs.ok());
  EXPECT_THAT(*dbs, HasSubstr("\"t\""));

  const int port = x.port();
  ASSERT_TRUE(x.Stop().ok());
  EXPECT_FALSE(x.running());
  EXPECT_FALSE(x.Query("", "SHOW DATABASES").ok());
  ASSERT_TRUE(x.Restart().ok());
  EXPECT_EQ(x.port(), port);
  dbs = x.Query("", "SHOW DATABASES");
  ASSERT_TRUE(dbs.ok());
  EXPECT_THAT(*dbs, HasSubstr("\"t\""));

  ASSERT_TRUE(x.Kill().ok());
  EXPECT_FALSE(x.Query("", "SHOW DATABASES").ok());
  ASSERT_TRUE(x.Restart().ok());
  EXPECT_TRUE(x.Query("", "SHOW DATABASES").ok());

  d->reset();
  EXPECT_FALSE(std::filesystem::exists(dir));  // the owned temp dir is gone
}

TEST(InfluxdTest, GivenDataDirAndFixedPortOutliveTheObject) {
  std::string dir = absl::StrCat(std::getenv("TEST_TMPDIR"), "/fixed");
  auto port = PickFreeLoopbackPort();
  ASSERT_TRUE(port.ok());
  InfluxdOptions o;
  o.data_dir = dir;
  o.port = *port;
  {
    auto d = Influxd::Start(o);
    ASSERT_TRUE(d.ok()) << d.status();
    EXPECT_EQ((*d)->port(), *port);
    ASSERT_TRUE((*d)->CreateDatabase("kept").ok());
  }
  EXPECT_TRUE(std::filesystem::exists(dir + "/meta"));
  auto d = Influxd::Start(o);
  ASSERT_TRUE(d.ok()) << d.status();
  auto dbs = (*d)->Query("", "SHOW DATABASES");
  ASSERT_TRUE(dbs.ok());
  EXPECT_THAT(*dbs, HasSubstr("\"kept\""));
}

TEST(InfluxdTest, PortInUseFailsWithLogTail) {
  auto a = Influxd::Start();
  ASSERT_TRUE(a.ok()) << a.status();
  InfluxdOptions o;
  o.port = (*a)->port();
  o.start_timeout = absl::Seconds(10);
  auto b = Influxd::Start(o);
  ASSERT_FALSE(b.ok());
  EXPECT_THAT(std::string(b.status().message()), HasSubstr("address already in use"));
}

TEST(InfluxdTest, AuthNeedsAnAdmin) {
  InfluxdOptions o;
  o.auth_enabled = true;
  auto d = Influxd::Start(o);
  ASSERT_TRUE(d.ok()) << d.status();
  ASSERT_TRUE((*d)->CreateAdminUser("admin", "it's \\ secret").ok());
  EXPECT_FALSE((*d)->Query("", "SHOW DATABASES").ok());
  EXPECT_FALSE((*d)->Query("", "SHOW DATABASES", "admin", "nope").ok());
  EXPECT_TRUE((*d)->Query("", "SHOW DATABASES", "admin", "it's \\ secret").ok());
}

}  // namespace
}  // namespace ocs_influx::testing
