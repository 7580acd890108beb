// Unit tests of the InfluxDB client that need no server: credentials from
// the environment, the hostile-JSON error extractor, identifier quoting,
// option validation, and a write to a port where nothing listens.
#include <fcntl.h>
#include <unistd.h>

#include <cstdlib>
#include <map>
#include <random>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "service/influx/client.h"
#include "tests/support/influxd.h"

namespace ocs_influx::influx {

void PrintTo(WriteOutcome o, std::ostream* os) { *os << WriteOutcomeName(o); }

namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// A fake environment for LoadCredentialsFromEnvironment.
class FakeEnv {
 public:
  void Set(const std::string& k, const std::string& v) { vars_[k] = v; }
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
  EXPECT_EQ(::write(fd, content.data(), content.size()),
            static_cast<ssize_t>(content.size()));
  ::close(fd);
  return path;
}

TEST(CredentialsTest, DefaultsToRootRoot) {
  FakeEnv env;
  InfluxOptions o;
  o.username = "x";
  o.password = "y";
  ASSERT_TRUE(LoadCredentialsFromEnvironment(&o, env.Fn()).ok());
  EXPECT_EQ(o.username, "root");
  EXPECT_EQ(o.password, "root");
}

TEST(CredentialsTest, VariablesWin) {
  FakeEnv env;
  env.Set("INFLUXDB_USERNAME", "alice");
  env.Set("INFLUXDB_PASSWORD", "p@ss word\n");
  env.Set("INFLUXDB_USERNAME_FILE", "/nonexistent/user");
  env.Set("INFLUXDB_PASSWORD_FILE", "/nonexistent/pass");
  InfluxOptions o;
  ASSERT_TRUE(LoadCredentialsFromEnvironment(&o, env.Fn()).ok());
  EXPECT_EQ(o.username, "alice");
  // Only file contents are stripped; a variable is taken as it is.
  EXPECT_EQ(o.password, "p@ss word\n");
}

TEST(CredentialsTest, EmptyVariableIsAValue) {
  FakeEnv env;
  env.Set("INFLUXDB_USERNAME", "");
  InfluxOptions o;
  ASSERT_TRUE(LoadCredentialsFromEnvironment(&o, env.Fn()).ok());
  EXPECT_EQ(o.username, "");
  EXPECT_EQ(o.password, "root");
}

TEST(CredentialsTest, FilesWithTrailingNewlines) {
  FakeEnv env;
  env.Set("INFLUXDB_USERNAME_FILE", TempFile("user", "bob\n"));
  env.Set("INFLUXDB_PASSWORD_FILE", TempFile("pass", "s3cr3t \t\r\n"));
  InfluxOptions o;
  ASSERT_TRUE(LoadCredentialsFromEnvironment(&o, env.Fn()).ok());
  EXPECT_EQ(o.username, "bob");
  EXPECT_EQ(o.password, "s3cr3t \t");  // only CR/LF go, as Python's rstrip('\r\n')
}

TEST(CredentialsTest, FileWithoutNewlineAndMixedSources) {
  FakeEnv env;
  env.Set("INFLUXDB_USERNAME", "carol");
  env.Set("INFLUXDB_PASSWORD_FILE", TempFile("pass2", "line1\nline2"));
  InfluxOptions o;
  ASSERT_TRUE(LoadCredentialsFromEnvironment(&o, env.Fn()).ok());
  EXPECT_EQ(o.username, "carol");
  EXPECT_EQ(o.password, "line1\nline2");
}

TEST(CredentialsTest, MissingFileIsAnErrorNamingTheFile) {
  FakeEnv env;
  env.Set("INFLUXDB_USERNAME_FILE", TempFile("user3", "dave\n"));
  env.Set("INFLUXDB_PASSWORD_FILE", "/nonexistent/dir/password");
  InfluxOptions o;
  o.username = "unchanged";
  absl::Status s = LoadCredentialsFromEnvironment(&o, env.Fn());
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(std::string(s.message()), HasSubstr("/nonexistent/dir/password"));
  EXPECT_THAT(std::string(s.message()), HasSubstr("INFLUXDB_PASSWORD_FILE"));
  EXPECT_THAT(std::string(s.message()), Not(HasSubstr("dave")));
  EXPECT_EQ(o.username, "unchanged");  // all or nothing
}

TEST(CredentialsTest, DirectoryIsAnError) {
  FakeEnv env;
  env.Set("INFLUXDB_USERNAME_FILE", "/");
  InfluxOptions o;
  EXPECT_FALSE(LoadCredentialsFromEnvironment(&o, env.Fn()).ok());
}

TEST(ExtractJsonErrorTest, InfluxAnswers) {
  EXPECT_EQ(ExtractJsonError(R"({"error":"database not found: \"nope\""})"),
            "database not found: \"nope\"");
  EXPECT_EQ(ExtractJsonError(
                R"({"error":"partial write: field type conflict: input field \"v\" on measurement \"m\" is type integer, already exists as type string dropped=1"})"),
            "partial write: field type conflict: input field \"v\" on measurement \"m\" is "
            "type integer, already exists as type string dropped=1");
  EXPECT_EQ(ExtractJsonError(
                R"({"results":[{"statement_id":0,"error":"user not found"}]})"),
            "user not found");
  EXPECT_EQ(ExtractJsonError(R"({"results":[{"statement_id":0}]})"), "");
  EXPECT_EQ(ExtractJsonError(R"( { "x" : [1, -2.5e3, true, null, {"a":"b"}], "error" : "late" } )"),
            "late");
}

TEST(ExtractJsonErrorTest, EscapesAndUnicode) {
  EXPECT_EQ(ExtractJsonError(R"({"error":"a\nb\tc\u00e9\ud83d\ude00\u0001\/"})"),
            "a b c\xC3\xA9\xF0\x9F\x98\x80 /");
  EXPECT_EQ(ExtractJsonError(R"({"error":"lone \udc00 surrogate"})"),
            "lone \xEF\xBF\xBD surrogate");
  // Raw control characters and invalid UTF-8 are made safe for logs.
  EXPECT_EQ(ExtractJsonError(std::string("{\"error\":\"x\x01y\xff\xfez\"}")), "x y??z");
}

TEST(ExtractJsonErrorTest, TruncatesOnCharacterBoundary) {
  std::string long_text;
  for (int i = 0; i < 1000; ++i) long_text += "\xC3\xA9";  // 2-byte characters
  std::string e = ExtractJsonError("{\"error\":\"" + long_text + "\"}", 101);
  EXPECT_LE(e.size(), 104u);
  EXPECT_EQ(e.substr(e.size() - 3), "...");
  EXPECT_EQ(e.size(), 100u + 3u);  // 50 whole characters, then "..."
}

TEST(ExtractJsonErrorTest, GarbageNeverCrashes) {
  const char* cases[] = {"", "{", "}", "\"", "{\"error\"", "{\"error\":", "{\"error\":\"",
                         "{\"error\":\"\\", "{\"error\":\"\\u12", "{\"error\":1}",
                         "{\"error\":\"\\x\"}", "[[[[[[[", "{\"a\":{\"b\":{\"c\":",
                         "null", "<html>502 Bad Gateway</html>", "{\"error\" \"x\"}"};
  for (const char* c : cases) {
    (void)ExtractJsonError(c);
  }
  EXPECT_EQ(ExtractJsonError("{\"error\":1}"), "");
  // Deep nesting stops at the depth bound instead of the stack.
  std::string deep(100000, '[');
  EXPECT_EQ(ExtractJsonError(deep), "");
  std::string deep_obj;
  for (int i = 0; i < 50000; ++i) deep_obj += "{\"a\":";
  EXPECT_EQ(ExtractJsonError(deep_obj), "");
  // Random bytes, and random mutations of a real answer.
  std::mt19937 rng(42);
  const std::string real = R"({"results":[{"statement_id":0,"error":"x \"y\" \u00e9"}]})";
  for (int i = 0; i < 20000; ++i) {
    std::string s = real;
    const int edits = 1 + static_cast<int>(rng() % 4);
    for (int k = 0; k < edits; ++k) {
      s[rng() % s.size()] = static_cast<char>(rng() % 256);
    }
    if (rng() % 3 == 0) s.resize(rng() % s.size());
    std::string e = ExtractJsonError(s);
    EXPECT_LE(e.size(), 515u);
  }
}

TEST(QuoteTest, Identifier) {
  EXPECT_EQ(QuoteInfluxQLIdentifier("ocs_feeds"), "\"ocs_feeds\"");
  EXPECT_EQ(QuoteInfluxQLIdentifier("a \"b\" \\ c"), "\"a \\\"b\\\" \\\\ c\"");
  EXPECT_EQ(QuoteInfluxQLIdentifier("x\ny"), "\"x\\ny\"");
}

TEST(CreateTest, ValidatesOptions) {
  InfluxOptions o;
  EXPECT_TRUE(InfluxClient::Create(o).ok());
  o.host = "evil@host/path";
  EXPECT_FALSE(InfluxClient::Create(o).ok());
  o.host = "";
  EXPECT_FALSE(InfluxClient::Create(o).ok());
  o = InfluxOptions();
  o.port = 0;
  EXPECT_FALSE(InfluxClient::Create(o).ok());
  o = InfluxOptions();
  o.database = "";
  EXPECT_FALSE(InfluxClient::Create(o).ok());
  o = InfluxOptions();
  o.gzip_level = 10;
  EXPECT_FALSE(InfluxClient::Create(o).ok());
}

TEST(CreateTest, BaseUrlHasNoCredentials) {
  InfluxOptions o;
  o.host = "db.example";
  o.port = 8087;
  o.username = "user";
  o.password = "hunter2";
  auto c = InfluxClient::Create(o);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ((*c)->BaseUrl(), "http://db.example:8087");
  o.ssl = true;
  o.host = "::1";
  c = InfluxClient::Create(o);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ((*c)->BaseUrl(), "https://[::1]:8087");
}

TEST(WriteTest, ConnectionRefusedIsRetryableAndQuick) {
  absl::StatusOr<int> port = ocs_influx::testing::PickFreeLoopbackPort();
  ASSERT_TRUE(port.ok());
  InfluxOptions o;
  o.host = "127.0.0.1";
  o.port = *port;
  o.password = "hunter2";
  auto c = InfluxClient::Create(o);
  ASSERT_TRUE(c.ok());
  const absl::Time start = absl::Now();
  WriteResult r = (*c)->Write("m v=1 1\n");
  EXPECT_LT(absl::Now() - start, absl::Seconds(2));
  EXPECT_EQ(r.outcome, WriteOutcome::kRetryable);
  EXPECT_EQ(r.http_status, 0);
  EXPECT_FALSE(r.error.empty());
  EXPECT_THAT(r.error, Not(HasSubstr("hunter2")));
  EXPECT_EQ(r.bytes_raw, 8u);
  absl::Status ping = (*c)->Ping();
  EXPECT_TRUE(absl::IsUnavailable(ping)) << ping;
}

}  // namespace
}  // namespace ocs_influx::influx
